"""Statements and time per request at two database sizes, through the test client.

    .venv/bin/python -m bench.requests [--database-url postgresql://postgres@127.0.0.1/test]

Builds a SMALL data set, measures every scenario as the facilitator, grows the same
database to LARGE, measures again, and prints one table. A scenario whose statement
count differs between the sizes runs a query per row somewhere (see bench/README.md).
"""

import argparse
import re
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import event

from app import create_app
from bench.harness import bench_config, check_local, reset_postgres
from bench.requests_data import PASSWORD, Builder, Size
from core.clock import today
from core.db import db
from groups.models import Group

REPEATED = 5  # this many runs of one statement in a request look like a loop over rows


@dataclass
class Result:
    statements: list[int] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    last_sql: Counter = field(default_factory=Counter)

    @property
    def count(self) -> int:
        """The usual count: a session touch (once a minute) can add one now and then."""
        return Counter(self.statements).most_common(1)[0][0]

    @property
    def median_ms(self) -> float:
        return statistics.median(self.seconds) * 1000


class StatementCounter:
    """Counts every statement the engine sends to a cursor (executemany counts once)."""

    def __init__(self, engine):
        self.statements: list[str] = []
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append(statement)

    def reset(self) -> None:
        self.statements = []


# The data (Builder, Size) is built by bench/requests_data.py.


# Requests ------------------------------------------------------------------------------


def csrf_token(client) -> str:
    page = client.get("/login").get_data(as_text=True)  # the footer's language form has one
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def log_in(client) -> str:
    response = client.post(
        "/login",
        data={"username": "facilitator", "password": PASSWORD, "csrf_token": csrf_token(client)},
    )
    if response.status_code != 302:
        raise SystemExit(f"login failed: {response.status_code}")
    # Logging in starts a clean cookie session, so take a token from inside it.
    page = client.get("/members").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


class Scenarios:
    """The requests, each as (label, method, url, form data, expected status)."""

    def __init__(
        self,
        client,
        token: str,
        shown_group: int,
        recorded_group: int,
        members: list[int],
        weekday: int,
        day: date,
        founded_on: date,
    ):
        self.client, self.token = client, token
        self.shown_group, self.recorded_group, self.members = shown_group, recorded_group, members
        # Days with no meeting yet: not the group's meeting weekday, newest first.
        self.free_days = (
            d
            for d in (day - timedelta(days=n) for n in range(1, 365))
            if d.weekday() != weekday and d > founded_on
        )

    def requests(self):
        yield "GET /healthz", lambda: ("GET", "/healthz", None, 200)
        yield "POST /groups/<id>/meetings/new", self.record_meeting
        yield "GET /groups/<id>", lambda: ("GET", f"/groups/{self.shown_group}", None, 200)
        yield "GET /members", lambda: ("GET", "/members", None, 200)
        yield "GET /members?q=nguyen", lambda: ("GET", "/members?q=nguyen", None, 200)

    def record_meeting(self):
        statuses = ("present", "present", "present", "absent", "excused")
        data = {
            "held_on": next(self.free_days).isoformat(),
            "kind": "regular",
            "topics": "Kế hoạch vay vốn nhóm",
            "decisions": "Họp lại tuần sau",
            "csrf_token": self.token,
        }
        data.update({f"att-{m}": statuses[i % len(statuses)] for i, m in enumerate(self.members)})
        return "POST", f"/groups/{self.recorded_group}/meetings/new", data, 302

    def run(self, counter: StatementCounter, runs: int, warmup: int) -> dict[str, Result]:
        """Round robin, one request of each scenario per round, so that a busy moment of
        the machine slows the baseline as much as the rest."""
        scenarios = list(self.requests())
        results = {label: Result() for label, _ in scenarios}
        for i in range(warmup + runs):
            for label, make in scenarios:
                statements, elapsed = self.send(counter, *make())
                if i >= warmup:
                    result = results[label]
                    result.statements.append(len(statements))
                    result.seconds.append(elapsed)
                    result.last_sql = Counter(" ".join(s.split()) for s in statements)
        return results

    def send(self, counter, method, url, data, expected) -> tuple[list[str], float]:
        counter.reset()
        start = time.perf_counter()
        response = self.client.open(url, method=method, data=data)
        elapsed = time.perf_counter() - start
        statements = list(counter.statements)
        if response.status_code != expected:
            body = response.get_data(as_text=True)
            raise SystemExit(
                f"{method} {url}: {response.status_code}, not {expected}\n{body[:2000]}"
            )
        if method == "POST":
            # Not shown to anyone; do not let 60 flashes pile up in the cookie.
            with self.client.session_transaction() as session:
                session.pop("_flashes", None)
        return statements, elapsed


# Report --------------------------------------------------------------------------------


def print_table(results: dict[tuple[str, str], Result], sizes: list[Size]) -> None:
    labels = list(dict.fromkeys(label for label, _ in results))
    width = max(len(label) for label in labels)
    print(f"{'scenario':<{width}} | size  | statements/request | median ms | × healthz")
    print(f"{'-' * width}-|-------|--------------------|-----------|----------")
    for label in labels:
        for size in sizes:
            r = results[label, size.name]
            base = results["GET /healthz", size.name].median_ms
            spread = (
                ""
                if min(r.statements) == max(r.statements)
                else f" ({min(r.statements)}–{max(r.statements)})"
            )
            print(
                f"{label:<{width}} | {size.name:<5} | {str(r.count) + spread:>18} | "
                f"{r.median_ms:9.2f} | {r.median_ms / base:8.1f}"
            )
    print()
    small, large = sizes
    print(f"Statements per request, {small.name} -> {large.name}:")
    for label in labels:
        a, b = results[label, small.name], results[label, large.name]
        verdict = (
            "constant"
            if a.count == b.count
            else (
                f"GROWS: {a.count} -> {b.count}"
                if b.count > a.count
                else f"SHRINKS: {a.count} -> {b.count}"
            )
        )
        print(f"  {label:<{width}}  {verdict}")
        if a.count != b.count:
            for sql, n in (b.last_sql - a.last_sql).most_common(5):
                print(f"      +{n} × {sql[:150]}")
    # A query per row of a page is as many at both sizes once the page is full.
    repeated = [
        (label, n, sql)
        for label in labels
        for sql, n in results[label, large.name].last_sql.items()
        if n >= REPEATED and sql != "BEGIN IMMEDIATE"
    ]
    print(
        f"\nThe same statement {REPEATED}+ times in one {large.name} request:"
        + ("" if repeated else " none")
    )
    for label, n, sql in repeated:
        print(f"  {label}: {n} × {sql[:150]}")


def print_sql(results: dict[tuple[str, str], Result]) -> None:
    for (label, size), r in results.items():
        print(f"\n{label} ({size}), last request:")
        for sql, n in r.last_sql.items():
            print(f"  {n:>3} × {sql[:150]}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.requests",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--database-url",
        help="a local PostgreSQL URL; its public schema "
        "is dropped and recreated (default: SQLite in a temporary directory)",
    )
    parser.add_argument("--runs", type=int, default=30, help="timed requests per scenario")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests first")
    parser.add_argument(
        "--large-groups",
        type=int,
        default=200,
        help="groups in LARGE (30 members, 50 meetings each)",
    )
    parser.add_argument("--timeout", type=int, default=170, help="give up after so many seconds")
    parser.add_argument(
        "--sql",
        action="store_true",
        help="also print the statements of each scenario's last request",
    )
    args = parser.parse_args(argv)
    sizes = [Size("SMALL", 2, 30, 20), Size("LARGE", max(args.large_groups, 2), 30, 50)]

    def give_up(signum, frame):
        raise SystemExit(f"bench: gave up after {args.timeout} s")

    signal.signal(signal.SIGALRM, give_up)
    signal.alarm(args.timeout)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="tuluc-bench-") as tmp:
        if args.database_url:
            check_local(args.database_url)
            reset_postgres(args.database_url)
            url = args.database_url
        else:
            url = "sqlite:///" + tmp + "/bench.sqlite3"
        app = create_app(bench_config(url, tmp))
        day = today()
        builder = Builder(app, day)
        with app.app_context():
            engine = db.engine
        counter = StatementCounter(engine)
        client = app.test_client()
        results: dict[tuple[str, str], Result] = {}
        scenarios = None
        print(
            f"database: {engine.dialect.name}; {args.runs} timed requests per scenario "
            f"after {args.warmup} untimed"
        )
        for size in sizes:
            t = time.perf_counter()
            builder.grow_to(size)
            print(f"{size.name}: {builder.counts()} (built in {time.perf_counter() - t:.1f} s)")
            if scenarios is None:
                shown, recorded = builder.groups[0], builder.groups[1]
                with app.app_context():
                    weekday = db.session.get(Group, recorded).meeting_weekday
                scenarios = Scenarios(
                    client,
                    log_in(client),
                    shown,
                    recorded,
                    builder.members[recorded],
                    weekday,
                    day,
                    builder.founded_on,
                )
            for label, result in scenarios.run(counter, args.runs, args.warmup).items():
                results[label, size.name] = result
        print()
        print_table(results, sizes)
        if args.sql:
            print_sql(results)
        with app.app_context():
            db.engine.dispose()
    signal.alarm(0)
    print(f"\nTotal {time.perf_counter() - started:.1f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
