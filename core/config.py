"""Configuration: defaults, then the environment, then the caller's override."""

import os
import re
import secrets
from datetime import timedelta
from pathlib import Path

from core.db import SQLITE_BUSY_TIMEOUT_SECONDS, normalise_database_url

DEFAULTS = {
    # "production" refuses to start without SECRET_KEY or with an outdated schema;
    # "demo" generates a key under instance/ and migrates by itself.
    "ENV": "production",
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    # Seconds an SQLite connection waits for the write lock (see core.db).
    "SQLITE_BUSY_TIMEOUT": SQLITE_BUSY_TIMEOUT_SECONDS,
    "BABEL_DEFAULT_LOCALE": "vi",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
    "BABEL_TRANSLATION_DIRECTORIES": "translations",
    "LANGUAGES": ("vi", "en"),
    # Session cookies: the server-side record decides; the cookie only names it.
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": True,
    "SESSION_COOKIE_NAME": "tuluc_session",
    "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
    # The cookie lives as long as the longest session (set at login) and the server ends
    # an idle one: sending it again with every page only cost 420 bytes a page over 2G.
    "SESSION_REFRESH_EACH_REQUEST": False,
    "SESSION_IDLE_MINUTES": 30,
    "SESSION_MAX_HOURS": 12,
    # A form sent after its session ended is kept this long for its user to log in again.
    "FORM_DRAFT_MINUTES": 120,
    "REMEMBER_COOKIE_DURATION": timedelta(seconds=0),
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are trusted (0: none).
    "PROXY_COUNT": 0,
    # Login throttling (accounts.throttle): refusals per (username, address) and per
    # address within the window; per username only a growing delay, which an address
    # that has not failed for that username does not wait for. Member codes: after a
    # few wrong PINs a day, a doubling delay for every phone the member has not logged
    # in from (accounts.throttle).
    "LOGIN_WINDOW_MINUTES": 15,
    "LOGIN_MAX_FAILURES_PER_USER_AND_IP": 5,
    "LOGIN_MAX_FAILURES_PER_IP": 30,
    "LOGIN_SLOW_AFTER_FAILURES_PER_USER": 5,
    "LOGIN_MAX_DELAY_SECONDS": 900,
    "LOGIN_MEMBER_SLOW_AFTER_FAILURES_PER_DAY": 5,
    "LOGIN_MEMBER_MAX_DELAY_SECONDS": 4 * 3600,
    "LOGIN_MEMBER_CLEAN_ADDRESSES_PER_DAY": 20,
    # Wrong codes from the authenticator app per user in a day, from all addresses
    # together; then only recovery codes are checked (accounts.code_lock).
    "LOGIN_MAX_WRONG_CODES_PER_USER_PER_DAY": 10,
    # Two-factor sign-in, required for admins and coordinators (accounts.two_factor):
    # skipping it is allowed in demo and tests only.
    "TWO_FACTOR_SKIP": False,
    # argon2id; argon2-cffi's defaults are RFC 9106's low-memory profile (64 MiB, t=3).
    "ARGON2_TIME_COST": 3,
    "ARGON2_MEMORY_COST": 65536,
    "ARGON2_PARALLELISM": 4,
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    "WTF_CSRF_TIME_LIMIT": 8 * 3600,
    # Flask-WTF's https check wants a Referer, which Referrer-Policy: no-referrer never
    # sends: behind a TLS proxy (ProxyFix) every form would fail. The token and
    # SameSite=Lax cookies do the job.
    "WTF_CSRF_SSL_STRICT": False,
    "PER_PAGE": 25,
    # No date before this year is accepted: the programme's records start then.
    "PROGRAMME_START_YEAR": 2015,
    # Periods of figures (?from=&to=) are cut to this many days, ending on `to`.
    "MAX_PERIOD_DAYS": 731,
    # Livelihood checks after a grant's first disbursement, in months.
    "FOLLOW_UP_MONTHS": (1, 3, 6, 12),
    # Members who left their last group this many years ago are anonymised (daily job).
    "RETENTION_YEARS": 5,
    # Exports (reports.export_jobs): a table of more rows than this is written by a job
    # in the background ("thread": in the web process that queued it), kept in
    # EXPORT_DIR (default instance/exports, 0700) and deleted this many days after.
    "EXPORT_DIRECT_MAX_ROWS": 50_000,
    "EXPORT_KEEP_DAYS": 7,
    "EXPORT_DIR": None,
    "EXPORT_JOBS_RUNNER": "thread",
    # Imports (imports.job_runner): a confirmed import of more rows than this runs as a
    # job in a thread of the web process ("thread"), resumed by the scheduler if stopped.
    "IMPORT_DIRECT_MAX_ROWS": 1000,
    "IMPORT_JOBS_RUNNER": "thread",
    # Disclosure control of figures that leave the case team (reports.suppression):
    # amounts, shares and medians over fewer values than the threshold are hidden (never
    # under 3); counts are rounded at random to the base, amounts to the amount base, the
    # same way for the same people under the key (derived from SECRET_KEY when unset:
    # set it once, since changing it changes every published figure).
    "DISCLOSURE_THRESHOLD": 5,
    "DISCLOSURE_ROUNDING_BASE": 5,
    "DISCLOSURE_AMOUNT_BASE": 5_000_000,
    "DISCLOSURE_KEY": None,
    # Email of notifications: off until SMTP_HOST is set.
    "SMTP_HOST": None,
    "SMTP_PORT": 25,
    "MAIL_FROM": "tuluc@localhost",
    # The programme's office, printed on referral letters so a provider can reply
    # (TULUC_OFFICE_NAME, TULUC_OFFICE_ADDRESS, TULUC_OFFICE_PHONE).
    "OFFICE_NAME": None,
    "OFFICE_ADDRESS": None,
    "OFFICE_PHONE": None,
    # The link printed on a referral letter for the provider to answer
    # (support/services/provider_links.py) works this many days after it was made, unless
    # the referral closes or the consent it relies on is withdrawn first. The code entered
    # with it is throttled like a login.
    "PROVIDER_LINK_DAYS": 30,
    # How long a browser that entered a letter's code may act on it without the code again.
    "PROVIDER_LINK_SESSION_MINUTES": 60,
    # The address people outside reach the app at ("https://tuluc.example.vn"), printed on
    # letters as a link and a QR code; unset, the address of the request that printed it
    # (which behind a proxy or on an internal name may not be reachable by a provider).
    "PUBLIC_URL": None,
}


# The demo's office, so its referral letters show what a real one carries.
DEMO_OFFICE = {
    "OFFICE_NAME": "Ban điều phối chương trình Tự Lực (bản thử)",
    "OFFICE_ADDRESS": "12 Lê Lợi, phường Thuận Hóa, thành phố Huế",
    "OFFICE_PHONE": "02343822555",
}


def load_config(app, override: dict | None) -> None:
    """Fill app.config from defaults, the environment and an explicit override."""
    app.config.update(DEFAULTS)
    app.config.from_prefixed_env("TULUC")
    for name in ("SECRET_KEY", "DATABASE_URL"):
        if os.environ.get(name):
            app.config[name] = os.environ[name]
    if override:
        app.config.update(override)

    public = app.config.get("PUBLIC_URL")
    if public and not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", str(public)):
        raise SystemExit(
            f"PUBLIC_URL is not an address: {public!r}. Set TULUC_PUBLIC_URL to the address "
            "people reach the app at, e.g. https://tuluc.example.vn"
        )

    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    url = app.config.get("DATABASE_URL") or app.config.get("SQLALCHEMY_DATABASE_URI")
    if not url:
        url = "sqlite:///" + str(Path(app.instance_path) / "tuluc.sqlite3")
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(url)

    if app.config["ENV"] == "demo":
        app.config["SESSION_COOKIE_SECURE"] = False
        # A newcomer can look around without an authenticator app (README), unless told.
        if "TWO_FACTOR_SKIP" not in (override or {}) and not os.environ.get(
            "TULUC_TWO_FACTOR_SKIP"
        ):
            app.config["TWO_FACTOR_SKIP"] = True
        if not app.config.get("SECRET_KEY"):
            app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))
        for name, value in DEMO_OFFICE.items():
            app.config[name] = app.config[name] or value
    if app.config["ENV"] == "production" and app.config["TWO_FACTOR_SKIP"]:
        raise SystemExit(
            "TWO_FACTOR_SKIP is only for the demo: in production administrators and "
            "coordinators always sign in with a second factor. Unset TULUC_TWO_FACTOR_SKIP."
        )
    if not app.config.get("SECRET_KEY"):
        raise SystemExit(
            "SECRET_KEY is not set. Set it in the environment to a long random value, e.g.\n"
            "  export SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
        )
    check_disclosure_settings(app.config)
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=app.config["SESSION_MAX_HOURS"])
    # Bound values (names, phones, notes) never reach a log or an error report, whatever
    # the engine options given: SQLAlchemy puts them in every DBAPIError's text otherwise.
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
        **(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {}),
        "hide_parameters": True,
    }


MIN_DISCLOSURE_THRESHOLD = 3


def check_disclosure_settings(config) -> None:
    """Refuse to start with disclosure parameters that would not protect anyone."""
    names = ("DISCLOSURE_THRESHOLD", "DISCLOSURE_ROUNDING_BASE", "DISCLOSURE_AMOUNT_BASE")
    try:
        threshold, base, amount_base = (int(config[name]) for name in names)
    except (TypeError, ValueError):
        raise SystemExit(
            "DISCLOSURE_THRESHOLD, DISCLOSURE_ROUNDING_BASE and DISCLOSURE_AMOUNT_BASE "
            "must be whole numbers."
        ) from None
    if threshold < MIN_DISCLOSURE_THRESHOLD:
        raise SystemExit(
            f"DISCLOSURE_THRESHOLD is {threshold}: it may not be under "
            f"{MIN_DISCLOSURE_THRESHOLD}, or published figures could point at a person."
        )
    if base < MIN_DISCLOSURE_THRESHOLD or amount_base < 100_000:
        raise SystemExit(
            f"DISCLOSURE_ROUNDING_BASE must be at least {MIN_DISCLOSURE_THRESHOLD} and "
            "DISCLOSURE_AMOUNT_BASE at least 100000 (đồng)."
        )
    for name in names:
        config[name] = int(config[name])


def _instance_secret(instance: Path) -> str:
    path = instance / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return path.read_text().strip()
