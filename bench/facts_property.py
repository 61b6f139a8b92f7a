"""The analytics tables' property-based tests, long: many more random sequences of writes
and folds than the suite runs (4 each there, to keep it quick).

    .venv/bin/python -m bench.facts_property --examples 200
    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/t_facts \\
        .venv/bin/python -m bench.facts_property --examples 200
"""

import argparse
import os
import subprocess
import sys

TESTS = (
    "tests/reports/test_facts.py::test_every_figure_from_the_facts_is_the_live_figure_after_any_writes_and_folds",
    "tests/reports/test_grant_facts.py::test_grant_figures_from_the_facts_are_the_live_figures_after_any_writes_and_folds",
    "tests/reports/test_support_facts.py::test_support_figures_from_the_facts_are_the_live_figures_after_any_writes_and_folds",
    "tests/reports/test_outcome_facts.py::test_outcome_figures_from_the_facts_are_the_live_figures_after_any_writes_and_folds",
    "tests/reports/test_member_facts.py::test_member_figures_from_the_facts_are_the_live_figures_after_any_writes_and_folds",
)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.facts_property", description=__doc__)
    parser.add_argument("--examples", type=int, default=200)
    args = parser.parse_args(argv)
    env = {**os.environ, "TULUC_FACTS_EXAMPLES": str(args.examples)}
    command = [sys.executable, "-m", "pytest", "-p", "no:xdist", "-q", *TESTS]
    return subprocess.call(command, env=env)  # noqa: S603 - our own interpreter and tests


if __name__ == "__main__":
    sys.exit(main())
