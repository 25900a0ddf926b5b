"""Configuration, read from the environment when create_app builds it (never at import)."""
import os
from datetime import timedelta
from pathlib import Path

from rules.digits import ascii_int

INSTANCE = Path(__file__).resolve().parent.parent / "instance"


def _laptop_secret(path: Path | None = None) -> str:
    """No SECRET_KEY in the environment: keep a random one in instance/ (never in
    the repo), so a laptop install works and sessions survive restarts.

    Written atomically and private from its first byte: the key goes into a
    temporary file created 0600 (O_EXCL, whatever the umask), then is linked into
    place, which fails if another process got there first. So there is no moment
    when the key file exists half-written or readable by others, and two
    processes starting at once end with the same key (the first one linked)."""
    import secrets

    path = path or INSTANCE / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.fchmod(fd, 0o600)  # os.open's mode is masked by the umask, never widened: set it exactly
            os.write(fd, secrets.token_hex(32).encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process's key won: use it
        finally:
            os.unlink(tmp)
    return path.read_text().strip()


def _yes(env, name: str, default: bool) -> bool:
    """A yes/no setting: 1, true or yes (any case) is yes; unset is ``default``."""
    value = env.get(name)
    return default if value is None or value == "" else value.lower() in ("1", "true", "yes")


def _is_postgresql(url: str) -> bool:
    return url.split(":", 1)[0].split("+", 1)[0] in ("postgresql", "postgres")


# A key an attacker could guess or brute-force offline signs nothing in production:
# 32 bytes, as `secrets.token_hex(32)` (64 characters) comfortably gives.
MIN_KEY_BYTES = 32


def _listed_keys(env, name: str) -> list[str]:
    """A comma-separated list of keys (the first is the current one), blanks ignored."""
    return [part.strip() for part in env.get(name, "").split(",") if part.strip()]


def _strong_enough(name: str, keys) -> None:
    for key in keys:
        if len(key.encode()) < MIN_KEY_BYTES:
            raise RuntimeError(
                f"{name} holds a key shorter than {MIN_KEY_BYTES} bytes: with PostgreSQL (production) every key "
                "must be at least that long (e.g. python -c 'import secrets; print(secrets.token_hex(32))').")


class Config:
    def __init__(self, env=None):
        env = os.environ if env is None else env
        self.SQLALCHEMY_DATABASE_URI = env.get(
            "DATABASE_URL", f"sqlite:///{INSTANCE / 'spoa.sqlite3'}"
        )
        # Heroku-style URLs say postgres://; SQLAlchemy wants postgresql://.
        if self.SQLALCHEMY_DATABASE_URI.startswith("postgres://"):
            self.SQLALCHEMY_DATABASE_URI = "postgresql://" + self.SQLALCHEMY_DATABASE_URI[11:]
        # On PostgreSQL several machines serve the same users: each must sign and
        # check sessions with the same key, so it comes from the environment,
        # never a key file one machine made for itself.
        if env.get("SECRET_KEY"):
            self.SECRET_KEY = env["SECRET_KEY"]
        elif _is_postgresql(self.SQLALCHEMY_DATABASE_URI):
            raise RuntimeError(
                "SECRET_KEY must be set when DATABASE_URL is PostgreSQL: every machine serving SPOA "
                "needs the same one (e.g. python -c 'import secrets; print(secrets.token_hex(32))', "
                "kept in your secret store and given to web and worker processes alike).")
        else:
            self.SECRET_KEY = _laptop_secret()
        self._keys(env)
        # redis://[:password@]host:port/db, or rediss:// for TLS (redis-py reads both;
        # used as given by the app, the workers and the live queue).
        self.REDIS_URL = env.get("REDIS_URL", "redis://127.0.0.1:6379/0")
        # Pub/sub channels ignore the db number: a second SPOA on the same Redis needs its own.
        self.LIVE_CHANNEL = env.get("LIVE_CHANNEL", "spoa:queue")
        self.DEMO_CREDENTIALS = env.get("DEMO_CREDENTIALS", str(INSTANCE / "demo-credentials.json"))
        # hide_parameters: the values bound to a statement are patient details;
        # keep them out of SQLAlchemy's own error messages and logs.
        # No pool_pre_ping (a round trip on every checkout, so on every request): a connection
        # is pinged only after sitting idle, and recycled after POOL_RECYCLE_SECONDS
        # (spoa/platform/database.py, _ping_when_idle, says how a dropped connection is recovered).
        from spoa.platform.database import POOL_RECYCLE_SECONDS

        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_recycle": POOL_RECYCLE_SECONDS, "hide_parameters": True}
        if env.get("SPOA_COOPERATIVE") == "1" and self.SQLALCHEMY_DATABASE_URI.startswith("sqlite"):
            # gevent workers (gunicorn.conf.py): SQLite's busy wait would freeze the greenlet
            # holding the write lock too; one connection, handed on by the pool, queues them instead.
            self.SQLALCHEMY_ENGINE_OPTIONS.update(pool_size=1, max_overflow=0, pool_timeout=30)
        # Intake contract: a body over 64 KiB is refused with 413.
        self.MAX_CONTENT_LENGTH = 64 * 1024
        # How long a process may answer an API token from its own cache at most. A revocation
        # or any change to a client reaches every process at once through Redis
        # (spoa/api/client_cache.py); this bounds only a change announced while Redis blinked.
        # 0: every request reads its client from the database.
        self.API_CLIENT_CACHE_SECONDS = float(env.get("API_CLIENT_CACHE_SECONDS", "10"))
        # Default per-client rate (requests a minute) when a client has none of its own.
        self.API_RATE_LIMIT_PER_MINUTE = int(env.get("API_RATE_LIMIT_PER_MINUTE", "600"))
        self.RULES_DIR = env.get("RULES_DIR")  # None: rules/policy in the repo
        # SPOA's own Directory of Services ids: a BaRS message must be addressed to one of
        # them (MessageHeader.destination.endpoint), or it is refused as not for us.
        self.SPOA_DOS_SERVICE_IDS = tuple(
            part.strip() for part in env.get("SPOA_DOS_SERVICE_IDS", "").split(",") if part.strip())
        # How far back a sender may date received_at: older is refused (422), never
        # a clock born hours past its breach (spoa/schemas/intake.py).
        self.RECEIPT_MAX_AGE_HOURS = float(env.get("RECEIPT_MAX_AGE_HOURS", "24"))
        if not 0 < self.RECEIPT_MAX_AGE_HOURS <= 24 * 366:
            raise ValueError("RECEIPT_MAX_AGE_HOURS must be a number of hours above 0 and at most a year")
        # Email notifications (only for recipients given an email channel).
        self.SMTP_HOST = env.get("SMTP_HOST", "127.0.0.1")
        self.SMTP_PORT = int(env.get("SMTP_PORT", "25"))
        self.SMTP_FROM = env.get("SMTP_FROM", "spoa@localhost")
        # Email and webhook delivery (its own job): each attempt's whole time, DNS to last
        # byte (a hard deadline, however slowly the far end answers), and a pass's budget,
        # after which what it had not begun is given back.
        self.DELIVERY_TIMEOUT_SECONDS = float(env.get("DELIVERY_TIMEOUT_SECONDS", "5"))
        self.DELIVERY_BUDGET_SECONDS = float(env.get("DELIVERY_BUDGET_SECONDS", "20"))
        # Sends in flight at once in one pass, and passes that may run at once across the
        # workers (each claims its own notifications).
        self.DELIVERY_CONCURRENCY = int(env.get("DELIVERY_CONCURRENCY", "8"))
        self.DELIVERY_PASSES = int(env.get("DELIVERY_PASSES", "4"))
        if self.DELIVERY_CONCURRENCY < 1 or self.DELIVERY_PASSES < 1:
            raise ValueError("DELIVERY_CONCURRENCY and DELIVERY_PASSES must be at least 1")
        # A receiver that fails this many times running is left alone for this long (its
        # circuit is open), then tried with one notification (spoa/notifications/circuits.py).
        self.DELIVERY_CIRCUIT_FAILURES = int(env.get("DELIVERY_CIRCUIT_FAILURES", "5"))
        self.DELIVERY_CIRCUIT_OPEN_SECONDS = float(env.get("DELIVERY_CIRCUIT_OPEN_SECONDS", "60"))
        # Where callbacks, BaRS endpoints and webhooks may be besides the public internet
        # (comma-separated CIDRs, e.g. 10.20.0.0/16): loopback, private, link-local and other
        # non-public addresses, and plain http://, are refused outside them (spoa/outbound).
        from spoa.platform.outbound.policy import parse_networks

        self.OUTBOUND_ALLOW_NETWORKS = env.get("OUTBOUND_ALLOW_NETWORKS", "")
        parse_networks(self.OUTBOUND_ALLOW_NETWORKS)  # a mistyped network stops the start, with its name
        # How often the reconciler runs (once a period, county-wide): a threshold is
        # recorded at most this long after it falls due.
        self.RECONCILE_EVERY_SECONDS = int(env.get("RECONCILE_EVERY_SECONDS", "1"))
        # How often the delayed-days sweep looks for discharges with no reason for
        # today (it alerts only from discharge.yaml's delay_alert_at, each once a day).
        self.DELAY_SWEEP_EVERY_SECONDS = int(env.get("DELAY_SWEEP_EVERY_SECONDS", "60"))
        # Log lines: json (one JSON object a line, with request_id, job_id and referral_id
        # fields; the default, as production wants) or text (a person reading a terminal).
        self.LOG_FORMAT = env.get("LOG_FORMAT", "json")
        # /metrics (spoa/metrics): set, a scrape must send "Authorization: Bearer <token>";
        # unset, only a direct loopback request (no proxy's forwarding header) is answered.
        self.METRICS_TOKEN = env.get("METRICS_TOKEN") or None
        # Retention (spoa/services/retention.py; docs/security.md, "Retention"): days kept, then pruned.
        # A raw BaRS body counts from its referral's closing (an open referral's is never pruned).
        self.RETAIN_FHIR_BODY_DAYS = _days(env, "RETAIN_FHIR_BODY_DAYS", 90)
        self.RETAIN_ACCESS_EVENTS_DAYS = _days(env, "RETAIN_ACCESS_EVENTS_DAYS", 2922)  # 8 years
        self.RETAIN_DELIVERED_NOTIFICATIONS_DAYS = _days(env, "RETAIN_DELIVERED_NOTIFICATIONS_DAYS", 732)  # 2 years
        # How often each worker's ticker runs the prune (one run a period across the cluster):
        # hourly, so a restarted worker never skips a day; a run with nothing due costs a few queries.
        self.PRUNE_EVERY_SECONDS = int(env.get("PRUNE_EVERY_SECONDS", "3600"))
        # The analyst's row-level extract (spoa/reports/extract.py): every combination of its
        # quasi-identifiers is shared by at least this many rows, or the rows are not given.
        self.EXTRACT_MIN_CELL = int(env.get("EXTRACT_MIN_CELL", "5"))
        if self.EXTRACT_MIN_CELL < 2:
            raise ValueError("EXTRACT_MIN_CELL must be a whole number of at least 2")
        self.TESTING = False
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        # Proxies in front of SPOA (a TLS terminator, a load balancer): their X-Forwarded-For
        # and -Proto are believed, that many hops deep, so the sign-in throttle counts each
        # person's address rather than the proxy's. 0 (a laptop, direct): headers ignored,
        # since anyone could send them.
        self.PROXY_FIX_HOPS = int(env.get("PROXY_FIX_HOPS", "0"))
        self.PREFERRED_URL_SCHEME = env.get("PREFERRED_URL_SCHEME", "http")
        # TLS in front (a proxy, or addresses made as https): the session cookie goes only over
        # HTTPS, under the __Host- prefix (no Domain, Path=/: no sibling site can set or
        # shadow it), and browsers are told to use nothing but HTTPS here (HSTS). The laptop
        # (scripts/run: plain http on 127.0.0.1) has neither. Each can be set either way.
        behind_tls = self.PROXY_FIX_HOPS > 0 or self.PREFERRED_URL_SCHEME == "https"
        self.SESSION_COOKIE_SECURE = _yes(env, "SESSION_COOKIE_SECURE", behind_tls)
        self.SESSION_COOKIE_NAME = "__Host-session" if self.SESSION_COOKIE_SECURE else "session"
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE  # Flask-Login's, should one ever be set
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.HSTS = _yes(env, "HSTS", behind_tls)
        # Sessions end after this long without a request (idle) and this long after
        # sign-in whatever happens (a shift), checked on the server from the session's
        # own timestamps (spoa/web/security.py). The cookie's signature expires then too.
        self.SESSION_IDLE_MINUTES = int(env.get("SESSION_IDLE_MINUTES", "30"))
        self.SESSION_MAX_HOURS = int(env.get("SESSION_MAX_HOURS", "12"))
        # A form's CSRF token does not age on its own (Flask-WTF's default is an hour): it is
        # bound to the session, which the two limits above already end, and a referral typed
        # over a long phone call must not be refused for the form's age alone.
        self.WTF_CSRF_TIME_LIMIT = None
        # A new-referral form whose Save came after the session ended is kept (sealed) this
        # long for the person who typed it, to be shown again when they sign in (web/form_stash.py).
        self.FORM_STASH_MINUTES = int(env.get("FORM_STASH_MINUTES", "30"))
        self.PERMANENT_SESSION_LIFETIME = timedelta(hours=self.SESSION_MAX_HOURS)
        # Patients (distinct NHS numbers, or names + birth date + postcode) one person may look up
        # with the new-referral form's duplicate check in a rolling hour (spoa/services/lookups.py);
        # beyond it the preview answers 429, and Save still works.
        self.DUPLICATE_LOOKUPS_PER_HOUR = int(env.get("DUPLICATE_LOOKUPS_PER_HOUR", "30"))
        # Failed sign-ins allowed from one address in a window, before 429 (the per-account lockout is apart).
        self.SIGN_IN_ATTEMPTS_PER_ADDRESS = int(env.get("SIGN_IN_ATTEMPTS_PER_ADDRESS", "20"))
        self.SIGN_IN_THROTTLE_MINUTES = int(env.get("SIGN_IN_THROTTLE_MINUTES", "5"))
        # Responses compressed by the app (spoa/platform/wire.py); 0 where a proxy in front compresses them instead.
        self.COMPRESS_RESPONSES = _yes(env, "COMPRESS_RESPONSES", True)

    def _keys(self, env) -> None:
        """One key for each job, each rotatable (docs/security.md, "Keys and their rotation"):
        SECRET_KEY signs sessions (an old one kept in SECRET_KEY_FALLBACKS still reads
        them), SEAL_KEYS seal webhook secrets (spoa/platform/sealed.py: the first seals, all read),
        EXTRACT_PSEUDONYM_KEY keys the analyst extract's pseudonyms. A laptop makes
        its own in instance/; with PostgreSQL they come from the environment, and
        every key given must be long enough."""
        production = _is_postgresql(self.SQLALCHEMY_DATABASE_URI)
        self.SECRET_KEY_FALLBACKS = _listed_keys(env, "SECRET_KEY_FALLBACKS")
        self.SEAL_KEYS = _listed_keys(env, "SEAL_KEYS")
        if not self.SEAL_KEYS and not production:
            self.SEAL_KEYS = [_laptop_secret(INSTANCE / "seal_key")]
        # Unset in production: the analyst extract is refused (web/reports.py), nothing else needs it.
        self.EXTRACT_PSEUDONYM_KEY = env.get("EXTRACT_PSEUDONYM_KEY") or (
            None if production else _laptop_secret(INSTANCE / "extract_pseudonym_key"))
        if production:
            _strong_enough("SECRET_KEY", [self.SECRET_KEY])
            _strong_enough("SECRET_KEY_FALLBACKS", self.SECRET_KEY_FALLBACKS)
            _strong_enough("SEAL_KEYS", self.SEAL_KEYS)
            _strong_enough("EXTRACT_PSEUDONYM_KEY", [self.EXTRACT_PSEUDONYM_KEY] if self.EXTRACT_PSEUDONYM_KEY else [])


def _days(env, name: str, default: int) -> int:
    days = ascii_int(env.get(name, str(default)), most=9)
    if days is None or days < 1:
        raise ValueError(f"{name} must be a whole number of days, at least 1")
    return days


class TestConfig(Config):
    __test__ = False  # a configuration, not a test class (pytest collects Test* names)

    def __init__(self, env=None):
        super().__init__(env)
        self.TESTING = True
        # Test output is read by people: text, unless a test asks for JSON.
        self.LOG_FORMAT = (os.environ if env is None else env).get("LOG_FORMAT", "text")
        # The tests' receivers are servers on this machine.
        self.OUTBOUND_ALLOW_NETWORKS = (os.environ if env is None else env).get(
            "OUTBOUND_ALLOW_NETWORKS", "127.0.0.0/8,::1/128")
