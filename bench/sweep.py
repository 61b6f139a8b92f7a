"""Statements, time and rows of the follow-up jobs, at two database sizes.

    .venv/bin/python -m bench.sweep [--database-url postgresql://postgres@127.0.0.1:5432/tuluc_bench]

Builds a SMALL data set (4 provinces) and runs daily_sweep, escalate_overdue and
weekly_digest for one day, each twice (the second run must be skipped by its claim); then
builds a LARGE, national data set (34 provinces, 20,000 disbursed grants, 80,000
follow-ups) in a fresh database and does the same. Prints one table. A job whose
statement count differs between the sizes runs a statement per row somewhere (see
bench/README.md).

    .venv/bin/python -m bench.sweep --scale-a 0.1 --scale-b 1 [--database-url …]

does the same on the national data set of bench.dataset at the two scales (on SQLite a copy
of the file bench.pages keeps, built first if missing), for the data set's day, and checks
the daily sweep's targets: statements constant, time per follow-up processed (reminders and
home visits created) growing at most 1.5×, peak memory growing by less than 20 MB.
"""

import argparse
import os
import signal
import sys
import tempfile
import time
from datetime import date
from types import SimpleNamespace

from sqlalchemy import func, select

from accounts.models import user_provinces
from app import create_app
from bench.harness import (
    StatementLog,
    bench_config,
    check_local,
    reset_postgres,
)
from bench.national import LARGE, SMALL, Builder, Size
from bench.sweep_report import Run, print_sql, print_table
from core.clock import today as today_in_vietnam
from core.db import db
from inbox.models import Notification
from livelihoods import jobs
from livelihoods.models import (
    FollowUp,
    FollowUpKind,
)


def table_counts() -> tuple[int, int, int]:
    follow_ups = db.session.scalar(select(func.count()).select_from(FollowUp))
    home = db.session.scalar(select(func.count()).where(FollowUp.kind == FollowUpKind.HOME_VISIT))
    notifications = db.session.scalar(select(func.count()).select_from(Notification))
    return follow_ups, home, notifications


def _status_kib(name: str) -> int | None:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(name + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def reset_peak_memory() -> int | None:
    """Reset the process's peak resident memory (Linux: clear_refs 5) and return the
    resident memory now in KiB; None where that cannot be done."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        return None
    return _status_kib("VmRSS")


def peak_memory_mb(start_kib: int | None) -> float | None:
    peak = _status_kib("VmHWM")
    return None if start_kib is None or peak is None else max(0, peak - start_kib) / 1024


def run_job(app, log: StatementLog, job, label: str, size: Size, day: date) -> Run:
    """As core.scheduler.run_job does: an app context, the job, a commit. Peak memory is
    the process's resident high-water mark during the run, above where it started."""
    with app.app_context():
        before = table_counts()
        db.session.remove()
    with app.app_context():
        log.reset()
        start_kib = reset_peak_memory()
        started = time.perf_counter()
        returned = job(today=day)
        db.session.commit()
        seconds = time.perf_counter() - started
        peak_mb = peak_memory_mb(start_kib)
        statements = list(log.statements)
        db.session.remove()
    with app.app_context():
        after = table_counts()
        db.session.remove()
    return Run(
        job=label,
        size=size.name,
        statements=statements,
        seconds=seconds,
        follow_ups=before[0],
        notifications=after[2] - before[2],
        home_visits=after[1] - before[1],
        returned=returned,
        peak_mb=peak_mb,
    )


def measure(app, log: StatementLog, size: Size, day: date) -> list[Run]:
    runs = []
    for name, job in (
        ("daily_sweep", jobs.daily_sweep),
        ("escalate_overdue", jobs.escalate_overdue),
        ("weekly_digest", jobs.weekly_digest),
    ):
        first = run_job(app, log, job, name, size, day)
        again = run_job(app, log, job, f"{name} (again)", size, day)
        if not again.skipped or again.notifications or again.home_visits:
            raise SystemExit(f"{name} ran twice for {day}: {again.returned}")
        runs += [first, again]
    return runs


# Report --------------------------------------------------------------------------------


NATIONAL_DAY = date(2026, 11, 30)  # bench.pages' day: its data sets are reused


def sizes_name(scale: float) -> str:
    return f"scale {scale:g}"


def app_engine(app):
    with app.app_context():
        return db.engine


def national(scale: float, args, tmp: str, day: date):
    """The national data set at `scale` for the jobs: (url, size, coordinators). On SQLite
    a copy of bench.pages' kept file (built there first if missing); on PostgreSQL built."""
    import sqlite3

    from bench import dataset
    from bench.harness import at_head

    if args.database_url:
        url = dataset.prepare(args.database_url, None)
        dataset.build(scale, url, tmp, day=day)
    else:
        os.makedirs(args.data_dir, exist_ok=True)
        kept = os.path.join(args.data_dir, f"national-{scale:g}-{day}.sqlite3")
        if not (os.path.exists(kept) and at_head("sqlite:///" + kept)):
            dataset.build(scale, dataset.prepare(None, kept), args.data_dir, day=day)
        path = os.path.join(tmp, f"national-{scale:g}.sqlite3")
        source, copy = sqlite3.connect(kept), sqlite3.connect(path)
        with copy:
            source.backup(copy)
        source.close()
        copy.close()
        url = "sqlite:///" + path
    app = create_app(bench_config(url, tmp))
    with app.app_context():
        count = db.session.scalar(select(func.count(func.distinct(user_provinces.c.user_id))))
        size = SimpleNamespace(name=sizes_name(scale))
        follow_ups = db.session.scalar(select(func.count()).select_from(FollowUp))
        db.session.remove()
        db.engine.dispose()
    print(f"{size.name}: {follow_ups:,} follow-ups, {count} coordinators", flush=True)
    return url, size, count


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.sweep",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--database-url",
        help="a local PostgreSQL URL; its public schema is dropped and recreated for each "
        "size (default: SQLite files in a temporary directory)",
    )
    parser.add_argument(
        "--day",
        type=date.fromisoformat,
        help="the day the jobs run for, YYYY-MM-DD (default: today in Viet Nam)",
    )
    parser.add_argument(
        "--timeout",
        type=int,
        help="give up after so many seconds (480; 3,600 with --scale-a/--scale-b)",
    )
    parser.add_argument(
        "--sql", action="store_true", help="also print every run's statements with their times"
    )
    parser.add_argument(
        "--scale-a",
        type=float,
        help="with --scale-b: the national data set of bench.dataset at these two scales "
        "(e.g. 0.1 and 1) instead of SMALL and LARGE",
    )
    parser.add_argument("--scale-b", type=float)
    parser.add_argument(
        "--data-dir",
        default=os.path.join(tempfile.gettempdir(), "tuluc-national"),
        help="SQLite national data sets kept by bench.pages: copied, not changed",
    )
    args = parser.parse_args(argv)
    if (args.scale_a is None) != (args.scale_b is None):
        parser.error("--scale-a and --scale-b go together")
    day = args.day or today_in_vietnam()
    if args.timeout is None:
        args.timeout = 480 if args.scale_a is None else 3600

    def give_up(signum, frame):
        raise SystemExit(f"bench: gave up after {args.timeout} s")

    signal.signal(signal.SIGALRM, give_up)
    signal.alarm(args.timeout)
    started = time.perf_counter()
    runs: list[Run] = []
    coordinators: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="tuluc-bench-") as tmp:
        if args.database_url:
            check_local(args.database_url)
        sizes = (SMALL, LARGE)
        if args.scale_a is not None:
            day = args.day or NATIONAL_DAY
            sizes = (args.scale_a, args.scale_b)
        for size in sizes:
            if isinstance(size, float):
                url, size, count = national(size, args, tmp, day)
                app = create_app(bench_config(url, tmp))
                coordinators[size.name] = count
                if size.name == sizes_name(sizes[0]):
                    print(f"database: {url.split(':')[0]}; jobs run for {day.isoformat()}")
                log = StatementLog(app_engine(app))
                runs += measure(app, log, size, day)
                app_engine(app).dispose()
                continue
            if args.database_url:
                reset_postgres(args.database_url)
                url = args.database_url
            else:
                url = f"sqlite:///{tmp}/{size.name.lower()}.sqlite3"
            app = create_app(bench_config(url, tmp))
            with app.app_context():
                engine = db.engine
                if size is SMALL:
                    print(f"database: {engine.dialect.name}; jobs run for {day.isoformat()}")
                t = time.perf_counter()
                builder = Builder(size, day)
                builder.build()
                built = time.perf_counter() - t
                db.session.remove()
            print(f"{size.name} (built in {built:.1f} s):\n    {builder.describe()}")
            coordinators[size.name] = builder.summary["coordinators"]
            log = StatementLog(engine)
            runs += measure(app, log, size, day)
            engine.dispose()
    print()
    order = list(dict.fromkeys(r.job for r in runs))
    first = SMALL.name if args.scale_a is None else sizes_name(args.scale_a)
    runs.sort(key=lambda r: (order.index(r.job), r.size != first))
    print_table(runs, coordinators)
    if args.sql:
        print_sql(runs)
    signal.alarm(0)
    print(f"\nTotal {time.perf_counter() - started:.1f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
