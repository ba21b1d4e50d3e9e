"""Settings, read from documented environment variables (see README "Configuration").

Development and tests get embedded defaults (SQLite under ``instance/``, in-process jobs).
In production (``GEE_ENV=production``) every secret must be given: there are no defaults.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask, current_app

PROJECT_ROOT = Path(__file__).resolve().parents[2]
INSTANCE_DIR = Path(os.environ.get("GEE_INSTANCE_DIR", PROJECT_ROOT / "instance"))

#: Secrets that production refuses to start without.
REQUIRED_SECRETS = ("SECRET_KEY", "GEE_KEY_ENCRYPTION_KEY")

DEVELOPMENT_SECRET = "development-only-not-secret"  # noqa: S105 - never used in production


class ConfigurationError(RuntimeError):
    """Raised at start-up when the environment is unusable (e.g. a missing secret)."""


def _int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be a whole number, got {raw!r}") from exc


LOCALES = ("ca", "es", "en")


def _locale(value: str) -> str:
    if value not in LOCALES:
        raise ConfigurationError(f"GEE_DEFAULT_LOCALE must be one of {', '.join(LOCALES)}")
    return value


@dataclass(frozen=True)
class Settings:
    env: str
    secret_key: str
    database_url: str
    redis_url: str | None
    document_store: Path
    key_encryption_key: str
    public_base_url: str
    log_level: str
    log_format: str
    max_upload_bytes: int
    max_bpmn_bytes: int
    script_timeout_seconds: float
    script_memory_mb: int
    login_max_failures: int
    #: Language of messages outside a web request (CLI, worker); the web uses the user's choice.
    default_locale: str = "ca"
    #: RFC 3161 time-stamping authority for the audit checkpoints (unset: checkpoints carry no timestamp).
    tsa_url: str | None = None
    #: PEM bundle of the roots the TSA's certificate must chain to (unset: the token's chain is not checked).
    tsa_trust_roots: Path | None = None
    #: Webhooks may call loopback/private addresses (engine/webhooks/addresses.py); off in production.
    webhook_private_addresses: bool = False
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def demo_ca_certificate(self) -> Path:
        """The demo certification authority's certificate (made by ``gee demo``; trusted outside production)."""
        return self.document_store.parent / "demo-ca" / "ca.pem"

    @property
    def production(self) -> bool:
        return self.env == "production"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        gee_env = env.get("GEE_ENV", "development")
        if gee_env not in ("development", "production", "testing"):
            raise ConfigurationError("GEE_ENV must be development, production or testing")
        if gee_env == "production":
            missing = [name for name in REQUIRED_SECRETS if not env.get(name)]
            if missing:
                raise ConfigurationError(
                    "Refusing to start in production without: " + ", ".join(missing)
                )
            if not env.get("DATABASE_URL"):
                raise ConfigurationError("Refusing to start in production without DATABASE_URL")
            if env.get("GEE_OIDC_ISSUER"):
                missing = [n for n in ("GEE_OIDC_CLIENT_ID", "GEE_OIDC_CLIENT_SECRET") if not env.get(n)]
                if missing:
                    raise ConfigurationError("GEE_OIDC_ISSUER is set but not: " + ", ".join(missing))
        default_db = f"sqlite:///{INSTANCE_DIR / 'gee.sqlite3'}"
        return cls(
            env=gee_env,
            secret_key=env.get("SECRET_KEY") or DEVELOPMENT_SECRET,
            database_url=env.get("DATABASE_URL") or default_db,
            redis_url=env.get("REDIS_URL") or None,
            document_store=Path(env.get("GEE_DOCUMENT_STORE") or INSTANCE_DIR / "documents"),
            key_encryption_key=env.get("GEE_KEY_ENCRYPTION_KEY") or DEVELOPMENT_SECRET,
            public_base_url=env.get("GEE_PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
            log_level=env.get("GEE_LOG_LEVEL", "INFO").upper(),
            log_format=env.get("GEE_LOG_FORMAT", "json" if gee_env == "production" else "text"),
            max_upload_bytes=_int(env, "GEE_MAX_UPLOAD_MB", 25) * 1024 * 1024,
            max_bpmn_bytes=_int(env, "GEE_MAX_BPMN_KB", 2048) * 1024,
            script_timeout_seconds=float(env.get("GEE_SCRIPT_TIMEOUT_SECONDS", "2")),
            script_memory_mb=_int(env, "GEE_SCRIPT_MEMORY_MB", 256),
            login_max_failures=_int(env, "GEE_LOGIN_MAX_FAILURES", 5),
            default_locale=_locale(env.get("GEE_DEFAULT_LOCALE", "ca")),
            tsa_url=env.get("GEE_TSA_URL") or None,
            tsa_trust_roots=Path(env["GEE_TSA_TRUST_ROOTS"]) if env.get("GEE_TSA_TRUST_ROOTS") else None,
            webhook_private_addresses=env.get("GEE_WEBHOOK_PRIVATE_ADDRESSES",
                                              "0" if gee_env == "production" else "1") == "1",
        )


def settings_of(app: Flask) -> Settings:
    """The settings an application was built with (web app, worker or CLI)."""
    settings: Settings = app.config["GEE_SETTINGS"]
    return settings


def current_settings() -> Settings:
    """The settings of the application in whose context this runs: the one way engine code reads settings."""
    return settings_of(current_app)
