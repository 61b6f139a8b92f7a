"""The load benchmark's server (started on a free loopback port, stopped after the run) and
the check of the ledger against the database afterwards."""

import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select

from bench.load_clients import Ledger
from bench.load_data import HOST, ROOT, ClientData
from core.db import db
from groups.meeting_models import Attendance, Meeting
from groups.models import Member
from livelihoods.models import FollowUp, FollowUpStatus, Visit


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Server:
    """The demo server (`flask demo`) or gunicorn -w N, in a process group of its own."""

    def __init__(self, kind: str, url: str, tmp: str, workers: int, threads: int):
        self.kind, self.port = kind, free_port()
        instance = Path(tmp) / f"instance-{kind}"
        instance.mkdir(exist_ok=True)
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "TULUC_INSTANCE_PATH": str(instance),
            "TULUC_LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
        if kind == "demo":
            env["TULUC_ENV"] = "demo"
            command = [sys.executable, "-m", "flask", "--app", "app", "demo"]
            command += ["--host", HOST, "--port", str(self.port), "--threads", str(threads)]
        else:
            env.update(
                TULUC_ENV="production",
                SECRET_KEY=secrets.token_hex(32),
                TULUC_SESSION_COOKIE_SECURE="false",
            )
            command = [sys.executable, "-m", "gunicorn", "-w", str(workers)]
            command += ["-b", f"{HOST}:{self.port}", "app:create_app()"]
        self.log_path = Path(tmp) / f"{kind}.log"
        self.log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            command,
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(
                    f"{self.kind} server stopped:\n{self.log_path.read_text()[-3000:]}"
                )
            try:
                connection = http.client.HTTPConnection(HOST, self.port, timeout=5)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        self.stop()
        raise SystemExit(f"{self.kind} server not ready after {seconds} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()

    def errors(self) -> Counter:
        """The last line of each traceback in the server's log, counted."""
        found, lines = Counter(), self.log_path.read_text(errors="replace").splitlines()
        for i, line in enumerate(lines):
            if line.startswith("Traceback"):
                j = i + 1
                while j < len(lines) and (lines[j].startswith((" ", "\t")) or not lines[j]):
                    j += 1
                if j < len(lines):
                    found[lines[j][:160]] += 1
        return found


@dataclass
class Check:
    lost: int = 0
    duplicated: int = 0
    detached: int = 0
    unacknowledged: int = 0  # saved although the client got no 302 (a 5xx, no answer)
    notes: list[str] = field(default_factory=list)


def check(app, ledger: Ledger, clients: list[ClientData]) -> Check:
    result = Check()
    with app.app_context():
        # Meetings: each acknowledged one once, in its group on its day, with its marks.
        rows = db.session.execute(
            select(Meeting.id, Meeting.topics, Meeting.group_id, Meeting.held_on).where(
                Meeting.topics.like("load:%")
            )
        ).all()
        by_token = defaultdict(list)
        for row in rows:
            by_token[row.topics].append(row)
        marks_of = defaultdict(dict)
        for meeting_id, member_id, status in db.session.execute(
            select(Attendance.meeting_id, Attendance.member_id, Attendance.status)
            .join(Meeting)
            .where(Meeting.topics.like("load:%"))
        ):
            marks_of[meeting_id][member_id] = status.value
        acked = set()
        for token, group_id, day, marks in ledger.meetings:
            acked.add(token)
            found = by_token.get(token, [])
            if not found:
                result.lost += 1
                result.notes.append(f"meeting {token} acknowledged, not in the database")
                continue
            result.duplicated += len(found) - 1
            row = found[0]
            if (row.group_id, row.held_on) != (group_id, day) or marks_of[row.id] != marks:
                result.lost += 1
                result.notes.append(f"meeting {token} saved other than acknowledged")
        result.unacknowledged += sum(1 for token in by_token if token not in acked)
        twice = db.session.execute(
            select(Meeting.group_id, Meeting.held_on, Meeting.kind)
            .group_by(Meeting.group_id, Meeting.held_on, Meeting.kind)
            .having(func.count() > 1)
        ).all()
        result.duplicated += len(twice)
        empty = [row.topics for row in rows if not marks_of[row.id]]
        if empty:
            result.lost += len(empty)
            result.notes.append(f"{len(empty)} meetings without attendance")

        # Member edits: one saved version per acknowledged edit, the last one's text kept.
        edits = defaultdict(list)
        for token, member_id, base in ledger.edits:
            edits[member_id].append((base, token))
        initial = {m["id"]: m["version"] for c in clients for m in c.group.members}
        members = {
            row.id: row
            for row in db.session.execute(
                select(Member.id, Member.version, Member.notes).where(Member.id.in_(initial))
            )
        }
        for member_id, saved in edits.items():
            row = members[member_id]
            bases = Counter(base for base, _token in saved)
            overwritten = sum(n - 1 for n in bases.values())
            if overwritten:
                result.lost += overwritten
                result.notes.append(f"member {member_id}: {overwritten} edits saved on one version")
            base, token = max(saved)
            if row.version == base + 1 and row.notes != token:
                result.lost += 1
                result.notes.append(f"member {member_id}: last acknowledged edit not kept")
            elif row.version < base + 1:
                result.lost += 1
                result.notes.append(f"member {member_id}: version {row.version} < {base + 1}")
        committed = sum(row.version - initial[i] for i, row in members.items())
        result.unacknowledged += max(committed - len(ledger.edits), 0)

        # Visits: each acknowledged one once, still attached to its follow-up.
        visits = defaultdict(list)
        for row in db.session.execute(
            select(Visit.notes, Visit.follow_up_id).where(Visit.notes.like("load:%"))
        ):
            visits[row.notes].append(row.follow_up_id)
        acked = set()
        for token, follow_up_id in ledger.visits:
            acked.add(token)
            found = visits.get(token, [])
            if not found:
                result.lost += 1
                result.notes.append(f"visit {token} acknowledged, not in the database")
                continue
            result.duplicated += len(found) - 1
            if found[0] != follow_up_id:
                result.detached += 1
                result.notes.append(f"visit {token} detached from follow-up {follow_up_id}")
        loose = sum(1 for t, ids in visits.items() if t not in acked for i in ids if i is None)
        if loose:
            result.detached += loose
            result.notes.append(f"{loose} unacknowledged visits detached")
        result.unacknowledged += sum(1 for token in visits if token not in acked)
        twice = Counter(follow_up_id for _token, follow_up_id in ledger.visits)
        doubled = sum(1 for n in twice.values() if n > 1)
        if doubled:
            result.notes.append(f"{doubled} follow-ups acknowledged as visited twice")
        open_acked = db.session.scalar(
            select(func.count())
            .select_from(FollowUp)
            .where(
                FollowUp.id.in_({f for _t, f in ledger.visits} or {0}),
                FollowUp.status != FollowUpStatus.DONE,
            )
        )
        if open_acked:
            result.lost += open_acked
            result.notes.append(f"{open_acked} visited follow-ups not done")
        db.engine.dispose()
    return result
