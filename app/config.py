"""Configuration read from the environment, with embedded defaults for one machine."""
import os


class Config:
    """Settings; every value can be overridden by an environment variable of the same name."""

    def __init__(self, instance_path: str):
        env = os.environ.get
        self.SECRET_KEY = env("SECRET_KEY") or _instance_secret(instance_path)
        self.SQLALCHEMY_DATABASE_URI = _with_driver(env("DATABASE_URL")) or (
            "sqlite:///" + os.path.join(instance_path, "dangyuan.sqlite3"))
        self.UPLOAD_FOLDER = env("UPLOAD_FOLDER") or os.path.join(instance_path, "uploads")
        # "outbox" stores messages in a table; a real gateway plugs in as another sender.
        self.SMS_SENDER = env("SMS_SENDER", "outbox")
        self.MAX_CONTENT_LENGTH = int(env("MAX_CONTENT_LENGTH", str(60 * 1024 * 1024)))
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = env("SESSION_COOKIE_SECURE", "0") == "1"
        # pre-ping: a `SELECT 1` at every connection checkout (one per request), so a pooled connection the
        # database dropped (restart, failover) is replaced instead of failing one request. Off by default: the
        # round trip costs about 5 % of a completion's throughput; instead connections are replaced after
        # DATABASE_POOL_RECYCLE seconds (idle-timeout firewalls), and after a database restart each worker's
        # first request on a dead connection fails once (the pool then discards all its connections).
        # Set DATABASE_POOL_PRE_PING=1 where failovers are frequent.
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": env("DATABASE_POOL_PRE_PING", "0") == "1",
                                          "pool_recycle": int(env("DATABASE_POOL_RECYCLE", "1800"))}
        self.WTF_CSRF_TIME_LIMIT = None
        # Only the test suite may switch this on: it lets a test read the captcha answer.
        self.CAPTCHA_TEST_HOOK = False
        self.PAGE_SIZE = int(env("PAGE_SIZE", "20"))
        # Per-worker caches of the engine (app/lru.py): parsed diagrams (deployed versions and
        # drafts being validated) and loaded workflows by (instance, version).
        self.SPEC_CACHE_SIZE = int(env("SPEC_CACHE_SIZE", "64"))
        self.WORKFLOW_CACHE_SIZE = int(env("WORKFLOW_CACHE_SIZE", "64"))
        self.GC_FREEZE = env("GC_FREEZE", "1") == "1"
        # The shared Redis of several servers (rate-limit counters; README → Production layout).
        self.REDIS_URL = env("REDIS_URL", "")
        # Rate limits of the sign-in endpoints (app/auth/limits.py). Counters in process memory by default
        # (per process: one server only); with REDIS_URL set they live in that Redis, shared by every server.
        self.RATELIMIT_ENABLED = env("RATELIMIT_ENABLED", "1") == "1"
        self.RATELIMIT_STORAGE_URI = env("RATELIMIT_STORAGE_URI") or self.REDIS_URL or "memory://"
        self.RATELIMIT_STRATEGY = "moving-window"
        self.RATELIMIT_HEADERS_ENABLED = True
        self.LOGIN_LIMIT_PER_IP = env("LOGIN_LIMIT_PER_IP", "20 per minute;200 per hour")
        self.LOGIN_LIMIT_PER_ACCOUNT = env("LOGIN_LIMIT_PER_ACCOUNT", "10 per minute;30 per hour")
        self.CODE_LIMIT_PER_IP = env("CODE_LIMIT_PER_IP", "10 per minute;60 per hour")
        self.CODE_LIMIT_PER_ACCOUNT = env("CODE_LIMIT_PER_ACCOUNT", "5 per minute;20 per hour")
        self.CAPTCHA_LIMIT_PER_IP = env("CAPTCHA_LIMIT_PER_IP", "30 per minute")
        # Number of reverse proxies in front of the app whose X-Forwarded-For is trusted (0: none), so that
        # per-address limits and logs see the client's address rather than the proxy's.
        self.TRUSTED_PROXIES = int(env("TRUSTED_PROXIES", "0"))
        # The job queue (app/jobs): Redis when REDIS_URL is set (several servers and workers), else a SQLite
        # file under instance/. JOBS_IMMEDIATE=1 runs tasks in the enqueuing process (tests, debugging).
        self.REDIS_URL = env("REDIS_URL") or None
        self.JOBS_SQLITE = env("JOBS_SQLITE") or os.path.join(instance_path, "jobs.sqlite3")
        self.JOBS_IMMEDIATE = env("JOBS_IMMEDIATE", "0") == "1"
        # 数据导入 (app/onboarding): worker processes that check a large file's rows in parallel (forked by the job).
        self.ONBOARDING_PROCESSES = int(env("ONBOARDING_PROCESSES", str(os.cpu_count() or 1)))
        # 核验 of a scope as a job (app/jobs/tasks.py): worker processes that verify a large scope in parallel.
        self.VERIFY_PROCESSES = int(env("VERIFY_PROCESSES", str(os.cpu_count() or 1)))
        # 党员信息同步 (app/registry): where events are POSTed, the HMAC key they are signed with, and the
        # retry policy (attempt n waits REGISTRY_RETRY_BASE · 2^(n-1) seconds, at most 6 hours).
        self.REGISTRY_URL = env("REGISTRY_URL") or None
        self.REGISTRY_SECRET = env("REGISTRY_SECRET", "")
        self.REGISTRY_TIMEOUT = float(env("REGISTRY_TIMEOUT", "10"))
        self.REGISTRY_MAX_ATTEMPTS = int(env("REGISTRY_MAX_ATTEMPTS", "8"))
        self.REGISTRY_RETRY_BASE = float(env("REGISTRY_RETRY_BASE", "30"))
        # e支部 党务公开: its endpoint for the board's notices and their HMAC key (same outbox, retries and
        # signature as the registry); PUBLIC_BASE_URL is the board's public address, for the links they carry.
        self.ESTATION_URL = env("ESTATION_URL") or None
        self.ESTATION_SECRET = env("ESTATION_SECRET", "")
        self.PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", "").rstrip("/")

    def as_dict(self) -> dict:
        return {k: v for k, v in vars(self).items() if k.isupper()}


def _with_driver(url: str | None) -> str | None:
    """A PostgreSQL URL that names no driver gets psycopg 3 (SQLAlchemy would pick psycopg2, which the
    requirements no longer install); ``postgresql+psycopg2://`` still selects psycopg2 where it is installed."""
    for bare in ("postgresql://", "postgres://"):
        if url and url.startswith(bare):
            return "postgresql+psycopg://" + url[len(bare):]
    return url


def _instance_secret(instance_path: str) -> str:
    """A random key kept in the instance folder, so sessions survive restarts without configuration."""
    path = os.path.join(instance_path, "secret_key")
    if not os.path.exists(path):
        os.makedirs(instance_path, exist_ok=True)
        with open(path, "w") as fh:
            fh.write(os.urandom(32).hex())
        os.chmod(path, 0o600)
    with open(path) as fh:
        return fh.read().strip()
