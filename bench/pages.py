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
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from html.parser import HTMLParser

from sqlalchemy import create_engine, exists, select, update
from sqlalchemy.orm import Session

from app import create_app
from bench import dataset
from bench.harness import StatementLog, at_head, bench_config
from core.db import db
from groups.models import Consent, Group, Meeting, Member, Membership
from groups.services import groups as group_services
from groups.services.scope import member_in_scope
from livelihoods.models import (
    FollowUp,
    FollowUpKind,
    FollowUpStatus,
    Grant,
    GrantStatus,
    Tranche,
    Visit,
)
from support.models.referrals import Referral, ReferralStatus, ServiceProvider
from support.models.screening import Screening, ScreeningStatus

ROLES = ("admin", "coordinator", "coordinator-region", "facilitator", "member")
STAFF_TARGET = {"facilitator": 5.0, "member": 5.0}  # × healthz; others 10
MAX_KIB, MAX_GROWTH = 60.0, 1.5


# Forms ---------------------------------------------------------------------------------


class FormParser(HTMLParser):
    """The POST forms of a page: action and the values a browser would send untouched."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form = None
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("method", "get").lower() == "post":
            self._form = {"action": a.get("action", ""), "fields": {}, "radios": {}}
            self.forms.append(self._form)
        if self._form is None or "name" not in a and tag != "option":
            return
        name = a.get("name")
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind == "radio":
                self._form["radios"].setdefault(name, a.get("value"))
                if "checked" in a:
                    self._form["radios"][name] = a.get("value")
            elif kind == "checkbox":
                if "checked" in a:
                    self._form["fields"][name] = a.get("value", "y")
            elif kind not in ("submit", "button", "image", "reset", "file"):
                self._form["fields"][name] = a.get("value", "")
        elif tag == "select":
            self._select = name
            self._form["fields"][name] = None
        elif tag == "option" and self._select:
            fields = self._form["fields"]
            if fields[self._select] is None or "selected" in a:
                value = a.get("value", "")
                if value or "selected" in a:
                    fields[self._select] = value
        elif tag == "textarea":
            self._textarea = name
            self._form["fields"][name] = ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._form is not None and self._textarea:
            self._form["fields"][self._textarea] += data


def form_of(html: str, url: str) -> dict:
    parser = FormParser()
    parser.feed(html)
    for form in parser.forms:
        if form["action"] in ("", url) and "csrf_token" in form["fields"]:
            data = {k: v for k, v in form["fields"].items() if v is not None}
            data.update({k: v for k, v in form["radios"].items() if v is not None})
            return data
    raise SystemExit(f"no form posting to {url}")


# Data ----------------------------------------------------------------------------------


@dataclass
class Row:
    role: str
    label: str
    status: dict = field(default_factory=dict)  # scale -> status
    statements: dict = field(default_factory=dict)  # scale -> most common count
    ratio: dict = field(default_factory=dict)  # scale -> median / healthz median
    ms: dict = field(default_factory=dict)
    kib: dict = field(default_factory=dict)


def member_code(url: str) -> str:
    """The member login the data set made (the only user with a member id)."""
    from accounts.models import User

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with Session(engine) as session:
        code = session.scalar(select(User.username).where(User.member_id.is_not(None)))
    engine.dispose()
    return code


class Scope:
    """Candidate ids for a route's arguments, all within one login's scope."""

    def __init__(self, client):
        self.client = client

    def candidates(self, app, user) -> dict[str, list[int]]:

        with app.app_context():
            user = db.session.merge(user)
            groups = db.session.execute(
                group_services.visible_groups(user).with_only_columns(Group.id).limit(1)
            ).scalars()
            group = next(iter(groups), None)
            if group is None:
                return {}
            # Members with a visit first: the same shape of profile at both scales (a
            # profile with visits loads their follow-ups and visitors, two statements).
            # Likewise a screening and a referral (their lists load the provider and the
            # questionnaire once each, whatever their number).
            visited = exists().where(Visit.member_id == Membership.member_id)
            screened = exists().where(Screening.member_id == Membership.member_id)
            referred = exists().where(Referral.member_id == Membership.member_id)
            members = list(
                db.session.scalars(
                    select(Membership.member_id)
                    .where(Membership.group_id == group, Membership.left_on.is_(None))
                    .order_by(
                        visited.desc(), screened.desc(), referred.desc(), Membership.member_id
                    )
                    .limit(3)
                )
            )
            meeting = db.session.scalar(
                select(Meeting.id)
                .where(Meeting.group_id == group)
                .order_by(Meeting.held_on.desc())
                .limit(1)
            )
            grants = []
            for status in GrantStatus:
                grants += db.session.scalars(
                    select(Grant.id)
                    .join(Membership, Membership.member_id == Grant.member_id)
                    .where(
                        Membership.left_on.is_(None),
                        Membership.group_id.in_(
                            group_services.visible_groups(user).with_only_columns(Group.id)
                        ),
                        Grant.status == status,
                    )
                    .order_by(Grant.id)
                    .limit(1)
                ).all()
            follow_up = db.session.scalar(
                select(FollowUp.id)
                .where(
                    FollowUp.grant_id.in_(grants),
                    FollowUp.status == FollowUpStatus.SCHEDULED,
                )
                .limit(1)
            )
            tranche = db.session.scalar(
                select(Tranche.id).where(Tranche.grant_id.in_(grants)).limit(1)
            )
            from accounts.models import Role, User

            other = db.session.scalar(
                select(User.id).where(User.role == Role.FACILITATOR).order_by(User.id).limit(1)
            )
            support = _support_candidates(user, members)
            return {
                **support,
                "group_id": [group],
                "member_id": members,
                "meeting_id": [meeting] if meeting else [],
                "grant_id": grants,
                "follow_up_id": [follow_up] if follow_up else [],
                "tranche_id": [tranche] if tranche else [],
                "user_id": [other] if other else [],
            }


def _support_candidates(user, members: list[int]) -> dict[str, list[int]]:
    """Screenings (one being filled in, one complete), referrals (open, closed) and a
    provider in the login's scope; for each of `members`, a consent it may withdraw
    (the list lines up with `members`, as a rule with both ids takes them in pairs)."""
    in_scope = Member.home_group_id.in_(
        group_services.visible_groups(user).with_only_columns(Group.id)
    )

    def first(model, *where):
        return db.session.scalar(
            select(model.id)
            .join(Member, Member.id == model.member_id)
            .where(in_scope, *where)
            .order_by(model.id)
            .limit(1)
        )

    screenings = [
        first(Screening, Screening.status == status)
        for status in (ScreeningStatus.DRAFT, ScreeningStatus.COMPLETE)
    ]
    referrals = [
        first(Referral, Referral.referred_by_id == user.id),  # its letter is theirs to print
        *(
            first(Referral, Referral.status == status)
            for status in (ReferralStatus.REFERRED, ReferralStatus.SERVICE_RECEIVED)
        ),
    ]
    provider = db.session.scalar(
        select(ServiceProvider.id)
        .where(
            ServiceProvider.province_code.in_(
                group_services.visible_groups(user).with_only_columns(Group.province_code)
            )
        )
        .order_by(ServiceProvider.id)
        .limit(1)
    )
    consents = [
        db.session.scalar(
            select(Consent.id)
            .where(Consent.member_id == m, Consent.withdrawn_on.is_(None))
            .order_by(Consent.id)
            .limit(1)
        )
        for m in members
    ]
    screenings = [s for s in screenings if s is not None]
    return {
        "screening_id": screenings,
        "page": [1] * len(screenings),
        "referral_id": [r for r in referrals if r is not None],
        "provider_id": [provider] if provider else [],
        "consent_id": consents if all(consents) else [],
        "kind": ["members", "attendance"],  # an import template every staff role may take
    }


def get_rules(app) -> list:
    rules = []
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and rule.endpoint != "static":
            rules.append(rule)
    return sorted(rules, key=lambda r: r.rule)


def last_page(html: str) -> int | str | None:
    """The page count shown by the pager ("Page 1 of 12", "Trang 1/12", …), or the URL of
    the "Last" link of a keyset pager (core.keyset), which has no page numbers."""
    pager = re.search(r'<nav class="pager".*?</nav>', html, re.S)
    if not pager:
        return None
    last = re.search(r'<a href="([^"]+)" rel="last"', pager.group(0))
    if last:
        return last.group(1).replace("&amp;", "&")
    text = pager.group(0).split("<span>")[-1]
    numbers = [int(n.replace(".", "").replace(",", "")) for n in re.findall(r"\d[\d.,]*", text)]
    return max(numbers) if numbers else None


class Bench:
    def __init__(
        self, app, runs: int, warmup: int, only: str | None = None, day: date | None = None
    ):
        self.app, self.runs, self.warmup, self.only = app, runs, warmup, only
        self.day = day or date(2026, 11, 30)
        with app.app_context():
            self.log = StatementLog(db.engine)

    def wanted(self, path: str) -> bool:
        """Whether --only keeps this path: a prefix, or with a final "$" the path itself."""
        if not self.only:
            return True
        if self.only.endswith("$"):
            return path == self.only[:-1]
        return path.startswith(self.only)

    def log_in(self, role: str, code: str):
        client = self.app.test_client()
        page = client.get("/login/member" if role == "member" else "/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
        if role == "member":
            data = {"code": code, "pin": dataset.MEMBER_PIN}
            url = "/login/member"
        else:
            data = {"username": role, "password": dataset.PASSWORD}
            url = "/login"
        response = client.post(url, data={**data, "csrf_token": token.group(1)})
        if response.status_code != 302:
            raise SystemExit(f"{role}: login failed ({response.status_code})")
        return client

    def requests(self, role: str, client) -> list[tuple[str, callable]]:
        """(label, make) where make() gives (method, url, data, expected)."""
        from accounts.models import User

        with self.app.app_context():
            username = role if role != "member" else None
            stmt = (
                select(User).where(User.username == username)
                if username
                else select(User).where(User.member_id.is_not(None))
            )
            user = db.session.scalar(stmt)
            db.session.expunge(user)
        ids = Scope(client).candidates(self.app, user)
        out = []
        for rule in get_rules(self.app):
            if rule.rule in ("/login", "/login/member", "/healthz"):
                continue
            if not self.wanted(rule.rule):
                continue
            args = sorted(rule.arguments)
            if not args:
                url = rule.rule
                out.append((f"GET {rule.rule}", url))
                continue
            choices = [ids.get(a, []) for a in args]
            if not all(choices):
                out.append((f"GET {rule.rule}", None))
                continue
            # The first combination of candidates that the role may open.
            found = None
            for combo in (
                zip(*[c for c in choices], strict=False)
                if len(args) > 1
                else ((c,) for c in choices[0])
            ):
                url = rule.rule
                for a, v in zip(args, combo, strict=True):
                    url = re.sub(rf"<(?:\w+:)?{a}>", str(v), url)
                if client.get(url).status_code == 200:
                    found = url
                    break
            out.append((f"GET {rule.rule}", found))
        # List variants, and the month's attendance register of a group (the page to
        # print; the files of /exports stream, measured by bench.exports).
        for base, extra in (
            ("/members", "q=nguyen"),
            ("/groups", "q=nhom"),
            ("/members", "status=left"),
        ):
            if not self.wanted(base):
                continue
            out.append((f"GET {base}?{extra}", f"{base}?{extra}"))
        if self.wanted("/exports/register") and ids.get("group_id"):
            query = f"group={ids['group_id'][0]}&month={self.day:%Y-%m}"
            out.append(
                ("GET /exports/register?group=<id>&month=<month>", f"/exports/register?{query}")
            )
        for base in ("/members", "/groups", "/grants", "/admin/users", "/due", "/inbox"):
            if not self.wanted(base):
                continue
            response = client.get(base)
            if response.status_code != 200:
                continue
            n = last_page(response.get_data(as_text=True))
            if isinstance(n, str):  # a keyset list: its "Last" link
                out.append((f"GET {base}?page=<last>", n))
            elif n and n > 1:
                out.append((f"GET {base}?page=<last>", f"{base}?page={n}"))
        return out

    def measure(self, role: str, client, requests, rows: dict, scale: str) -> None:
        healthz, samples = [], {label: [] for label, _ in requests}
        counts = {label: Counter() for label, _ in requests}
        status, size = {}, {}
        for i in range(self.warmup + self.runs):
            for label, url in requests:
                if url is None:
                    continue
                t = time.perf_counter()
                client.get("/healthz")
                h = time.perf_counter() - t
                self.log.reset()
                t = time.perf_counter()
                response = client.get(url)
                elapsed = time.perf_counter() - t
                status[label] = response.status_code
                size[label] = len(response.get_data())
                if i >= self.warmup:
                    healthz.append(h)
                    samples[label].append(elapsed)
                    counts[label][len(self.log.statements)] += 1
        base = statistics.median(healthz) if healthz else 1.0
        for label, url in requests:
            row = rows.setdefault((role, label), Row(role, label))
            if url is None:
                row.status[scale] = "n/a"
                continue
            row.status[scale] = status[label]
            row.statements[scale] = counts[label].most_common(1)[0][0]
            median = statistics.median(samples[label])
            row.ms[scale] = median * 1000
            row.ratio[scale] = median / base
            row.kib[scale] = size[label] / 1024

    def measure_posts(self, clients: dict, rows: dict, scale: str, day: date) -> None:
        """Record a meeting, approve a grant, record a tranche, record a visit."""
        posts = []
        fac, coord = clients["facilitator"], clients["coordinator"]
        with self.app.app_context():
            fac_user = db.session.scalar(select_user("facilitator"))
            coord_user = db.session.scalar(select_user("coordinator"))
            group = db.session.scalar(
                group_services.visible_groups(fac_user).with_only_columns(Group.id).limit(1)
            )
            submitted = db.session.scalar(
                select(Grant.id)
                .where(
                    Grant.status == GrantStatus.SUBMITTED,
                    member_in_scope(coord_user, Grant.member_id),
                )
                .limit(1)
            )
            disbursed = db.session.scalar(
                select(Grant.id)
                .where(
                    Grant.status == GrantStatus.DISBURSED,
                    member_in_scope(coord_user, Grant.member_id),
                )
                .order_by(Grant.id)
                .limit(1)
            )
            if disbursed:
                # Room for as many small tranches as the bench records.
                db.session.execute(
                    update(Grant)
                    .where(Grant.id == disbursed)
                    .values(amount_approved=Grant.amount_approved + 10_000_000)
                )
            # The facilitator's visits due by the day; if their four groups have too few
            # for every round, the coordinator's (who may record visits too).
            visitor, visitor_role = fac, "facilitator"
            for user, client, role in (
                (fac_user, fac, "facilitator"),
                (coord_user, coord, "coordinator"),
            ):
                visits = list(
                    db.session.scalars(
                        select(FollowUp.id)
                        .where(
                            FollowUp.kind == FollowUpKind.GRANT_CHECK,  # a referral's is not
                            FollowUp.status == FollowUpStatus.SCHEDULED,
                            FollowUp.due_on <= day,
                            member_in_scope(user, FollowUp.member_id),
                        )
                        .order_by(FollowUp.id)
                        .limit(self.warmup + self.runs)
                    )
                )
                visitor, visitor_role = client, role
                if len(visits) >= self.warmup + self.runs:
                    break
            taken = set(
                db.session.scalars(select(Meeting.held_on).where(Meeting.group_id == group))
            )
            db.session.commit()
        free_days = (d for d in (day - timedelta(days=n) for n in range(1, 365)) if d not in taken)

        def meeting():
            url = f"/groups/{group}/meetings/new"
            data = form_of(fac.get(url).get_data(as_text=True), url)
            data["held_on"] = next(free_days).isoformat()
            return fac, url, data

        def approve():
            with self.app.app_context():
                db.session.execute(
                    update(Grant)
                    .where(Grant.id == submitted)
                    .values(status=GrantStatus.SUBMITTED, amount_approved=None)
                )
                db.session.commit()
            url = f"/grants/{submitted}/decide"
            data = form_of(coord.get(url).get_data(as_text=True), url)
            data["decision"] = "approve"
            return coord, url, data

        def tranche():
            url = f"/grants/{disbursed}/tranches/new"
            data = form_of(coord.get(url).get_data(as_text=True), url)
            data.update(amount="100000", paid_on=day.isoformat(), purchased="Thức ăn cho gà")
            return coord, url, data

        visit_ids = iter(visits)

        def visit():
            follow_up = next(visit_ids)
            url = f"/follow-ups/{follow_up}/visit"
            data = form_of(visitor.get(url).get_data(as_text=True), url)
            data.update(visited_on=day.isoformat(), notes="Bán được 30 con gà")
            return visitor, url, data

        if group:
            posts.append(("POST record a meeting", "facilitator", meeting))
        if submitted:
            posts.append(("POST approve a grant", "coordinator", approve))
        if disbursed:
            posts.append(("POST record a tranche", "coordinator", tranche))
        if len(visits) >= self.warmup + self.runs:
            posts.append(("POST record a visit", visitor_role, visit))
        healthz, samples, counts, status = [], {}, {}, {}
        for i in range(self.warmup + self.runs):
            for label, _role, make in posts:
                client, url, data = make()
                t = time.perf_counter()
                client.get("/healthz")
                h = time.perf_counter() - t
                self.log.reset()
                t = time.perf_counter()
                response = client.post(url, data=data)
                elapsed = time.perf_counter() - t
                status[label] = response.status_code
                if response.status_code != 302:
                    raise SystemExit(
                        f"{label}: {response.status_code}\n"
                        + response.get_data(as_text=True)[:3000]
                    )
                with client.session_transaction() as session:
                    session.pop("_flashes", None)
                if i >= self.warmup:
                    healthz.append(h)
                    samples.setdefault(label, []).append(elapsed)
                    counts.setdefault(label, Counter())[len(self.log.statements)] += 1
        base = statistics.median(healthz) if healthz else 1.0
        for label, role, _make in posts:
            row = rows.setdefault((role, label), Row(role, label))
            row.status[scale] = status[label]
            row.statements[scale] = counts[label].most_common(1)[0][0]
            median = statistics.median(samples[label])
            row.ms[scale] = median * 1000
            row.ratio[scale] = median / base
            row.kib[scale] = 0.0


def select_user(username):
    from accounts.models import User

    return select(User).where(User.username == username)


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
        "unless under it, no POSTs",
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
