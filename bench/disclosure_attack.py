"""The full differencing attack of issue 21, with its figures.

    .venv/bin/python -m bench.disclosure_attack                 # SQLite, the full variant
    .venv/bin/python -m bench.disclosure_attack --variant ci    # what CI runs
    .venv/bin/python -m bench.disclosure_attack --database-url postgresql://postgres@127.0.0.1:5432/t_x
    .venv/bin/python -m bench.disclosure_attack --demo          # also the demo, six months

It runs tests/reports/test_disclosure_attack.py in a pytest process of its own with
DISCLOSURE_ATTACK=full (four provinces, six months, every province set, month, quarter
and nested or overlapping range; the donor page, CSV and every XLSX; both columns of the
indicator export for each province, group and all of them; the frozen releases) and
prints what the attacker read and recovered: with the rounding, and the same releases
published exactly (the control). With --demo it also runs
tests/reports/test_disclosure_demo.py the same way: the demo's coordinator over six months
(no "<5", no statistic over too few values, nothing recovered). A database URL is passed
as TEST_DATABASE_URL: the test suite's fixtures drop and recreate its schema, so give one
no one else is using.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variant", choices=("full", "ci"), default="full")
    parser.add_argument("--database-url", help="a PostgreSQL database of this machine")
    parser.add_argument("--demo", action="store_true", help="also attack the demo")
    args = parser.parse_args()
    env = dict(os.environ, DISCLOSURE_ATTACK=args.variant)
    if args.database_url:
        env["TEST_DATABASE_URL"] = args.database_url
    with tempfile.TemporaryDirectory() as folder:
        report = os.path.join(folder, "attack.json")
        env["DISCLOSURE_ATTACK_REPORT"] = report
        started = time.monotonic()
        done = subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
            [
                sys.executable,
                "-m",
                "pytest",
                "-p",
                "no:xdist",
                "-q",
                "tests/reports/test_disclosure_attack.py",
                *(["tests/reports/test_disclosure_demo.py"] if args.demo else []),
            ],
            env=env,
            check=False,
        )
        seconds = time.monotonic() - started
        if not os.path.exists(report):
            print("the attack did not finish: see the pytest output above")
            return 1
        with open(report) as f:
            figures = json.load(f)
    print(
        f"{figures['variant']}: {figures['files']} files read as {figures['releases']} releases, "
        f"{figures['count_cells']:,} count cells, {figures['small_cells']:,} of them 1–4; "
        f"recovered {figures['recovered']:,} with the rounding, "
        f"{figures['recovered_without_rounding']:,} from the same releases published exactly "
        f"({seconds:.0f} s)"
    )
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
