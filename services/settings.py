"""Settings from the environment and a ``.env`` file (docs/architecture.md, "Settings")."""

from __future__ import annotations

import json
from ipaddress import IPv4Network, IPv6Network, ip_network
from typing import Annotated, Any

from pydantic import Field, IPvAnyNetwork, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PLANNER_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///planner.db"
    bootstrap_admin_token: str | None = None
    clinic_name: str = "Infusion Clinic"
    clinic_timezone: str = "America/New_York"
    token_ttl_hours: int = 24 * 30
    login_token_ttl_hours: int = 12
    idempotency_ttl_hours: int = 24
    # Failed logins in the window refuse one user name from one address, or one address
    # whatever names it tries (services/users.py).
    login_max_failures: int = 5
    login_max_failures_per_address: int = Field(default=20, ge=1)
    login_window_minutes: int = 15
    login_slowdown_seconds: float = 0.25
    # Larger request bodies are refused with 413 before they are read (api/body_limit.py).
    max_body_bytes: int = Field(default=1024 * 1024, ge=1)
    # FastAPI's native OpenTelemetry (traces, metrics, logs to the globally configured
    # providers). Off, a request skips looking those providers up: without an OpenTelemetry
    # SDK installed and configured they are no-ops anyway (docs/architecture.md, "Settings").
    opentelemetry: bool = False
    # Proxies whose X-Forwarded-For names the client (api/forwarded.py): addresses or CIDR
    # networks, comma-separated or a JSON list. Empty: the peer's address is the client's.
    trusted_proxies: Annotated[tuple[IPvAnyNetwork, ...], NoDecode] = ()

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxy_networks(cls, value: Any) -> Any:
        """Each entry an address or a network without host bits; else refused, naming it."""
        text = value.strip() if isinstance(value, str) else None
        if text is not None and text.startswith("["):
            try:
                value = json.loads(text)
            except ValueError as error:
                raise ValueError(f"PLANNER_TRUSTED_PROXIES: not a JSON list ({error})") from None
        elif text is not None:
            value = text.split(",") if text else []
        if not isinstance(value, list | tuple):
            raise ValueError("PLANNER_TRUSTED_PROXIES: give addresses or networks, comma-separated")
        return tuple(_network(entry) for entry in value)


def _network(entry: object) -> IPv4Network | IPv6Network:
    if isinstance(entry, IPv4Network | IPv6Network):
        return entry
    try:
        if not isinstance(entry, str):
            raise TypeError("not a string")
        return ip_network(entry.strip())
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"PLANNER_TRUSTED_PROXIES: {entry!r} is not an IP address or CIDR network ({error})"
        ) from None
