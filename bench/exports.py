"""National XLSX exports: memory growth and rows per second at two sizes.

    .venv/bin/python -m bench.exports --sqlite-dir /tmp/tuluc-exports            # 0.1 and 1
    .venv/bin/python -m bench.exports --sqlite-dir /tmp/x --scales 0.05 0.5
    .venv/bin/python -m bench.exports --database-url postgresql://postgres@127.0.0.1:5432/tuluc_exports

For each scale the national data set (bench.dataset) is built in a process of its own,
then each export runs in a fresh process as `admin`, through the real route and the
Flask test client, reading the whole response:

- members: GET /exports/table?table=members&format=xlsx (every member of the nation);
- attendance: GET /exports/table?table=attendance&format=xlsx&from=…&to=… (a year of
  attendance marks, one row per member and meeting: the registers of every group).

Measured per export: the rows written (from the export's audit event), the time of the
request and rows per second, and the growth of the process's peak resident memory
(/proc/self/statm, sampled every 10 ms) over the same process just before the request,
after a small warm-up export has loaded every module. With --tracemalloc, the peak of
Python allocations during the request too (it slows the run about twofold). Target:
growth < 50 MB at every scale, and no growth with the scale beyond noise.

With --database-url the schema of that database is DROPPED for each scale (as
bench.dataset does); only databases on this machine are accepted.
"""

import argparse
import json
import os
import subprocess
import sys
import threading
import time
import tracemalloc
from datetime import timedelta

from sqlalchemy import select

EXPORTS = ("members", "attendance")
TARGET_MB = 50


class RssSampler:
    """The process's resident memory now, and its highest value while running.

    ru_maxrss cannot serve: logging in with the production argon2 cost (64 MiB) has
    already set a high-water mark above what an export adds."""

    def __init__(self, every: float = 0.01):
        self.every, self.peak, self._stop = every, 0, threading.Event()
        self._page = os.sysconf("SC_PAGE_SIZE")

    def now(self) -> int:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * self._page

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.peak = max(self.peak, self.now())

    def start(self) -> int:
        self.peak = base = self.now()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return base

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return max(self.peak, self.now())


def measure(url: str, instance: str, export: str, with_tracemalloc: bool) -> dict:
    """Run one export in this (fresh) process and report what it cost."""
    from app import create_app
    from bench.dataset import PASSWORD
    from bench.harness import bench_config
    from core.audit import AuditEvent
    from core.clock import today
    from core.db import db

    config = bench_config(url, instance)
    config.update(TWO_FACTOR_SKIP=True, WTF_CSRF_ENABLED=False, ENV="test")
    app = create_app(config)
    client = app.test_client()
    response = client.post("/login", data={"username": "admin", "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    day = today()
    if export == "members":
        url_path = "/exports/table?table=members&format=xlsx"
    else:
        start = day - timedelta(days=364)
        url_path = f"/exports/table?table=attendance&format=xlsx&from={start}&to={day}"
    # Warm-up: the same code on one group, so imports, templates and the pool are loaded.
    with app.app_context():
        from groups.models import Group

        first = db.session.scalar(select(Group.id).order_by(Group.id).limit(1))
    warm = client.get(f"{url_path}&group={first}")
    assert warm.status_code == 200
    warm.close()

    sampler = RssSampler()
    before = sampler.start()
    if with_tracemalloc:
        tracemalloc.start()
    started = time.perf_counter()
    response = client.get(url_path)
    size = 0
    for chunk in response.response:
        size += len(chunk)
    response.close()
    seconds = time.perf_counter() - started
    python_peak = tracemalloc.get_traced_memory()[1] if with_tracemalloc else None
    if with_tracemalloc:
        tracemalloc.stop()
    peak = sampler.stop()
    assert response.status_code == 200, response.status_code
    with app.app_context():
        detail = db.session.scalar(
            select(AuditEvent.detail)
            .where(AuditEvent.action == "export")
            .order_by(AuditEvent.id.desc())
            .limit(1)
        )
    rows = int(detail.split(";")[0].removeprefix("rows="))
    return {
        "export": export,
        "rows": rows,
        "bytes": size,
        "seconds": round(seconds, 2),
        "rows_per_second": round(rows / seconds),
        "rss_before_mb": round(before / 2**20, 1),
        "rss_growth_mb": round((peak - before) / 2**20, 1),
        "python_peak_mb": round(python_peak / 2**20, 1) if python_peak is not None else None,
        "database": url.split(":", 1)[0],
    }


def run(argv: list[str]) -> str:
    result = subprocess.run(  # noqa: S603 - our own module, arguments built here
        [sys.executable, *argv], check=True, capture_output=True, text=True
    )
    return result.stdout


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.exports",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--sqlite-dir", help="a folder for one SQLite file per scale")
    target.add_argument("--database-url", help="a local PostgreSQL URL; its schema is dropped")
    parser.add_argument("--scales", type=float, nargs="+", default=[0.1, 1.0])
    parser.add_argument("--tracemalloc", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="do not rebuild the data sets")
    # Internal: one measurement in a fresh process.
    parser.add_argument("--measure", choices=EXPORTS, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    instance = os.path.abspath(args.sqlite_dir or os.getcwd())
    if args.measure:
        print(json.dumps(measure(args.url, instance, args.measure, args.tracemalloc)))
        return 0

    results = []
    for scale in args.scales:
        if args.sqlite_dir:
            os.makedirs(instance, exist_ok=True)
            path = os.path.join(instance, f"national-{scale:g}.sqlite3")
            url, where = "sqlite:///" + path, ["--sqlite", path]
        else:
            url, where = args.database_url, ["--database-url", args.database_url]
        if not args.reuse or args.database_url:
            started = time.perf_counter()
            built = run(["-m", "bench.dataset", "--scale", str(scale), *where])
            print(
                f"scale {scale:g}: {built.splitlines()[0]} ({time.perf_counter() - started:.0f} s)"
            )
        for export in EXPORTS:
            extra = ["--tracemalloc"] if args.tracemalloc else []
            out = run(
                ["-m", "bench.exports", "--measure", export, "--url", url, *extra]
                + (["--sqlite-dir", instance] if args.sqlite_dir else ["--database-url", url])
            )
            result = {"scale": scale, **json.loads(out.strip().splitlines()[-1])}
            results.append(result)
            print(json.dumps(result))

    print()
    print("scale | export     |      rows | seconds | rows/s | RSS growth MB | Python peak MB")
    for r in results:
        peak = "" if r["python_peak_mb"] is None else r["python_peak_mb"]
        print(
            f"{r['scale']:>5g} | {r['export']:<10} | {r['rows']:>9,} | {r['seconds']:>7} |"
            f" {r['rows_per_second']:>6,} | {r['rss_growth_mb']:>13} | {peak}"
        )
    worst = max(r["rss_growth_mb"] for r in results)
    print(f"largest growth: {worst} MB (target < {TARGET_MB} MB)")
    return 0 if worst < TARGET_MB else 1


if __name__ == "__main__":
    sys.exit(main())
