"""National exports as background jobs: rows per second and memory growth, at two sizes.

    .venv/bin/python -m bench.exports --sqlite-dir /tmp/tuluc-exports            # 0.1 and 1
    .venv/bin/python -m bench.exports --sqlite-dir /tmp/x --scales 0.05 0.5 --formats csv
    .venv/bin/python -m bench.exports --database-url postgresql://postgres@127.0.0.1:5432/tuluc_exports
    .venv/bin/python -m bench.exports --database-url … --scales 1 --reuse   # the data as it is
    .venv/bin/python -m bench.exports --writers 200000   # the file writers alone, no database

For each scale the national data set (bench.dataset) is built in a process of its own,
then each export and format runs in a fresh process as `admin`, the way the app runs it:

- the download (GET /exports/table?…) must answer with the offer of a job, not a file
  (more than EXPORT_DIRECT_MAX_ROWS rows);
- the job is queued through its route (POST /exports/jobs?…) and run by
  reports.export_runner.run_job in this process, as the web process's thread runs it;
- then the file is fetched through its route as its owner would, and deleted.

The exports: members (every member of the nation) and attendance (a year of attendance
marks, one row per member and meeting: the registers of every group), each as CSV and
XLSX.

Measured per export: the rows written, the time from queueing to the file written and
rows per second, and the growth of the process's peak resident memory (/proc/self/statm,
sampled every 10 ms) over the same process just before, after a small warm-up job has
loaded every module. With --tracemalloc, the peak of Python allocations too (it slows the
run about twofold). Targets: growth < 50 MB at every scale; CSV at least 50,000 rows a
second.

--writers ROWS measures the writers alone on attendance-like rows (6 cells), each in a
fresh process: the csv module bare, our CSV writer (reports.exports.write_csv: a batch of
rows at a time, repeated values converted once), the per-row reference it must equal
byte for byte (csv-per-row: every cell through csv_cell, one writerow per row, as
tests/reports/test_export_writer.py checks; the writer before issue 24's last change
was this with a quick path per kind), our XLSX writer (write_xlsx), and XlsxWriter
alone in constant-memory mode (what write_xlsx uses) and in its default mode (the whole
sheet in memory until saved). One run measures them all under the same load.

A size like 200,000 attendance rows on both databases (scale 0.1 is 189,420 rows for
the year; the data set builds in under a minute):

    .venv/bin/python -m bench.dataset --scale 0.1 --sqlite /tmp/x/national-0.1.sqlite3
    .venv/bin/python -m bench.exports --sqlite-dir /tmp/x --scales 0.1 --reuse --exports attendance
    .venv/bin/python -m bench.exports --database-url … --scales 0.1 --reuse --exports attendance

With --database-url the schema of that database is DROPPED for each scale (as
bench.dataset does) unless --reuse; only databases on this machine are accepted.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from datetime import timedelta

from sqlalchemy import select

EXPORTS = ("members", "attendance")
FORMATS = ("csv", "xlsx")
TARGET_MB = 50
CSV_TARGET = 50_000  # rows a second


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


def measure(url: str, instance: str, export: str, fmt: str, with_tracemalloc: bool) -> dict:
    """Run one export job in this (fresh) process and report what it cost."""
    from app import create_app
    from bench.dataset import PASSWORD
    from bench.harness import bench_config
    from core.clock import today
    from core.db import db
    from reports import export_jobs as jobs
    from reports import export_runner

    config = bench_config(url, instance)
    config.update(
        TWO_FACTOR_SKIP=True,
        WTF_CSRF_ENABLED=False,
        ENV="test",
        EXPORT_JOBS_RUNNER="none",  # run below, in this process, as the thread would
        EXPORT_DIR=tempfile.mkdtemp(prefix="tuluc-bench-exports-"),
    )
    app = create_app(config)
    client = app.test_client()
    response = client.post("/login", data={"username": "admin", "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    day = today()
    query = f"table={export}&format={fmt}"
    if export == "attendance":
        query += f"&from={day - timedelta(days=364)}&to={day}"

    def queue(extra: str = "") -> int:
        answer = client.post(f"/exports/jobs?{query}{extra}")
        assert answer.status_code == 302, answer.status_code
        return int(answer.headers["Location"].rsplit("/", 1)[1])

    # Too large for a request, the download offers a job instead of writing the file
    # (members of the nation, 45,000, are still a direct download: the job is measured).
    offered = client.get(f"/exports/table?{query}")
    assert offered.status_code == 200
    direct = b"/exports/jobs?" not in offered.data
    offered.close()
    # Warm-up: the same code on one group, so imports, templates and the pool are loaded.
    with app.app_context():
        from groups.models import Group

        first = db.session.scalar(select(Group.id).order_by(Group.id).limit(1))
        warm = queue(f"&group={first}")
        assert export_runner.run_job(warm) == jobs.DONE
        jobs.file_path(db.session.get(jobs.ExportJob, warm)).unlink()
        db.session.remove()

    sampler = RssSampler()
    before = sampler.start()
    if with_tracemalloc:
        tracemalloc.start()
    started, cpu = time.perf_counter(), time.process_time()
    job_id = queue()
    with app.app_context():
        status = export_runner.run_job(job_id)
        db.session.remove()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    python_peak = tracemalloc.get_traced_memory()[1] if with_tracemalloc else None
    if with_tracemalloc:
        tracemalloc.stop()
    peak = sampler.stop()
    assert status == jobs.DONE, status
    with app.app_context():
        job = db.session.get(jobs.ExportJob, job_id)
        rows, size = job.rows_done, job.size
        # The file is fetched as its owner would (and audited), then deleted.
        fetched = client.get(f"/exports/jobs/{job_id}/file")
        assert fetched.status_code == 200 and len(fetched.data) == size
        fetched.close()
        jobs.file_path(job).unlink()
        jobs.export_dir().rmdir()
    return {
        "export": export,
        "format": fmt,
        "direct_download": direct,
        "rows": rows,
        "bytes": size,
        "seconds": round(seconds, 2),
        "rows_per_second": round(rows / seconds),
        # This process's CPU time: what the rate would be on an idle machine, where the
        # database (PostgreSQL, another process) keeps up.
        "cpu_seconds": round(cpu, 2),
        "rows_per_cpu_second": round(rows / cpu),
        "rss_before_mb": round(before / 2**20, 1),
        "rss_growth_mb": round((peak - before) / 2**20, 1),
        "python_peak_mb": round(python_peak / 2**20, 1) if python_peak is not None else None,
        "database": url.split(":", 1)[0],
    }


def measure_writer(writer: str, rows: int) -> dict:
    """The writers alone, on attendance-like rows (6 cells: 4 texts, a date, a text),
    from memory to a temporary file: what each costs without the database."""
    import csv
    import tempfile
    from datetime import date

    import xlsxwriter

    def data():
        day = date(2026, 1, 1)
        for i in range(rows):
            yield (
                "Nghệ An",
                f"NAN-N{i % 3000:04d}",
                day,
                "Thường kỳ",
                f"NAN-2025-{i:05d}",
                "Có mặt",
            )

    from reports import exports  # imported before the measure, as in the app

    columns = [exports.Column(str(n)) for n in range(6)]
    columns[2] = exports.Column("2", exports.DATE)
    sampler = RssSampler()
    before = sampler.start()
    started, cpu = time.perf_counter(), time.process_time()
    with tempfile.TemporaryFile() as out:
        if writer == "csv":
            exports.write_csv(columns, data(), out)
        elif writer == "csv-per-row":  # the reference the fast writer equals
            text = __import__("io").TextIOWrapper(out, encoding="utf-8-sig", newline="")
            rows_out = csv.writer(text)
            rows_out.writerow([c.csv_header() for c in columns])
            for row in data():
                rows_out.writerow(
                    [exports.csv_cell(c.kind, v) for c, v in zip(columns, row, strict=True)]
                )
            text.flush()
        elif writer == "xlsx":
            from flask import Flask
            from flask_babel import Babel

            app = Flask(__name__)
            Babel(app, locale_selector=lambda: "vi")
            with app.test_request_context():
                exports.write_xlsx(columns, data(), out)
        elif writer == "csv-module":  # the standard library's writer alone, no formatting
            text = __import__("io").TextIOWrapper(out, encoding="utf-8", newline="")
            csv.writer(text).writerows(data())
            text.flush()
        else:
            options = {"constant_memory": writer == "xlsxwriter-constant-memory"}
            book = xlsxwriter.Workbook(out, options)
            sheet = book.add_worksheet()
            date_format = book.add_format({"num_format": "dd/mm/yyyy"})
            for r, row in enumerate(data(), 1):
                for c, value in enumerate(row):
                    if c == 2:
                        sheet.write_datetime(r, c, value, date_format)
                    else:
                        sheet.write_string(r, c, value)
            book.close()
        size = out.tell()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak = sampler.stop()
    return {
        "writer": writer,
        "rows": rows,
        "bytes": size,
        "seconds": round(seconds, 2),
        "rows_per_second": round(rows / seconds),
        # This process's CPU time: what the rate would be on an idle machine, where the
        # database (PostgreSQL, another process) keeps up.
        "cpu_seconds": round(cpu, 2),
        "rows_per_cpu_second": round(rows / cpu),
        "rss_growth_mb": round((peak - before) / 2**20, 1),
    }


WRITERS = (
    "csv-module",
    "csv-per-row",
    "csv",
    "xlsx",
    "xlsxwriter-constant-memory",
    "xlsxwriter-in-memory",
)


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
    target.add_argument(
        "--writers", type=int, metavar="ROWS", help="only the writers, on ROWS rows each"
    )
    parser.add_argument("--scales", type=float, nargs="+", default=[0.1, 1.0])
    parser.add_argument("--formats", nargs="+", choices=FORMATS, default=list(FORMATS))
    parser.add_argument("--exports", nargs="+", choices=EXPORTS, default=list(EXPORTS))
    parser.add_argument("--tracemalloc", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="do not rebuild the data sets")
    # Internal: one measurement in a fresh process.
    parser.add_argument("--measure", choices=EXPORTS, help=argparse.SUPPRESS)
    parser.add_argument("--format", choices=FORMATS, help=argparse.SUPPRESS)
    parser.add_argument("--measure-writer", choices=WRITERS, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.measure_writer:
        print(json.dumps(measure_writer(args.measure_writer, args.writers)))
        return 0
    if args.writers:
        print(
            "writer                     |      rows | seconds |  rows/s | CPU s | rows/CPU s |"
            " MB out | RSS growth MB"
        )
        for writer in WRITERS:
            out = run(
                ["-m", "bench.exports", "--writers", str(args.writers), "--measure-writer", writer]
            )
            r = json.loads(out.strip().splitlines()[-1])
            print(
                f"{r['writer']:<26} | {r['rows']:>9,} | {r['seconds']:>7} |"
                f" {r['rows_per_second']:>7,} | {r['cpu_seconds']:>5} |"
                f" {r['rows_per_cpu_second']:>10,} | {r['bytes'] / 2**20:>6.1f} |"
                f" {r['rss_growth_mb']}"
            )
        return 0

    instance = os.path.abspath(args.sqlite_dir or os.getcwd())
    if args.measure:
        print(json.dumps(measure(args.url, instance, args.measure, args.format, args.tracemalloc)))
        return 0

    results = []
    for scale in args.scales:
        if args.sqlite_dir:
            os.makedirs(instance, exist_ok=True)
            path = os.path.join(instance, f"national-{scale:g}.sqlite3")
            url, where = "sqlite:///" + path, ["--sqlite", path]
        else:
            url, where = args.database_url, ["--database-url", args.database_url]
        if not args.reuse:
            started = time.perf_counter()
            built = run(["-m", "bench.dataset", "--scale", str(scale), *where])
            print(
                f"scale {scale:g}: {built.splitlines()[0]} ({time.perf_counter() - started:.0f} s)"
            )
        for export in args.exports:
            for fmt in args.formats:
                extra = ["--tracemalloc"] if args.tracemalloc else []
                out = run(
                    ["-m", "bench.exports", "--measure", export, "--format", fmt, "--url", url]
                    + extra
                    + (["--sqlite-dir", instance] if args.sqlite_dir else ["--database-url", url])
                )
                result = {"scale": scale, **json.loads(out.strip().splitlines()[-1])}
                results.append(result)
                print(json.dumps(result), flush=True)

    print()
    print(
        "scale | export     | file |      rows | seconds | rows/s | CPU s | rows/CPU s |"
        " RSS growth MB | Python peak MB"
    )
    for r in results:
        peak = "" if r["python_peak_mb"] is None else r["python_peak_mb"]
        print(
            f"{r['scale']:>5g} | {r['export']:<10} | {r['format']:<4} | {r['rows']:>9,} |"
            f" {r['seconds']:>7} | {r['rows_per_second']:>6,} | {r['cpu_seconds']:>5} |"
            f" {r['rows_per_cpu_second']:>10,} | {r['rss_growth_mb']:>13} | {peak}"
        )
    worst = max(r["rss_growth_mb"] for r in results)
    print(f"largest growth: {worst} MB (target < {TARGET_MB} MB)")
    slow = [r for r in results if r["format"] == "csv" and r["rows_per_second"] < CSV_TARGET]
    print(f"CSV below {CSV_TARGET:,} rows/s: {len(slow)} of the CSV exports")
    return 0 if worst < TARGET_MB and not slow else 1


if __name__ == "__main__":
    sys.exit(main())
