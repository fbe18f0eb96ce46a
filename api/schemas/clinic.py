"""The clinic, its window protocol, and the windows of an infusion time."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from api.schemas.base import Key, Name, Public, RequestBody, maybe_rfc3339, rfc3339
from planner.durations import format_duration, parse_duration
from planner.protocol import Protocol, Window, WindowSpec
from services import limits
from services.commands import ClinicSettings, NewProtocol
from services.views import ClinicView, WindowsPreview


class ClinicBody(RequestBody):
    name: Name
    timezone: str = Field(min_length=1, max_length=limits.TIMEZONE_MAX)
    max_wait_minutes: int | None = Field(
        default=None,
        ge=0,
        le=720,
        description="the longest a patient waits between on-site items of a day when the "
        "planner places a care plan (null: no cap)",
    )

    def command(self) -> ClinicSettings:
        return ClinicSettings(self.name, self.timezone, self.max_wait_minutes)


class ClinicPublic(Public):
    name: str
    timezone: str
    max_wait_minutes: int | None = None

    @classmethod
    def of(cls, view: ClinicView) -> ClinicPublic:
        return cls(name=view.name, timezone=view.timezone, max_wait_minutes=view.max_wait_minutes)


class WindowSpecIn(RequestBody):
    key: Key
    label: Name
    implication: str = Field(default="", max_length=limits.REASON_MAX)
    start_offset: str = Field(examples=["PT2H"])
    end_offset: str = Field(examples=["PT4H"])
    target_offset: str | None = Field(default=None, examples=["PT3H"])

    def spec(self) -> WindowSpec:
        return WindowSpec(
            key=self.key,
            label=self.label,
            implication=self.implication,
            start_offset=parse_duration(self.start_offset),
            end_offset=parse_duration(self.end_offset),
            target_offset=parse_duration(self.target_offset) if self.target_offset else None,
        )


class WindowSpecPublic(Public):
    key: str
    label: str
    implication: str
    start_offset: str
    end_offset: str
    target_offset: str | None

    @classmethod
    def of(cls, spec: WindowSpec) -> WindowSpecPublic:
        return cls(
            key=spec.key,
            label=spec.label,
            implication=spec.implication,
            start_offset=format_duration(spec.start_offset),
            end_offset=format_duration(spec.end_offset),
            target_offset=format_duration(spec.target_offset) if spec.target_offset else None,
        )


class ProtocolBody(RequestBody):
    anchor: Literal["end", "start"] = "end"
    windows: list[WindowSpecIn] = Field(min_length=1, max_length=limits.WINDOWS_MAX)
    recovery: str = Field(
        default="PT1H",
        max_length=32,
        description="observation after each infusion's end: nothing is booked for the patient",
        examples=["PT1H", "PT2H"],
    )

    def command(self) -> NewProtocol:
        return NewProtocol(
            anchor=self.anchor,
            windows=tuple(w.spec() for w in self.windows),
            recovery=parse_duration(self.recovery),
        )


class ProtocolPublic(Public):
    version: int
    anchor: str
    windows: list[WindowSpecPublic]
    recovery: str

    @classmethod
    def of(cls, protocol: Protocol) -> ProtocolPublic:
        return cls(
            version=protocol.version,
            anchor=protocol.anchor,
            windows=[WindowSpecPublic.of(w) for w in protocol.windows],
            recovery=format_duration(protocol.recovery),
        )


class WindowPublic(Public):
    key: str
    label: str
    implication: str
    start: str
    end: str
    target: str | None

    @classmethod
    def of(cls, window: Window) -> WindowPublic:
        return cls(
            key=window.key,
            label=window.label,
            implication=window.implication,
            start=rfc3339(window.start),
            end=rfc3339(window.end),
            target=maybe_rfc3339(window.target),
        )


class WindowsPublic(Public):
    anchor_time: str
    protocol_version: int
    windows: list[WindowPublic]

    @classmethod
    def of(cls, preview: WindowsPreview) -> WindowsPublic:
        return cls(
            anchor_time=rfc3339(preview.anchor_time),
            protocol_version=preview.protocol_version,
            windows=[WindowPublic.of(w) for w in preview.windows],
        )
