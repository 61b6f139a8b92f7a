"""The pages benchmark's reading of pages and data: the forms of a page (FormParser,
form_of), a result Row, and which records of the national data set a role may open (Scope)."""

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from sqlalchemy import create_engine, exists, select
from sqlalchemy.orm import Session

from core.db import db
from groups.meeting_models import Meeting
from groups.models import Consent, Group, Member, Membership
from groups.services import groups as group_services
from livelihoods.models import FollowUp, FollowUpStatus, Grant, GrantStatus, Tranche, Visit
from support.models.referrals import Referral, ReferralStatus, ServiceProvider
from support.models.screening import Screening, ScreeningStatus


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
                .where(FollowUp.grant_id.in_(grants), FollowUp.status == FollowUpStatus.SCHEDULED)
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
