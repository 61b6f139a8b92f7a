"""R6: a PostgreSQL backup made the documented way is readable by its owner only.

pg_dump creates its file with the process umask's mode (644 under the usual 022), so
the command `flask backup` prints and every pg_dump line of the README set umask 077
(the systemd unit sets UMask=0077). The printed command is run here through a shell
with the usual umask: with a stand-in pg_dump always, and with the real one against
the test database when it is PostgreSQL.
"""

import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from app import create_app
from tests.conftest import ROOT, config_for

FAKE_PG_DUMP = """#!/bin/sh
for arg in "$@"; do
  case "$arg" in --file=*) printf 'PGDMP' > "${arg#--file=}" ;; esac
done
"""


def printed_command(database_url: str, path: Path) -> str:
    app = create_app(config_for(database_url))
    output = app.test_cli_runner().invoke(args=["backup", str(path)]).output
    return next(line.strip() for line in output.splitlines() if "pg_dump --" in line)


def run_with_usual_umask(command: str, env: dict) -> None:
    shell = ["/bin/sh", "-c", f"umask 022 && {command}"]
    subprocess.run(shell, check=True, env=env, timeout=120)  # noqa: S603 - our own command


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_printed_command_writes_a_private_file(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "pg_dump"
    fake.write_text(FAKE_PG_DUMP)
    fake.chmod(0o755)
    target = tmp_path / "tuluc.dump"
    command = printed_command("postgresql://tuluc@127.0.0.1:5432/tuluc", target)
    run_with_usual_umask(command, {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"})
    assert target.read_bytes() == b"PGDMP"
    assert mode(target) == 0o600


def test_the_real_pg_dump_writes_a_private_file(migrated, tmp_path):
    if not migrated.startswith("postgresql") or shutil.which("pg_dump") is None:
        pytest.skip("needs PostgreSQL (TEST_DATABASE_URL) and pg_dump")
    target = tmp_path / "real.dump"
    run_with_usual_umask(printed_command(migrated, target), dict(os.environ))
    assert target.read_bytes().startswith(b"PGDMP")
    assert mode(target) == 0o600


def test_every_documented_pg_dump_sets_a_private_umask():
    readme = Path(ROOT, "README.md").read_text(encoding="utf-8")
    lines = [line for line in readme.splitlines() if re.search(r"\bpg_dump --", line)]
    assert len(lines) >= 3  # the command, the cron line, the systemd unit
    assert all("umask 077 && pg_dump" in line for line in lines), lines
    start = readme.index("[Service]")
    unit = readme[start : readme.index("tuluc-backup.timer", start)]
    assert "UMask=0077" in unit
