"""Configuration, read from the environment when create_app builds it (never at import)."""
import os
from pathlib import Path

INSTANCE = Path(__file__).resolve().parent.parent / "instance"


def _laptop_secret() -> str:
    """No SECRET_KEY in the environment: keep a random one in instance/ (never in
    the repo), so a laptop install works and sessions survive restarts."""
    import secrets

    path = INSTANCE / "secret_key"
    if not path.exists():
        INSTANCE.mkdir(exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


class Config:
    def __init__(self, env=None):
        env = os.environ if env is None else env
        self.SECRET_KEY = env.get("SECRET_KEY") or _laptop_secret()
        self.SQLALCHEMY_DATABASE_URI = env.get(
            "DATABASE_URL", f"sqlite:///{INSTANCE / 'spoa.sqlite3'}"
        )
        # Heroku-style URLs say postgres://; SQLAlchemy wants postgresql://.
        if self.SQLALCHEMY_DATABASE_URI.startswith("postgres://"):
            self.SQLALCHEMY_DATABASE_URI = "postgresql://" + self.SQLALCHEMY_DATABASE_URI[11:]
        self.REDIS_URL = env.get("REDIS_URL", "redis://127.0.0.1:6379/0")
        # Pub/sub channels ignore the db number: a second SPOA on the same Redis needs its own.
        self.LIVE_CHANNEL = env.get("LIVE_CHANNEL", "spoa:queue")
        self.DEMO_CREDENTIALS = env.get("DEMO_CREDENTIALS", str(INSTANCE / "demo-credentials.json"))
        # hide_parameters: the values bound to a statement are patient details;
        # keep them out of SQLAlchemy's own error messages and logs.
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "hide_parameters": True}
        # Intake contract: a body over 64 KiB is refused with 413.
        self.MAX_CONTENT_LENGTH = 64 * 1024
        # Default per-client rate (requests a minute) when a client has none of its own.
        self.API_RATE_LIMIT_PER_MINUTE = int(env.get("API_RATE_LIMIT_PER_MINUTE", "600"))
        self.RULES_DIR = env.get("RULES_DIR")
        # How far back a sender may date received_at: older is refused (422), never
        # a clock born hours past its breach (spoa/schemas/intake.py).
        self.RECEIPT_MAX_AGE_HOURS = float(env.get("RECEIPT_MAX_AGE_HOURS", "24"))
        if not 0 < self.RECEIPT_MAX_AGE_HOURS <= 24 * 366:
            raise ValueError("RECEIPT_MAX_AGE_HOURS must be a number of hours above 0 and at most a year")
        # Email notifications (only for recipients given an email channel).
        self.SMTP_HOST = env.get("SMTP_HOST", "127.0.0.1")
        self.SMTP_PORT = int(env.get("SMTP_PORT", "25"))
        self.SMTP_FROM = env.get("SMTP_FROM", "spoa@localhost")
        # How often each worker's scheduler runs the reconciler, and how far ahead
        # it schedules RQ jobs for thresholds about to fall due.
        self.RECONCILE_EVERY_SECONDS = int(env.get("RECONCILE_EVERY_SECONDS", "1"))
        self.SCHEDULE_AHEAD_SECONDS = int(env.get("SCHEDULE_AHEAD_SECONDS", "60"))  # None: rules/policy in the repo
        self.TESTING = False
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        # Behind HTTPS (production), session cookies are Secure; a laptop on http://127.0.0.1 needs them not.
        self.SESSION_COOKIE_SECURE = env.get("SESSION_COOKIE_SECURE", "0").lower() in ("1", "true", "yes")


class TestConfig(Config):
    def __init__(self, env=None):
        super().__init__(env)
        self.TESTING = True
