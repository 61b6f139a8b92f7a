"""The load benchmark's data and clients: the groups and members it builds (build), and the
facilitators who log in and write through the server, each acknowledged write kept in
a Ledger."""

import http.client
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlencode

from bench.load_data import CSRF, HOST, PASSWORD, STATUSES, VERSION, WEIGHTS, ClientData, GroupData
from core.clock import today


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
