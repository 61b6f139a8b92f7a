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
import http.client
import os
import random
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode

from argon2 import PasswordHasher
from sqlalchemy import func, select

from accounts import services as account_services
from accounts.models import Role
from app import create_app
from bench.harness import bench_config, check_local, reset_postgres
from core.clock import today
from core.db import db
from core.places import Commune
from core.schema import upgrade_schema
from demo.data import FAMILY, FEMALE, SEED_PROVINCES
from groups.meeting_models import Attendance, AttendanceStatus, Meeting
from groups.models import (
    Cadence,
    ConsentPurpose,
    Gender,
    GroupRole,
    GroupStatus,
    Member,
    MemberCategory,
)
from groups.services import groups as group_services
from groups.services import members as member_services
from livelihoods.models import Activity, FollowUp, FollowUpStatus, Method, Visit
from livelihoods.services.grants import approve_grant, draft_grant, submit_grant
from livelihoods.services.tranches import record_tranche

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-load-password"
HOST = "127.0.0.1"  # loopback only: the servers listen here and the clients call here
MEMBERS_PER_GROUP = 10
DAYS_OF_HISTORY = 720  # meeting dates the clients of a group share out, before today
ACTIONS = ("meetings", "members", "visits", "reads")
WEIGHTS = {"meetings": 3, "members": 3, "visits": 2, "reads": 2}
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
VERSION = re.compile(r'name="version"[^>]*value="(\d*)"')
STATUSES = [AttendanceStatus.PRESENT] * 8 + [AttendanceStatus.ABSENT, AttendanceStatus.EXCUSED]


# Data ----------------------------------------------------------------------------------


@dataclass
class GroupData:
    id: int
    members: list[dict]  # id, version and the profile fields the edit form posts
    follow_ups: list[int]  # scheduled grant checks, oldest first; shared by its clients
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class ClientData:
    number: int
    username: str
    group: GroupData
    days: list[date]  # meeting dates only this client uses


def build(
    app, clients: int, share: int, *, real_hashes: bool = True, grants: bool = True
) -> list[ClientData]:
    """Facilitators (`share` to a group), groups of 10 members, disbursed grants.

    Through the services, as the app makes them. Every facilitator gets the same argon2
    hash with the production settings, so logging in costs what it costs in production
    (real_hashes=False keeps the app's own settings: the tests' cheap ones).
    """
    day = today()
    founded = day - timedelta(days=DAYS_OF_HISTORY + 30)
    rng = random.Random(2026)
    real_hash = PasswordHasher().hash(PASSWORD)
    with app.app_context():
        upgrade_schema()
        provinces = list(SEED_PROVINCES)
        coordinator = account_services.create_user(
            None,
            username="load-coordinator",
            full_name="Lê Thị Thu Hà",
            role=Role.COORDINATOR,
            password=PASSWORD,
            province_codes=provinces,
        )
        admin = account_services.create_user(
            None,
            username="load-admin",
            full_name="Trần Quốc Bảo",
            role=Role.ADMIN,
            password=PASSWORD,
        )
        result, groups = [], []
        for g in range((clients + share - 1) // share):
            province = provinces[g % len(provinces)]
            users = []
            for k in range(min(share, clients - g * share)):
                n = g * share + k
                user = account_services.create_user(
                    None,
                    username=f"load{n:03d}",
                    full_name=f"{FAMILY[n % len(FAMILY)]} Thị Lan",
                    role=Role.FACILITATOR,
                    password=PASSWORD,
                )
                if real_hashes:
                    user.password_hash = real_hash
                users.append(user)
            commune = db.session.scalar(
                select(Commune.code).where(Commune.province_code == province).limit(1)
            )
            group = group_services.create_group(
                admin,
                name=f"Nhóm tải {g + 1}",
                province_code=province,
                commune_code=commune,
                village="Thôn Đông",
                founded_on=founded,
                status=GroupStatus.ACTIVE,
                cadence=Cadence.WEEKLY,
                meeting_weekday=g % 6,
                partner=None,
                facilitator_ids=[u.id for u in users],
            )
            members = []
            for m in range(MEMBERS_PER_GROUP):
                middle, given = rng.choice(FEMALE)
                members.append(
                    member_services.create_member(
                        admin,
                        group,
                        full_name=f"{rng.choice(FAMILY)} {middle} {given}",
                        gender=Gender.FEMALE,
                        birth_year=rng.randint(1970, 2005),
                        phone=None,
                        category=MemberCategory.MIGRANT,
                        notes=None,
                        joined_on=founded,
                        role=GroupRole.LEADER if m == 0 else GroupRole.MEMBER,
                        consents=[ConsentPurpose.PROGRAMME_DATA],
                    )
                )
            follow_ups = []
            for member in members if grants else ():
                grant = draft_grant(
                    users[0],
                    member,
                    activity=Activity.LIVESTOCK,
                    plan="Nuôi gà",
                    amount_requested=5_000_000,
                )
                paid_on = day - timedelta(days=400)
                submit_grant(users[0], grant, on=paid_on - timedelta(days=10))
                approve_grant(coordinator, grant, amount=5_000_000, note=None, on=paid_on)
                record_tranche(
                    coordinator,
                    grant,
                    paid_on=paid_on,
                    amount=5_000_000,
                    method=Method.CASH,
                    purchased=None,
                    today=day,
                )
                follow_ups += [f.id for f in grant.follow_ups]
            db.session.commit()
            data = GroupData(
                id=group.id,
                members=[
                    dict(
                        id=m.id,
                        version=m.version,
                        full_name=m.full_name,
                        gender=m.gender.value,
                        birth_year=m.birth_year,
                        category=m.category.value,
                    )
                    for m in members
                ],
                follow_ups=sorted(follow_ups),
            )
            groups.append(data)
            for k, user in enumerate(users):
                days = [
                    day - timedelta(days=d)
                    for d in range(1, DAYS_OF_HISTORY + 1)
                    if d % len(users) == k
                ]
                rng.shuffle(days)
                result.append(ClientData(g * share + k, user.username, data, days))
        db.session.commit()
        db.engine.dispose()
    return result


# Clients -------------------------------------------------------------------------------


@dataclass
class Answer:
    action: str
    method: str
    path: str
    status: int | None  # None: no answer (timeout, connection reset)
    seconds: float


@dataclass
class Ledger:
    """What the server acknowledged (302), and every write attempted."""

    meetings: list[tuple] = field(default_factory=list)  # (token, group id, day, marks)
    edits: list[tuple] = field(default_factory=list)  # (token, member id, base version)
    visits: list[tuple] = field(default_factory=list)  # (token, follow-up id)
    attempted: set[str] = field(default_factory=set)
    refused: Counter = field(default_factory=Counter)  # form answers (200) to a write
    answers: list[Answer] = field(default_factory=list)
    login_seconds: float = 0.0
    load_seconds: float = 0.0


class Client:
    """One phone: its own cookies and connection, forms posted with their CSRF token."""

    def __init__(self, port: int, timeout: float, ledger: Ledger):
        self.connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
        self.cookies: dict[str, str] = {}
        self.ledger = ledger

    def request(self, action: str, method: str, path: str, form: dict | None = None):
        headers = {"Accept-Language": "en"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        try:
            self.connection.request(method, path, body, headers)
            response = self.connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException):
            self.connection.close()
            self.ledger.answers.append(
                Answer(action, method, path, None, time.perf_counter() - started)
            )
            return None, ""
        self.ledger.answers.append(
            Answer(action, method, path, response.status, time.perf_counter() - started)
        )
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            value = rest.split(";", 1)[0]
            if value and "Max-Age=0" not in cookie and "1970" not in cookie:
                self.cookies[name.strip()] = value
            else:
                self.cookies.pop(name.strip(), None)
        return response.status, text

    def form(self, action: str, path: str) -> tuple[str | None, str]:
        status, text = self.request(action, "GET", path)
        found = CSRF.search(text) if status == 200 else None
        return (found.group(1) if found else None), text

    def set_timeout(self, seconds: float) -> None:
        self.connection.timeout = seconds
        if self.connection.sock is not None:
            self.connection.sock.settimeout(seconds)

    def log_in(self, username: str) -> bool:
        for _ in range(3):
            token, _text = self.form("login", "/login")
            if token:
                status, _text = self.request(
                    "login",
                    "POST",
                    "/login",
                    {"csrf_token": token, "username": username, "password": PASSWORD},
                )
                if status == 302:
                    return True
            time.sleep(1)
        return False


def run_client(
    port: int,
    data: ClientData,
    actions: list[str],
    timeout: float,
    login_timeout: float,
    start: threading.Barrier,
    stop_at: list[float],
    ledger: Ledger,
) -> None:
    client = Client(port, login_timeout, ledger)
    try:
        start.wait()  # every client logs in at the same moment
        logged_in = client.log_in(data.username)
        client.set_timeout(timeout)
        start.wait()
        if not logged_in:
            ledger.refused["login"] += 1
            return
        work(client, data, actions, stop_at, ledger)
    finally:
        client.connection.close()


def work(client, data: ClientData, actions: list[str], stop_at: list[float], ledger) -> None:
    rng = random.Random(data.number)
    group, n = data.group, 0
    weights = [WEIGHTS[a] for a in actions]
    while time.monotonic() < stop_at[0]:
        n += 1
        token = f"load:{data.number}:{n}"
        action = rng.choices(actions, weights)[0]
        try:
            if action == "meetings" and data.days:
                record_meeting(client, group, data.days.pop(), token, rng)
            elif action == "members":
                edit_member(client, group, rng.choice(group.members), token)
            elif action == "visits" and group.follow_ups:
                record_visit(client, group, token)
            else:
                path = rng.choice(
                    [f"/groups/{group.id}", f"/members?group={group.id}", "/due", "/"]
                )
                client.request("reads", "GET", path)
        except Exception as error:  # noqa: BLE001 - a bug of the bench, counted and shown
            ledger.refused[f"client error {type(error).__name__}"] += 1


def record_meeting(client: Client, group: GroupData, day: date, token: str, rng) -> None:
    path = f"/groups/{group.id}/meetings/new"
    csrf, _text = client.form("meetings", path)
    if csrf is None:
        return
    marks = {m["id"]: rng.choice(STATUSES).value for m in group.members}
    form = {"csrf_token": csrf, "held_on": day.isoformat(), "kind": "regular", "topics": token}
    form.update({f"att-{member_id}": status for member_id, status in marks.items()})
    client.ledger.attempted.add(token)
    status, _text = client.request("meetings", "POST", path, form)
    if status == 302:
        client.ledger.meetings.append((token, group.id, day, marks))
    elif status == 200:
        client.ledger.refused["meetings"] += 1


def edit_member(client: Client, group: GroupData, member: dict, token: str) -> None:
    path = f"/members/{member['id']}/edit"
    csrf, text = client.form("members", path)
    version = VERSION.search(text)
    if csrf is None or version is None:
        return
    form = {
        "csrf_token": csrf,
        "version": version.group(1),
        "full_name": member["full_name"],
        "gender": member["gender"],
        "birth_year": member["birth_year"],
        "phone": "",
        "category": member["category"],
        "notes": token,
    }
    client.ledger.attempted.add(token)
    status, _text = client.request("members", "POST", path, form)
    if status == 302:
        client.ledger.edits.append((token, member["id"], int(version.group(1))))
    elif status == 200:
        client.ledger.refused["members"] += 1


def record_visit(client: Client, group: GroupData, token: str) -> None:
    """The oldest open visit of the group: its other facilitator may be on it too."""
    with group.lock:
        if not group.follow_ups:
            return
        follow_up = group.follow_ups[0]
    path = f"/follow-ups/{follow_up}/visit"
    csrf, _text = client.form("visits", path)
    if csrf is None:
        return
    form = {
        "csrf_token": csrf,
        "visited_on": today().isoformat(),
        "business_status": "operating",
        "monthly_income": "2000000",
        "notes": token,
    }
    client.ledger.attempted.add(token)
    status, _text = client.request("visits", "POST", path, form)
    if status == 302:
        client.ledger.visits.append((token, follow_up))
    elif status in (200, 409):
        client.ledger.refused["visits"] += 1  # the other facilitator was first
    if status in (200, 302, 409):
        with group.lock:
            if follow_up in group.follow_ups:
                group.follow_ups.remove(follow_up)


# Server --------------------------------------------------------------------------------


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


# Checking the ledger -------------------------------------------------------------------


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
