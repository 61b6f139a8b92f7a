"""A web worker's memory reading hostile uploads, before and after the child reader (S5/S6/R3).

    .venv/bin/python -m bench.uploads [--only NAME ...] [--bomb-rows 5000000]
                                      [--before-limit-gb 4] [--timeout 90]

Builds the crafted files of tests/imports/crafted.py (and a good register of 20,000 rows),
then reads each one twice, every time in a fresh process standing in for a gunicorn worker:

- before: the way d64d4a7 read an upload, python-calamine in the worker itself (the whole
  first sheet, 20,002 rows at most, every cell kept as read); the worker runs under an
  address-space limit (--before-limit-gb, default 4) so that no blow-up takes the machine;
- after: `imports.readers.read_table`, which reads in a child process of its own.

For each it prints the outcome (rows read, the refusal, or how the worker died), the
worker's peak RSS above what it held before reading, the child's peak RSS (after only) and
the wall time. The worker's peak is its own ru_maxrss (os.wait4's when it died), and the
growth that minus the RSS it had just before reading.
"""

import argparse
import io
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def files(bomb_rows: int) -> dict:
    from tests.imports import crafted

    return {
        "dim.xlsx (A1 and XFD1048576)": ("xlsx", crafted.far_cell),
        "wide.xlsx (A1 and XFD20000)": ("xlsx", lambda: crafted.far_cell("XFD20000")),
        f"bomb.xlsx ({bomb_rows:,} rows)": ("xlsx", lambda: crafted.bomb(bomb_rows)),
        "bigstring.xlsx (400 MB string)": ("xlsx", lambda: crafted.big_shared_string(400)),
        "bigstring3.xlsx (3 MB varied)": (
            "xlsx",
            lambda: crafted.big_shared_string(3, varied=True),
        ),
        "rows25k.xlsx (25,000 rows)": ("xlsx", lambda: crafted.many_rows(25_000)),
        "register.xlsx (20,000 rows)": ("xlsx", lambda: crafted.many_rows(20_000)),
        "longcell.csv (4 MB cell)": ("csv", lambda: crafted.csv_long_cell(4)),
        "widerow.csv (1M columns)": ("csv", lambda: crafted.csv_wide_row(1_000_000)),
    }


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


# The worker: one reading, its outcome on stdout ------------------------------------


def read_before(kind: str, data: bytes) -> str:
    """d64d4a7's imports/readers.py: calamine (or csv) in the worker, every cell kept."""
    if kind == "csv":
        import csv

        try:
            rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))[:20_002]
        except csv.Error as error:
            return f"refused: {error}"
    else:
        from python_calamine import CalamineWorkbook

        try:
            sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
            rows = sheet.to_python(skip_empty_area=False, nrows=20_002)
        except Exception as error:  # noqa: BLE001 - the bench reports it
            return f"error: {type(error).__name__}"
    kept = sum(len(c) for row in rows for c in row if isinstance(c, str))
    if len(rows) > 20_001:
        return f"refused: more than 20,000 rows (read {kept:,} characters first)"
    return f"read {len(rows) - 1:,} rows, {kept:,} characters kept"


def read_after(kind: str, data: bytes) -> str:
    from flask import Flask
    from flask_babel import Babel

    from imports.readers import UnreadableFile, read_table

    app = Flask(__name__)
    Babel(app)
    with app.test_request_context():
        try:
            table = read_table(f"upload.{kind}", data)
        except UnreadableFile as refused:
            return f"refused: {refused.message}"
    kept = sum(len(c) for row in table.rows for c in row if isinstance(c, str))
    return f"read {len(table.rows):,} rows, {kept:,} characters kept"


def worker(mode: str, kind: str, path: str, limit_gb: float) -> None:
    if mode == "before":
        limit = int(limit_gb * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        import python_calamine  # noqa: F401 - loaded before the baseline, as in a worker
    else:
        import flask_babel  # noqa: F401

        import imports.readers  # noqa: F401
    data = Path(path).read_bytes()
    base = rss_mb()
    started = time.perf_counter()
    outcome = (read_before if mode == "before" else read_after)(kind, data)
    elapsed = time.perf_counter() - started
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    answer = {"outcome": outcome, "base": base, "peak": own, "seconds": elapsed, "child": children}
    print(json.dumps(answer))


# The bench: a fresh worker per reading -----------------------------------------------


def measure(mode: str, kind: str, path: str, limit_gb: float, timeout: float) -> dict:
    command = [sys.executable, "-m", "bench.uploads", "--worker", mode, kind, path]
    command += ["--before-limit-gb", str(limit_gb)]
    started = time.perf_counter()
    worker_process = subprocess.Popen(  # noqa: S603 - this script, no shell
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    timer = threading.Timer(timeout, worker_process.kill)
    timer.start()
    output = worker_process.stdout.read()
    _, status, usage = os.wait4(worker_process.pid, 0)
    timer.cancel()
    worker_process.returncode = 0  # reaped by wait4 above
    peak = usage.ru_maxrss / 1024
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        how = "killed at the time limit" if number == signal.SIGKILL else "died"
        return {
            "outcome": f"{how} ({signal.Signals(number).name})",
            "peak": peak,
            "grown": None,
            "child": None,
            "seconds": time.perf_counter() - started,
        }
    answer = json.loads(output or b'{"outcome": "no answer", "base": 0, "seconds": 0}')
    answer.setdefault("peak", peak)  # wait4's counts the worker's children too
    answer["grown"] = answer["peak"] - answer["base"]
    return answer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--worker", nargs=3, metavar=("MODE", "KIND", "PATH"))
    parser.add_argument("--only", nargs="*", help="names starting with these")
    parser.add_argument("--bomb-rows", type=int, default=5_000_000)
    parser.add_argument("--before-limit-gb", type=float, default=4)
    parser.add_argument("--timeout", type=float, default=90)
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker, args.before_limit_gb)
        return
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory() as folder:
        for name, (kind, make) in files(args.bomb_rows).items():
            if args.only and not any(name.startswith(o) for o in args.only):
                continue
            data = make()
            path = Path(folder) / "upload"
            path.write_bytes(data)
            print(f"{name}: {len(data):,} bytes", flush=True)
            for mode in ("before", "after"):
                m = measure(mode, kind, str(path), args.before_limit_gb, args.timeout)
                grown = "-" if m["grown"] is None else f"+{m['grown']:,.0f} MB"
                child = f", child peak {m['child']:,.0f} MB" if mode == "after" else ""
                print(
                    f"  {mode:6} worker peak {m['peak']:,.0f} MB ({grown}){child}, "
                    f"{m['seconds']:.1f} s: {m['outcome'][:110]}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
