"""Time of a refused (throttled) login against a normal one, with production argon2.

    .venv/bin/python -m bench.login [--runs 15] [--database-url postgresql://…]

A refused attempt must answer before any password hashing, so that looping clients
cannot load the server (the review's M2: /healthz went from 10 ms to 1.7 s). Both kinds
of request go through the Flask test client behind one trusted proxy, in alternation,
in one run; the ratio of the medians is printed (target: under 5 %).
"""

import argparse
import statistics
import sys
import tempfile
import time

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from accounts import services as account_services
from accounts.models import LoginFailure, Role
from app import create_app
from core.config import DEFAULTS
from core.db import db, normalise_database_url, utcnow
from core.schema import upgrade_schema

PASSWORD = "bench-password-long"
ATTACKER = "203.0.113.7"
LOCAL_HOSTS = {"", "localhost", "127.0.0.1", "::1"}


def build_app(url: str):
    app = create_app(
        {
            "ENV": "test",
            "TESTING": True,
            "SECRET_KEY": "bench",
            "DATABASE_URL": url,
            "SESSION_COOKIE_SECURE": False,
            "WTF_CSRF_ENABLED": False,
            "TWO_FACTOR_SKIP": True,
            "PROXY_COUNT": 1,
            # The production cost, unlike the tests' cheap settings.
            "ARGON2_TIME_COST": DEFAULTS["ARGON2_TIME_COST"],
            "ARGON2_MEMORY_COST": DEFAULTS["ARGON2_MEMORY_COST"],
            "ARGON2_PARALLELISM": DEFAULTS["ARGON2_PARALLELISM"],
        }
    )
    with app.app_context():
        upgrade_schema()
        account_services.create_user(
            None, username="admin", full_name="Admin", role=Role.ADMIN, password=PASSWORD
        )
        # Five failures from the attacker's address: its next attempts are refused.
        for _ in range(5):
            db.session.add(LoginFailure(username="admin", ip=ATTACKER, at=utcnow()))
        db.session.commit()
    return app


def timed(client, password: str, ip: str) -> tuple[float, int]:
    start = time.perf_counter()
    response = client.post(
        "/login",
        data={"username": "admin", "password": password},
        headers={"X-Forwarded-For": ip},
    )
    return time.perf_counter() - start, response.status_code


def reset_postgres(url: str) -> None:
    if make_url(url).host not in LOCAL_HOSTS and make_url(url).host is not None:
        sys.exit("bench.login only runs against a local database")
    engine = create_engine(normalise_database_url(url))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"
        if args.database_url:
            reset_postgres(url)
        app = build_app(url)
        normal, refused = [], []
        for i in range(args.runs + 2):
            # A fresh address each time: the owner of the account, who must get in.
            seconds, status = timed(app.test_client(), PASSWORD, f"198.51.100.{i % 250}")
            assert status == 302, f"normal login answered {status}"
            if i >= 2:
                normal.append(seconds)
            seconds, status = timed(app.test_client(), PASSWORD, ATTACKER)
            assert status == 429, f"refused login answered {status}"
            if i >= 2:
                refused.append(seconds)
        with app.app_context():
            db.engine.dispose()
    a = DEFAULTS
    print(
        f"database: {make_url(url).get_backend_name()}; argon2id m={a['ARGON2_MEMORY_COST']} KiB "
        f"t={a['ARGON2_TIME_COST']} p={a['ARGON2_PARALLELISM']}; {args.runs} timed requests "
        "of each kind after 2 untimed, alternating"
    )
    for name, values in (("normal login (302)", normal), ("refused login (429)", refused)):
        print(
            f"{name:<22} median {statistics.median(values) * 1000:8.1f} ms   "
            f"mean {statistics.mean(values) * 1000:8.1f} ms"
        )
    ratio = statistics.median(refused) / statistics.median(normal)
    print(f"refused / normal (medians): {ratio:.1%}  (target < 5%)")


if __name__ == "__main__":
    main()
