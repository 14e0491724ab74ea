"""The one settings object. Nothing else in the project reads the environment."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SECRET = "development-only-secret-key-change-me"


class Settings(BaseSettings):
    """Every `INCUBATOR_*` setting, with the default used by `make run`."""

    model_config = SettingsConfigDict(env_prefix="INCUBATOR_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    secret_key: str = DEFAULT_SECRET
    database_url: str = ""
    database_path: Path = ROOT / "var" / "incubator.db"
    base_url: str = "http://127.0.0.1:8000"
    storage_dir: Path = ROOT / "var" / "uploads"
    max_upload_bytes: int = 10 * 1024 * 1024
    max_request_bytes: int = 12 * 1024 * 1024

    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=65536, ge=8)
    session_days: int = 14
    invitation_days: int = 7
    password_reset_hours: int = 2
    login_max_failures: int = 5
    login_window_minutes: int = 15

    email_backend: Literal["console", "smtp"] = "console"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_tls: Literal["none", "starttls", "ssl"] = "none"
    smtp_username: str = ""
    smtp_password: str = ""
    email_sender: str = "Incubator <no-reply@incubator.example.org>"
    email_max_attempts: int = 6

    worker_poll_seconds: float = 2.0
    default_currency: str = "USD"
    default_timezone: str = "UTC"
    default_locale: str = "en"
    page_size: int = 25

    stripe_secret_key: str = ""
    stripe_publishable_key: str = ""
    stripe_webhook_secret: str = ""
    stripe_api_base: str = ""
    stripe_js_url: str = "https://js.stripe.com/v3/"

    # Billing: whether a zero-amount draft gets a number when finalised (otherwise it is voided unnumbered),
    # payment terms, overdue reminders (days after the due date, comma-separated) and the booking stop.
    billing_issue_zero_invoices: bool = False
    billing_payment_terms_days: int = Field(default=30, ge=0, le=365)
    billing_reminder_days: str = "7,14,30"
    billing_block_bookings_overdue_days: int = Field(default=0, ge=0, description="0 turns the booking stop off")

    log_level: str = "INFO"
    sql_echo: bool = False
    pool_size: int = Field(default=10, ge=1)

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.environment != "development" and self.secret_key == DEFAULT_SECRET:
            raise ValueError(
                "INCUBATOR_SECRET_KEY must be set to a long random value outside development "
                "(for example: python -c 'import secrets; print(secrets.token_urlsafe(48))')."
            )
        if self.environment == "production" and len(self.secret_key) < 32:
            raise ValueError("INCUBATOR_SECRET_KEY must be at least 32 characters in production.")
        return self

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            url = self.database_url
            if url.startswith("postgresql://"):
                url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
            return url
        return f"sqlite:///{self.database_path}"

    @property
    def is_sqlite(self) -> bool:
        return self.sqlalchemy_url.startswith("sqlite")

    @property
    def cookie_secure(self) -> bool:
        return self.environment == "production" or self.base_url.startswith("https://")

    @property
    def stripe_enabled(self) -> bool:
        return bool(self.stripe_secret_key and self.stripe_publishable_key)


@lru_cache
def get_settings() -> Settings:
    return Settings()
