"""Configuration: every knob comes from the environment (prefix ``EDOM_``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from platformdirs import user_data_dir
from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)


def default_data_dir() -> Path:
    return Path(user_data_dir("edom-graphql", appauthor=False))


class Settings(BaseSettings):
    """Server settings. Each field is read from ``EDOM_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="EDOM_", extra="ignore")

    environment: Literal["development", "production"] = "development"
    """``development`` enables the local token issuer and introspection by default."""

    database_url: str | None = None
    """PostgreSQL URL (``postgresql://user:pass@host:port/db``). Unset: embedded PostgreSQL."""

    data_dir: Path = Field(default_factory=default_data_dir)
    """Where the embedded PostgreSQL, the development signing key and uploads live."""

    uploads_dir: Path | None = None
    """Where uploaded photos are stored; unset: ``<data_dir>/uploads``."""

    storage_url: str | None = None
    """Where uploaded files are kept when several hosts serve: ``s3://bucket/prefix`` (an
    S3-compatible store, see the ``s3_*`` settings); unset: the local ``uploads_path``."""
    s3_endpoint_url: str | None = None
    """The S3 API's URL (MinIO, Ceph, Yandex Object Storage…); unset: AWS in ``s3_region``."""
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None
    s3_session_token: str | None = None
    s3_region: str = "us-east-1"
    s3_timeout_seconds: float = Field(default=10.0, gt=0)

    @field_validator("storage_url")
    @classmethod
    def _storage_url(cls, value: str | None) -> str | None:
        if value is not None and value.strip() == "":
            return None
        if value is not None and not value.startswith("s3://"):
            raise ValueError("EDOM_STORAGE_URL must be s3://bucket[/prefix] (or unset)")
        if value is not None and not value.removeprefix("s3://").split("/", 1)[0]:
            raise ValueError("EDOM_STORAGE_URL names no bucket")
        return value

    database_pool_size: int = Field(default=10, ge=1, le=200)
    database_max_overflow: int = Field(default=10, ge=0, le=200)
    database_statement_timeout_ms: int = Field(default=15_000, ge=100)
    database_read_plans: Literal["auto", "generic"] = "auto"
    """PostgreSQL's plans of reads: its own ``auto``, which may plan a statement on every
    execution, or ``generic``, planned once per connection (reads are prepared statements
    of constant text), cheaper where it suits and much dearer where it does not
    (:data:`edom_graphql.core.db.READ_PLAN_MODES`)."""

    execution: Literal["compiled", "graphql-core", "differential"] = "compiled"
    """How queries run: ``compiled`` plans (graphql-core where a plan gives way),
    ``graphql-core`` only, or ``differential``: compiled, each answer checked against
    graphql-core's, a mismatch logged and counted (the test suite runs so)."""

    workers: int | None = Field(default=None, ge=1, le=64)
    """Worker processes of ``serve`` (``--workers``); unset: 1 in development, the CPU
    count in production."""

    pubsub_url: str = "memory://"
    """Broadcast backend: ``memory://``, ``postgres://…`` (LISTEN/NOTIFY) or ``redis://…``."""

    pubsub_queue_size: int = Field(default=1000, ge=10)
    """Events buffered per subscriber; a slower subscriber catches up from the database."""

    pubsub_heartbeat_seconds: float = Field(default=5.0, gt=0)

    # Authentication (OIDC)
    oidc_issuer: str = "edom-graphql-dev"
    oidc_audience: str = "edom-graphql"
    oidc_jwks_url: str | None = None
    oidc_public_key: str | None = None
    """PEM public key of the issuer; used when no JWKS URL is set."""
    oidc_algorithms: list[str] = Field(default_factory=lambda: ["RS256", "ES256", "EdDSA"])
    oidc_leeway_seconds: int = Field(default=30, ge=0, le=300)
    dev_token_ttl_seconds: int = Field(default=12 * 3600, ge=60)

    # GraphQL limits
    introspection: bool | None = None
    """Allow introspection; unset: on in development, off in production."""
    max_depth: int = Field(default=12, ge=2)
    max_aliases: int = Field(default=30, ge=1)
    max_tokens: int = Field(default=5000, ge=100)
    max_cost: int = Field(default=50_000, ge=1)
    """Largest product of nested ``first`` values (GitHub-style node limit)."""

    websocket_init_timeout_seconds: float = Field(default=3.0, gt=0)
    websocket_compression: bool = False
    """Offer permessage-deflate on WebSockets. Off by default: it keeps a zlib context of
    tens of KB per connection (see ``bench/chat_fanout.py``) to compress events of a few
    hundred bytes."""
    cors_origins: list[str] = Field(default_factory=list)

    repair_auto_close_interval_seconds: float = Field(default=60.0, ge=0)
    """How often each server process sweeps for repair requests DONE for 72 hours (safe
    with many processes); 0 turns the sweep off in this process."""
    intercom_missed_call_interval_seconds: float = Field(default=5.0, ge=0)
    """How often each server process marks calls nobody answered in time MISSED (safe
    with many processes); 0 turns the sweep off in this process."""
    meeting_sweep_interval_seconds: float = Field(default=30.0, ge=0)
    """How often each server process opens and closes the voting of owners' meetings that
    are due (safe with many processes); 0 turns the sweep off in this process."""
    meter_reminder_interval_seconds: float = Field(default=600.0, ge=0)
    """How often each server process reminds the occupants of premises with meters that a
    reading window has opened (once per premise, window and period, safe with many
    processes); 0 turns the sweep off in this process."""
    media_sweep_interval_seconds: float = Field(default=3600.0, ge=0)
    """How often a process deletes stored files nothing references (0: never)."""

    # Payments (edom_graphql.billing.service.providers)
    payment_provider: str = "sandbox"
    """The payment provider ``billPay`` uses, by its registered name."""
    payment_sandbox_url: str = "http://127.0.0.1:8010"
    """Where the sandbox provider listens (``python -m edom_graphql.billing.service.sandbox``)."""
    payment_sandbox_secret: str = "edom-sandbox-webhook-secret"  # noqa: S105 (development only)
    """The secret the sandbox signs its webhooks with (HMAC-SHA256); never in production."""
    payment_webhook_tolerance_seconds: int = Field(default=300, ge=1, le=3600)
    """How far a webhook's signed timestamp may be from now."""
    payment_provider_timeout_seconds: float = Field(default=10.0, gt=0)
    payment_return_url: str | None = None
    """Where the provider sends the payer back after confirming a payment."""

    # Push to phones (edom_graphql.notifications.service.push, .mobile)
    push_delivery_interval_seconds: float = Field(default=2.0, ge=0)
    """How often each server process sends due push deliveries (safe with many processes:
    rows are claimed with FOR UPDATE SKIP LOCKED); 0 sends none in this process."""
    push_max_attempts: int = Field(default=8, ge=1, le=30)
    """Attempts at a delivery before it is FAILED (transient failures back off 2ⁿ × 15 s)."""
    push_timeout_seconds: float = Field(default=10.0, gt=0)
    vapid_private_key: str | None = None
    """The Web Push VAPID private key (PEM, or the raw P-256 scalar in base64url); required
    in production, in development made at first start as ``<data_dir>/vapid-key.pem``."""
    vapid_subject: str = "mailto:push@edom.example"
    """The VAPID ``sub`` claim: a contact of the operator for push services."""
    fcm_project_id: str | None = None
    """Firebase project for FCM HTTP v1; with ``fcm_service_account_file`` enables FCM."""
    fcm_service_account_file: Path | None = None
    apns_team_id: str | None = None
    """APNs token auth: team id, key id, the .p8 key file and the app's bundle id."""
    apns_key_id: str | None = None
    apns_key_file: Path | None = None
    apns_topic: str | None = None
    apns_sandbox: bool = False

    dashboard_login_url: str | None = None
    """Where the repair desk at ``/dashboard`` sends staff to sign in (a production login
    that returns to ``/dashboard#access_token=…``); unset: staff paste a token."""

    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    log_json: bool = False
    """JSON log lines; unset: JSON in production, readable text lines in development."""

    @model_validator(mode="after")
    def _log_format_of_environment(self) -> Settings:
        if "log_json" not in self.model_fields_set:
            self.log_json = self.environment == "production"
        return self

    @field_validator("oidc_algorithms")
    @classmethod
    def _only_asymmetric(cls, value: list[str]) -> list[str]:
        weak = [alg for alg in value if alg not in ASYMMETRIC_ALGORITHMS]
        if weak:
            raise ValueError(f"only asymmetric signature algorithms are allowed, not {weak}")
        if not value:
            raise ValueError("at least one algorithm is required")
        return value

    @field_validator("dashboard_login_url")
    @classmethod
    def _web_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError("the login URL must be an http(s) URL")
        return value

    @property
    def introspection_enabled(self) -> bool:
        if self.introspection is None:
            return self.environment == "development"
        return self.introspection

    @property
    def uploads_path(self) -> Path:
        return self.uploads_dir or self.data_dir / "uploads"

    @property
    def dev_key_path(self) -> Path:
        return self.data_dir / "dev-signing-key.pem"

    @property
    def vapid_key_path(self) -> Path:
        return self.data_dir / "vapid-key.pem"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
