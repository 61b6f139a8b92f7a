"""The pages benchmark's run over one data set: every page each role may open, timed
against /healthz, with its statements counted (Bench)."""

import re
import statistics
import time
from collections import Counter
from datetime import date, timedelta

from sqlalchemy import select, update

from bench import dataset
from bench.harness import StatementLog
from bench.pages_scope import Row, Scope, form_of, get_rules, last_page
from core.db import db
from groups.meeting_models import Meeting
from groups.models import Group
from groups.services import groups as group_services
from groups.services.scope import member_in_scope
from livelihoods.models import FollowUp, FollowUpKind, FollowUpStatus, Grant, GrantStatus


class Bench:
    def __init__(
        self, app, runs: int, warmup: int, only: str | None = None, day: date | None = None
    ):
        self.app, self.runs, self.warmup, self.only = app, runs, warmup, only
        self.day = day or date(2026, 11, 30)
        with app.app_context():
            self.log = StatementLog(db.engine)

    def wanted(self, path: str) -> bool:
        """Whether --only keeps this path: a prefix, or with a final "$" the path itself;
        several separated by commas."""
        if not self.only:
            return True
        return any(
            path == only[:-1] if only.endswith("$") else path.startswith(only)
            for only in self.only.split(",")
        )

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
