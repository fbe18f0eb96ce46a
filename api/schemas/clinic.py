from __future__ import annotations

from typing import Literal

from pydantic import Field

from api.schemas.base import Key, Name, Public, Request


class ClinicBody(Request):
    name: Name
    timezone: str = Field(min_length=1, max_length=64)


class ClinicPublic(Public):
    name: str
    timezone: str


class WindowSpecIn(Request):
    key: Key
    label: Name
    implication: str = Field(default="", max_length=500)
    start_offset: str = Field(examples=["PT2H"])
    end_offset: str = Field(examples=["PT4H"])
    target_offset: str | None = Field(default=None, examples=["PT3H"])


class WindowSpecPublic(Public):
    key: str
    label: str
    implication: str
    start_offset: str
    end_offset: str
    target_offset: str | None


class ProtocolBody(Request):
    anchor: Literal["end", "start"] = "end"
    windows: list[WindowSpecIn] = Field(min_length=1, max_length=50)


class ProtocolPublic(Public):
    version: int
    anchor: str
    windows: list[WindowSpecPublic]


class WindowPublic(Public):
    key: str
    label: str
    implication: str
    start: str
    end: str
    target: str | None


class WindowsPublic(Public):
    anchor_time: str
    protocol_version: int
    windows: list[WindowPublic]
