"""Every page of every role, and the main POSTs, at two national scales, against /healthz.

    .venv/bin/python -m bench.pages --scale-a 0.1 --scale-b 1
    .venv/bin/python -m bench.pages --scale-a 0.1 --scale-b 1 \\
        --database-url postgresql://postgres@127.0.0.1:5432/tuluc_national

For each scale it builds the national data set (`bench.dataset`), logs in as each of its
logins (admin, coordinator, coordinator-region, facilitator, member) and requests every GET
rule of `app.url_map` with ids from that login's own scope (trying grants in each state until
one answers 200), a few list variants (a search, the last page), and the main POSTs: record a
meeting, approve a grant, record a tranche, record a visit. Every request is timed right after
a `GET /healthz` of the same client, in rounds, so a busy moment of the machine slows both.

It prints one Markdown table: statements per request at a and b, the median time as a ratio to
the median /healthz of the same scale, the growth of that ratio from a to b, and the HTML size.
A row that breaks a target (bench/README.md) is marked. SQLite data sets are kept in
`--data-dir` and reused while the schema is at head; PostgreSQL is rebuilt for each scale.
"""

import argparse
import os
import shutil
import sys
import tempfile
import time
from datetime import date

from app import create_app
from bench import dataset
from bench.harness import at_head, bench_config
from bench.pages_bench import Bench
from bench.pages_scope import Row, member_code
from core.db import db

ROLES = ("admin", "coordinator", "coordinator-region", "facilitator", "member")
STAFF_TARGET = {"facilitator": 5.0, "member": 5.0}  # × healthz; others 10
MAX_KIB, MAX_GROWTH = 60.0, 1.5


# Reading pages and which records a role may open: bench/pages_scope.py; the run over one
# data set (Bench): bench/pages_bench.py.


# Report --------------------------------------------------------------------------------


def misses(row: Row, a: str, b: str) -> list[str]:
    out = []
    if not (row.status.get(a) in (200, 302) and row.status.get(b) in (200, 302)):
        return out
    if row.statements[b] > row.statements[a]:
        out.append("statements grow")
    growth = row.ratio[b] / row.ratio[a] if row.ratio[a] else 0
    if growth > MAX_GROWTH:
        out.append(f"growth {growth:.1f}×")
    if row.kib[b] > MAX_KIB:
        out.append(f"{row.kib[b]:.0f} KiB")
    limit = STAFF_TARGET.get(row.role, 10.0)
    if row.ratio[b] > limit:
        out.append(f"> {limit:g}× healthz")
    return out


def print_table(rows: dict, a: str, b: str, header: str) -> int:
    print(header)
    print()
    print(
        f"| role | request | status | statements {a} → {b} | × healthz {a} | × healthz {b} "
        f"| growth | ms {b} | KiB {b} | target |"
    )
    print("|---|---|---|---|---:|---:|---:|---:|---:|---|")
    broken, closed = 0, []
    order = sorted(rows.items(), key=lambda kv: (ROLES.index(kv[0][0]), kv[0][1]))
    for (role, label), row in order:
        sa, sb = row.status.get(a), row.status.get(b)
        if sa not in (200, 302) and sb not in (200, 302):
            closed.append(f"{role} `{label}` ({sa})")
            continue
        if sa not in (200, 302) or sb not in (200, 302):
            print(f"| {role} | `{label}` | {sa} / {sb} | | | | | | | not measured at both |")
            continue
        growth = row.ratio[b] / row.ratio[a] if row.ratio[a] else 0
        problems = misses(row, a, b)
        broken += bool(problems)
        print(
            f"| {role} | `{label}` | {sb} | {row.statements[a]} → {row.statements[b]} "
            f"| {row.ratio[a]:.1f} | {row.ratio[b]:.1f} | {growth:.2f} | {row.ms[b]:.1f} "
            f"| {row.kib[b]:.1f} | {'**' + ', '.join(problems) + '**' if problems else 'ok'} |"
        )
    print()
    print(f"{broken} of {len(rows) - len(closed)} measured rows miss a target.")
    print()
    print("Not open to the role (403, 404, or no record of that kind in its scope): ")
    print(", ".join(closed) + ".")
    return broken


def measure_scale(
    scale: float,
    url: str,
    instance: str,
    runs: int,
    warmup: int,
    day: date,
    rows,
    only: str | None = None,
):
    # Admins and coordinators must enrol a second factor first: skipped, as in bench.login.
    app = create_app({**bench_config(url, instance), "LOG_LEVEL": "ERROR", "TWO_FACTOR_SKIP": True})
    bench = Bench(app, runs, warmup, only, day)
    code = member_code(url)
    clients = {role: bench.log_in(role, code) for role in ROLES}
    label = f"{scale:g}"
    for role in ROLES:
        requests = bench.requests(role, clients[role])
        bench.measure(role, clients[role], requests, rows, label)
    if not only:  # the POSTs are not pages under a prefix
        bench.measure_posts(clients, rows, label, day)
    with app.app_context():
        healthz_ms = None
        db.engine.dispose()
    return healthz_ms


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.pages",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--scale-a", type=float, default=0.1)
    parser.add_argument("--scale-b", type=float, default=1.0)
    parser.add_argument("--database-url", help="a local PostgreSQL URL; its schema is dropped")
    parser.add_argument(
        "--data-dir",
        default=os.path.join(tempfile.gettempdir(), "tuluc-national"),
        help="where SQLite data sets are kept and reused",
    )
    parser.add_argument("--runs", type=int, default=7, help="timed rounds")
    parser.add_argument("--warmup", type=int, default=2, help="untimed rounds first")
    parser.add_argument("--day", type=date.fromisoformat, default=date(2026, 11, 30))
    parser.add_argument(
        "--only",
        metavar="PREFIX",
        help="measure only the GET rules whose path starts with PREFIX (e.g. /progress), or "
        "with a final $ only that path (e.g. '/$' for the home page); no list variants "
        "unless under it, no POSTs; several separated by commas "
        "(e.g. '/$,/grants$,/due')",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    rows: dict = {}
    for scale in (args.scale_a, args.scale_b):
        t = time.perf_counter()
        if args.database_url:
            url = dataset.prepare(args.database_url, None)
            dataset.build(scale, url, args.data_dir, day=args.day)
            built = f"built in {time.perf_counter() - t:.0f} s"
        else:
            path = os.path.join(args.data_dir, f"national-{scale:g}-{args.day}.sqlite3")
            url = "sqlite:///" + path
            if os.path.exists(path) and at_head(url):
                built = "reused"
            else:
                dataset.build(scale, dataset.prepare(None, path), args.data_dir, day=args.day)
                built = f"built in {time.perf_counter() - t:.0f} s"
            # The POSTs write (a grant approved leaves the queue): a run measures a copy, so
            # the next run that reuses the data set starts from the same data.
            copy = path + ".run"
            shutil.copyfile(path, copy)
            url = "sqlite:///" + copy
        print(f"scale {scale:g}: {built}", file=sys.stderr)
        t = time.perf_counter()
        measure_scale(scale, url, args.data_dir, args.runs, args.warmup, args.day, rows, args.only)
        if not args.database_url:
            os.remove(url.removeprefix("sqlite:///"))
        print(f"scale {scale:g}: measured in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    dialect = "PostgreSQL" if args.database_url else "SQLite"
    header = (
        f"### {dialect}, scale {args.scale_a:g} → {args.scale_b:g}, {args.runs} timed rounds, "
        f"{os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}"
        + (f", only {args.only}" if args.only else "")
    )
    print_table(rows, f"{args.scale_a:g}", f"{args.scale_b:g}", header)
    print(f"\nTotal {time.perf_counter() - started:.0f} s.", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
