"""Settings from the environment and a ``.env`` file (docs/architecture.md, "Settings")."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


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
