"""N facilitators against a real server, with a ledger of every acknowledged write.

    .venv/bin/python -m bench.load                  # SQLite: the demo server, then gunicorn -w 4
    .venv/bin/python -m bench.load --database-url postgresql://postgres@127.0.0.1:5432/tuluc_load
    .venv/bin/python -m bench.load --seconds 10     # the CI variant

Builds its own data, starts the server on a free loopback port, logs every client in at
once, then lets them record meetings, edit members, record follow-up visits and read
pages for --seconds. Afterwards it stops the server and reads the database: every write
the server acknowledged (302) must be there exactly once, as sent, and every visit still
attached to its follow-up. Exits 1 if anything was lost, duplicated or detached, or if a
request got a 5xx or no answer. See bench/README.md.
"""

import argparse
import re
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter

from app import create_app
from bench.harness import bench_config, check_local, reset_postgres
from bench.load_checks import Check, Server, check
from bench.load_clients import Ledger, run_client
from bench.load_data import ACTIONS, ClientData, build

# The data (bench/load_data.py), the clients and their ledger (bench/load_clients.py), the
# server and the check of the ledger (bench/load_checks.py).


# Running -------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    return (
        statistics.quantiles(values, n=100, method="inclusive")[q - 1]
        if len(values) > 1
        else values[0]
    )


def drive(
    port: int,
    clients: list[ClientData],
    actions: list[str],
    seconds: float,
    timeout: float,
    login_timeout: float = 120,
) -> Ledger:
    """Every client logs in at once, then works for `seconds`; returns what they saw.

    A login burst costs an argon2 verification per client (64 MiB, t=3), which is why
    logins get a longer timeout than the rest.
    """
    ledger = Ledger()
    barrier = threading.Barrier(len(clients) + 1)
    stop_at = [float("inf")]
    threads = [
        threading.Thread(
            target=run_client,
            args=(port, c, actions, timeout, login_timeout, barrier, stop_at, ledger),
            daemon=True,
        )
        for c in clients
    ]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    barrier.wait()  # all logged in (or given up)
    ledger.login_seconds = time.perf_counter() - t0
    stop_at[0] = time.monotonic() + seconds
    t1 = time.perf_counter()
    for t in threads:
        t.join(seconds + 2 * timeout + 10)
    ledger.load_seconds = time.perf_counter() - t1
    return ledger


def run(args, kind: str, url: str, tmp: str) -> dict:
    app = create_app(bench_config(url, tmp))
    started = time.perf_counter()
    clients = build(app, args.clients, args.share, grants="visits" in args.actions)
    built = time.perf_counter() - started
    server = Server(kind, url, tmp, args.workers, args.threads)
    try:
        server.wait_ready(180)
        ledger = drive(
            server.port,
            clients,
            args.actions,
            args.seconds,
            args.request_timeout,
            args.login_timeout,
        )
    finally:
        server.stop()
    checked = check(app, ledger, clients)
    answers = ledger.answers
    seconds = [a.seconds for a in answers if a.status is not None and a.action != "login"]
    logins = [a.seconds for a in answers if a.action == "login" and a.method == "POST"]
    return dict(
        server=f"{'demo (waitress)' if kind == 'demo' else f'gunicorn -w {args.workers}'}",
        database=url.split(":", 1)[0],
        clients=len(clients),
        built=built,
        logins=ledger.login_seconds,
        elapsed=ledger.load_seconds,
        requests=len(answers),
        meetings=len(ledger.meetings),
        edits=len(ledger.edits),
        visits=len(ledger.visits),
        check=checked,
        errors_5xx=sum(1 for a in answers if a.status and a.status >= 500),
        conflicts_409=sum(1 for a in answers if a.status == 409),
        no_answer=sum(1 for a in answers if a.status is None),
        login_failed=ledger.refused["login"],
        refused=ledger.refused,
        p50=percentile(seconds, 50),
        p95=percentile(seconds, 95),
        max=max(seconds, default=0.0),
        login_max=max(logins, default=0.0),
        statuses=Counter((a.action, a.method, a.status) for a in answers),
        failures=Counter(
            (a.method, re.sub(r"\d+", "N", a.path), a.status)
            for a in answers
            if a.status is None or a.status >= 500
        ),
        server_errors=server.errors(),
    )


def report(r: dict) -> bool:
    c: Check = r["check"]
    bad = c.lost + c.duplicated + c.detached + r["errors_5xx"] + r["no_answer"] + r["login_failed"]
    print(
        f"\n== {r['server']} on {r['database']}: {r['clients']} clients, "
        f"data built in {r['built']:.1f} s, all logged in after {r['logins']:.1f} s, "
        f"load for {r['elapsed']:.1f} s"
    )
    print(
        f"requests {r['requests']:,} ({r['requests'] / max(r['elapsed'] + r['logins'], 0.1):.0f}"
        "/s); "
        f"acknowledged: {r['meetings']:,} meetings, {r['edits']:,} member edits, "
        f"{r['visits']:,} visits"
    )
    print(
        f"lost {c.lost}  duplicated {c.duplicated}  detached {c.detached}  "
        f"5xx {r['errors_5xx']}  409 {r['conflicts_409']}  no answer {r['no_answer']}  "
        f"p50 {r['p50']:.2f} s  p95 {r['p95']:.2f} s  max {r['max']:.2f} s"
        f"  (slowest login {r['login_max']:.1f} s)"
    )
    refused = ", ".join(f"{k} {v}" for k, v in sorted(r["refused"].items()))
    print(
        f"form answers to a write (not saved): {refused or 'none'}; "
        f"saved without a 302: {c.unacknowledged}"
    )
    for (method, path, status), n in r["failures"].most_common(10):
        print(f"  {n:>5} × {status or 'no answer'} {method} {path}")
    for line, n in r["server_errors"].most_common(5):
        print(f"  server log {n:>4} × {line}")
    for note in c.notes[:10]:
        print(f"  {note}")
    print("OK" if not bad else "FAILED")
    return not bad


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Loopback only; stops by itself. See bench/README.md.",
    )
    parser.add_argument(
        "--database-url",
        help="a local PostgreSQL URL; its public schema is dropped and recreated before each "
        "server's run (default: a fresh SQLite file per run in a temporary directory)",
    )
    parser.add_argument("--server", choices=("demo", "gunicorn", "both"), default="both")
    parser.add_argument("--clients", type=int, default=50, help="facilitators at once (50)")
    parser.add_argument("--seconds", type=float, default=60, help="load after the logins (60)")
    parser.add_argument("--share", type=int, default=2, help="facilitators per group (2)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (4)")
    parser.add_argument("--threads", type=int, default=4, help="demo server threads (4)")
    parser.add_argument(
        "--actions",
        default=",".join(ACTIONS),
        help=f"what the clients do, of {','.join(ACTIONS)} (all)",
    )
    parser.add_argument("--request-timeout", type=float, default=30, help="seconds (30)")
    parser.add_argument(
        "--login-timeout", type=float, default=120, help="seconds, for the login burst (120)"
    )
    parser.add_argument("--timeout", type=int, default=900, help="give up after so many seconds")
    args = parser.parse_args(argv)
    args.actions = [a for a in args.actions.split(",") if a]
    if not args.actions or set(args.actions) - set(ACTIONS):
        parser.error(f"--actions: choose from {','.join(ACTIONS)}")
    if args.clients < 1 or args.share < 1 or args.seconds <= 0:
        parser.error("--clients, --share and --seconds must be positive")

    def give_up(signum, frame):
        raise SystemExit(f"bench: gave up after {args.timeout} s")

    signal.signal(signal.SIGALRM, give_up)
    signal.alarm(args.timeout)
    kinds = ["demo", "gunicorn"] if args.server == "both" else [args.server]
    results = []
    with tempfile.TemporaryDirectory(prefix="tuluc-load-") as tmp:
        for kind in kinds:
            if args.database_url:
                check_local(args.database_url)
                reset_postgres(args.database_url)
                url = args.database_url
            else:
                url = f"sqlite:///{tmp}/{kind}.sqlite3"
            results.append(report(run(args, kind, url, tmp)))
    signal.alarm(0)
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
