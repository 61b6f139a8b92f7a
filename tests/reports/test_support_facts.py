"""The screening and referral facts: marked by any write to a referral, its provider's
kind, a screening or a member's home group, and always giving the live figures and the
figures of the rule as it was written before the facts (support/figures.py, kept below
as REFERENCE): a property-based test over random screenings, referrals, status changes,
moves and folds, on either database.

TULUC_FACTS_EXAMPLES sets how many random sequences: 4 here, to keep the suite quick;
`python -m bench.facts_property` runs 200."""

import os
from collections import defaultdict
from datetime import date, timedelta
from statistics import median
from types import SimpleNamespace

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from core.db import db
from groups.models import GroupRole, Member, Membership
from reports.facts import refresh
from reports.facts.models import DirtyKey, ReferralMonth, ScreeningMonth
from reports.facts.support import (
    REFERRAL_COLUMNS,
    SCREENING_COLUMNS,
    referral_month_select,
    screening_month_select,
)
from reports.indicators import groups as group_indicators
from reports.indicators.support import referral_counts, screening_change
from support.models.referrals import (
    OPEN_STATUSES,
    ProviderType,
    Referral,
    ReferralStatus,
    ServiceProvider,
)
from support.models.screening import Dimension, Screening, ScreeningStatus, SupportType
from support.services import directory as directory_services
from tests.conftest import HUE, NGHE_AN
from tests.support.helpers import NOBODY, add_provider

START = date(2025, 1, 6)
DAY = st.integers(min_value=0, max_value=330)
LATER = st.integers(min_value=0, max_value=60)
SCORE = st.sampled_from([None, 0.0, 0.1, 0.25, 1 / 3, 0.5, 0.7, 1.0])
SCORES = st.tuples(SCORE, SCORE, SCORE)
STATUSES = list(ReferralStatus)
OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("screen"), st.integers(0, 3), DAY, st.booleans(), SCORES),
        st.tuples(st.just("rescore"), st.integers(0, 20), st.booleans(), SCORES),
        st.tuples(st.just("redate_screening"), st.integers(0, 20), DAY),
        st.tuples(st.just("unscreen"), st.integers(0, 20)),
        st.tuples(st.just("refer"), st.integers(0, 3), st.integers(0, 2), st.integers(0, 9), DAY),
        st.tuples(st.just("status"), st.integers(0, 20), st.integers(0, 6), LATER),
        st.tuples(st.just("redate_referral"), st.integers(0, 20), DAY),
        st.tuples(st.just("unrefer"), st.integers(0, 20)),
        st.tuples(st.just("kind"), st.integers(0, 2), st.integers(0, 9)),
        st.tuples(st.just("move"), st.integers(0, 3), st.integers(0, 2), DAY),
        st.tuples(st.just("fold"), st.sampled_from([None, 1, 3])),
    ),
    max_size=30,
)
# (start, end): whole months (read from the facts) and days (read live).
PERIODS = [
    (date(2025, 3, 1), date(2025, 3, 31)),
    (date(2025, 1, 1), date(2025, 3, 31)),
    (date(2025, 4, 1), date(2025, 6, 30)),
    (date(2025, 1, 1), date(2025, 12, 31)),
    (date(2025, 2, 10), date(2025, 5, 20)),
]
PROVINCES = [None, {HUE}, {NGHE_AN}, set()]
PROPERTY = settings(
    max_examples=int(os.environ.get("TULUC_FACTS_EXAMPLES", "4")),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
# Run first, whatever is drawn: two screenings in a month and one the next, a member
# rescreened across a quarter, referrals served, accepted, withdrawn, a provider's kind
# changed, moves between provinces, partial folds.
EVERY_KIND = [
    ("screen", 0, 30, True, (0.25, 0.5, None)),
    ("screen", 0, 40, True, (0.5, 0.7, 0.1)),
    ("screen", 0, 70, True, (1.0, None, 0.5)),
    ("screen", 1, 60, False, (0.1, 0.1, 0.1)),
    ("refer", 0, 0, 1, 55),
    ("refer", 1, 1, 2, 56),
    ("refer", 2, 2, 3, 57),
    ("fold", 1),
    ("status", 0, 3, 10),
    ("status", 1, 2, 5),
    ("status", 2, 6, 0),
    ("fold", 3),
    ("kind", 0, 4),
    ("rescore", 3, True, (0.2, 0.2, 0.2)),
    ("move", 0, 2, 100),
    ("redate_referral", 0, 120),
    ("fold", None),
    ("unrefer", 1),
    ("unscreen", 0),
    ("move", 0, 0, 200),
]


def _status(member_id: int, complete: bool, screening=None) -> ScreeningStatus:
    """A draft only where the member has none (one open screening each)."""
    drafts = select(Screening.id).where(
        Screening.member_id == member_id, Screening.status == ScreeningStatus.DRAFT
    )
    if screening is not None:
        drafts = drafts.where(Screening.id != screening.id)
    if complete or db.session.scalar(drafts) is not None:
        return ScreeningStatus.COMPLETE
    return ScreeningStatus.DRAFT


def _open_clash(member_id, provider_id, service, other=None) -> bool:
    """Another open referral of the member to the provider for the service (one each)."""
    stmt = select(Referral.id).where(
        Referral.member_id == member_id,
        Referral.provider_id == provider_id,
        Referral.service == service,
        Referral.status.in_(OPEN_STATUSES),
    )
    if other is not None:
        stmt = stmt.where(Referral.id != other.id)
    return db.session.scalar(stmt) is not None


def _apply(operation, world) -> None:
    """One write straight to the tables: the triggers, not the services, must mark what
    it touches."""
    kind = operation[0]
    screenings = db.session.scalars(select(Screening).order_by(Screening.id)).all()
    referrals = db.session.scalars(select(Referral).order_by(Referral.id)).all()
    if kind == "screen":
        _k, m, offset, complete, scores = operation
        db.session.add(
            Screening(
                member_id=world.members[m],
                version_id=world.version,
                screened_on=START + timedelta(days=offset),
                status=_status(world.members[m], complete),
                **dict(zip(("economic", "social", "psychosocial"), scores, strict=True)),
            )
        )
    elif kind == "rescore" and screenings:
        _k, i, complete, scores = operation
        screening = screenings[i % len(screenings)]
        screening.status = _status(screening.member_id, complete, screening)
        screening.economic, screening.social, screening.psychosocial = scores
    elif kind == "redate_screening" and screenings:
        screenings[operation[1] % len(screenings)].screened_on = START + timedelta(
            days=operation[2]
        )
    elif kind == "unscreen" and screenings:
        db.session.delete(screenings[operation[1] % len(screenings)])
    elif kind == "refer":
        _k, m, p, s, offset = operation
        on = START + timedelta(days=offset)
        service = list(SupportType)[s % len(SupportType)]
        if _open_clash(world.members[m], world.providers[p], service):
            return
        db.session.add(
            Referral(
                member_id=world.members[m],
                provider_id=world.providers[p],
                service=service,
                reason="x",
                referred_on=on,
                expected_on=on + timedelta(days=7),
                consent_id=world.consent,
                status=ReferralStatus.REFERRED,
            )
        )
    elif kind == "status" and referrals:
        _k, i, s, later = operation
        referral = referrals[i % len(referrals)]
        if STATUSES[s].is_open and _open_clash(
            referral.member_id, referral.provider_id, referral.service, referral
        ):
            return
        referral.status = STATUSES[s]
        referral.closed_on = (
            None if STATUSES[s].is_open else referral.referred_on + timedelta(days=later)
        )
    elif kind == "redate_referral" and referrals:
        referrals[operation[1] % len(referrals)].referred_on = START + timedelta(days=operation[2])
    elif kind == "unrefer" and referrals:
        db.session.delete(referrals[operation[1] % len(referrals)])
    elif kind == "kind":
        provider = db.session.get(ServiceProvider, world.providers[operation[1]])
        provider.kind = list(ProviderType)[operation[2] % len(ProviderType)]
    elif kind == "move":
        _k, m, g, offset = operation
        current = db.session.scalar(
            select(Membership).where(
                Membership.member_id == world.members[m], Membership.left_on.is_(None)
            )
        )
        day = max(START + timedelta(days=offset), current.joined_on + timedelta(days=1))
        if current.group_id != world.groups[g]:
            current.left_on = day
            db.session.flush()
            db.session.add(
                Membership(
                    member_id=world.members[m],
                    group_id=world.groups[g],
                    role=GroupRole.MEMBER,
                    joined_on=day,
                )
            )
    elif kind == "fold":
        refresh.fold(limit=operation[1])
    db.session.commit()


def reference_referrals(codes, start: date, end: date) -> dict:
    """referral_counts as support/figures.py counted it: every row read, in Python."""
    from groups.models import Group
    from groups.services.scope import home_memberships

    home = home_memberships()
    stmt = (
        select(
            Referral.service,
            Group.province_code,
            Referral.status,
            Referral.referred_on,
            Referral.closed_on,
            ServiceProvider.kind,
        )  # fmt: skip
        .join(ServiceProvider, ServiceProvider.id == Referral.provider_id)
        .join(home, home.c.member_id == Referral.member_id)
        .join(Group, Group.id == home.c.group_id)
        .where(Referral.referred_on >= start, Referral.referred_on <= end)
    )
    if codes is not None:
        stmt = stmt.where(Group.province_code.in_(list(codes) or [-1]))
    total, parts = [], {"by_service": {}, "by_provider_kind": {}, "by_province": {}}
    for service, province, status, referred_on, closed_on, kind in db.session.execute(stmt):
        row = (status, referred_on, closed_on)
        total.append(row)
        for part, key in zip(parts, (service.value, kind.value, province), strict=True):
            parts[part].setdefault(key, []).append(row)

    def summary(rows):
        days = [(c - r).days for s, r, c in rows if s == ReferralStatus.SERVICE_RECEIVED and c]
        taken = (ReferralStatus.ACCEPTED, ReferralStatus.SERVICE_RECEIVED)
        return {
            "made": len(rows),
            "accepted": sum(1 for s, _r, _c in rows if s in taken),
            "completed": len(days),
            "median_days": median(days) if days else None,
            "consent_withdrawn": sum(
                1 for s, _r, _c in rows if s == ReferralStatus.CONSENT_WITHDRAWN
            ),
        }

    return {
        **summary(total),
        **{p: {k: summary(v) for k, v in sorted(d.items())} for p, d in parts.items()},
    }


def reference_screenings(codes, start: date, end: date) -> dict:
    """screening_change as support/figures.py counted it."""
    from groups.models import Group
    from groups.services.scope import home_memberships

    home = home_memberships()
    stmt = (
        select(Screening.member_id, Screening.economic, Screening.social, Screening.psychosocial)
        .join(home, home.c.member_id == Screening.member_id)
        .join(Group, Group.id == home.c.group_id)
        .where(
            Screening.status == ScreeningStatus.COMPLETE,
            Screening.screened_on >= start,
            Screening.screened_on <= end,
        )
        .order_by(Screening.member_id, Screening.screened_on, Screening.id)
    )
    if codes is not None:
        stmt = stmt.where(Group.province_code.in_(list(codes) or [-1]))
    by_member, count = defaultdict(list), 0
    for member_id, *scores in db.session.execute(stmt):
        by_member[member_id].append(dict(zip(Dimension, scores, strict=True)))
        count += 1
    changes = {d: [] for d in Dimension}
    rescreened = 0
    for rows in by_member.values():
        if len(rows) < 2:
            continue
        rescreened += 1
        for d in Dimension:
            if rows[0][d] is not None and rows[-1][d] is not None:
                changes[d].append(rows[-1][d] - rows[0][d])
    return {
        "screenings": count,
        "members": len(by_member),
        "members_rescreened": rescreened,
        "change": {d.value: (round(sum(v) / len(v), 3) if v else None) for d, v in changes.items()},
    }


def _figures(count, screen):
    return [
        (codes, period, count(codes, *period), screen(codes, *period))
        for codes in PROVINCES
        for period in PERIODS
    ]


def stale_support_facts() -> dict:
    """Every key not marked whose support facts differ from the records now."""
    marked = {tuple(k) for k in db.session.execute(select(DirtyKey.group_id, DirtyKey.month))}
    out = {}
    for model, build, columns in (
        (ReferralMonth, referral_month_select, REFERRAL_COLUMNS),
        (ScreeningMonth, screening_month_select, SCREENING_COLUMNS),
    ):
        found: dict = {"kept": defaultdict(set), "live": defaultdict(set)}
        for side, rows in (("kept", select(*model.__table__.c)), ("live", build(lambda *a: []))):
            for r in db.session.execute(rows).mappings():
                key = (r["group_id"], date.fromisoformat(str(r["month"])[:10]))
                if key not in marked:
                    found[side][key].add(tuple(r[c] for c in columns))
        for key in set(found["kept"]) | set(found["live"]):
            if found["kept"][key] != found["live"][key]:
                out[(model.__tablename__, *key)] = (found["kept"][key], found["live"][key])
    return out


def test_support_figures_from_the_facts_are_the_live_figures_after_any_writes_and_folds(
    app, make_group, make_member, monkeypatch
):
    from support import questionnaire

    group_ids = [
        make_group(HUE, name="Nhóm A").id,
        make_group(HUE, name="Nhóm B").id,
        make_group(NGHE_AN, name="Nhóm C").id,
    ]
    names = ("Lê Thị Hoa", "Phạm Văn Nam", "Đỗ Thị Lan", "Vũ Thị Hằng")
    member_ids = [
        make_member(SimpleNamespace(id=group_ids[i % 3]), full_name=n).id
        for i, n in enumerate(names)
    ]
    with app.app_context():
        version = questionnaire.install(questionnaire.V1).id
        providers = [
            add_provider(HUE).id,
            add_provider(HUE, "Trạm y tế phường", ProviderType.HEALTH).id,
            add_provider(NGHE_AN, "Trung tâm trợ giúp pháp lý", ProviderType.LEGAL).id,
        ]
        consent = directory_services.record_sharing_consent(
            NOBODY,
            db.session.get(Member, member_ids[0]),
            db.session.get(ServiceProvider, providers[0]),
            given_on=START,
            today=START,
        ).id
        db.session.commit()
    world = SimpleNamespace(
        groups=group_ids, members=member_ids, version=version, providers=providers, consent=consent
    )

    @PROPERTY
    @given(OPERATIONS)
    @example(EVERY_KIND)
    def check(operations):
        with app.app_context():
            for operation in operations:
                _apply(operation, world)
            assert stale_support_facts() == {}
            reference = _figures(reference_referrals, reference_screenings)
            monkeypatch.setattr(group_indicators, "READ_FACTS", False)
            assert _figures(referral_counts, screening_change) == reference
            monkeypatch.setattr(group_indicators, "READ_FACTS", True)
            assert _figures(referral_counts, screening_change) == reference
            refresh.fold()  # and once everything is folded
            db.session.commit()
            assert stale_support_facts() == {}
            assert _figures(referral_counts, screening_change) == reference
            db.session.remove()

    check()


def test_a_member_moving_group_moves_their_support_figures_at_the_fold(
    app, make_group, make_member
):
    from support import questionnaire

    a, b = make_group(HUE, name="Nhóm A"), make_group(NGHE_AN, name="Nhóm B")
    mai = make_member(a, full_name="Trần Thị Mai")
    march = (date(2025, 3, 1), date(2025, 3, 31))
    with app.app_context():
        provider = add_provider(HUE).id
        consent = directory_services.record_sharing_consent(
            NOBODY,
            db.session.get(Member, mai.id),
            db.session.get(ServiceProvider, provider),
            given_on=START,
            today=START,
        ).id
        world = SimpleNamespace(
            groups=[a.id, b.id],
            members=[mai.id],
            version=questionnaire.install(questionnaire.V1).id,
            providers=[provider],
            consent=consent,
        )
        db.session.commit()
        _apply(("refer", 0, 0, 1, 60), world)  # 2025-03-07
        _apply(("screen", 0, 61, True, (0.1, 0.2, 0.3)), world)
        _apply(("screen", 0, 62, True, (0.3, 0.2, None)), world)
        refresh.fold()
        db.session.commit()
        assert db.session.scalar(select(DirtyKey.group_id)) is None
        assert db.session.scalar(select(ReferralMonth.n).where(ReferralMonth.group_id == a.id)) == 1
        row = db.session.scalar(select(ScreeningMonth).where(ScreeningMonth.group_id == a.id))
        assert (row.n, row.first_economic, row.last_economic) == (2, 0.1, 0.3)
        assert referral_counts({HUE}, *march)["made"] == 1
        _apply(("move", 0, 1, 100), world)
        marked = {tuple(k) for k in db.session.execute(select(DirtyKey.group_id, DirtyKey.month))}
        assert {(a.id, date(2025, 3, 1)), (b.id, date(2025, 3, 1))} <= marked
        # Read live while marked, from the facts once folded: in Nghệ An now.
        for _ in range(2):
            assert referral_counts({HUE}, *march)["made"] == 0
            assert list(referral_counts(None, *march)["by_province"]) == [NGHE_AN]
            assert referral_counts({NGHE_AN}, *march)["made"] == 1
            assert screening_change({NGHE_AN}, *march)["members_rescreened"] == 1
            assert screening_change({NGHE_AN}, *march)["change"]["economic"] == 0.2
            assert screening_change({HUE}, *march)["screenings"] == 0
            refresh.fold()
            db.session.commit()
        assert (
            db.session.scalar(select(ReferralMonth.n).where(ReferralMonth.group_id == a.id)) is None
        )
        assert db.session.scalar(select(ReferralMonth.n).where(ReferralMonth.group_id == b.id)) == 1


def test_every_support_figure_the_progress_page_shows_is_defined_on_the_how_page():
    """The screening and referral section names its figures by key from
    definitions.SUPPORT, which the "how each figure is counted" page lists: a key not
    defined there would break the page, and one defined but not shown is a stale text."""
    import re
    from pathlib import Path

    from reports.definitions import SUPPORT

    template = Path(__file__).parents[2] / "templates" / "reports" / "progress.html"
    shown = set(re.findall(r"support\.figures\.(\w+)\.label", template.read_text()))
    defined = {f.key for f in SUPPORT.figures}
    assert shown and shown <= defined
    # The change per dimension is shown under its own words, one row per dimension.
    assert defined - shown == {"screening_change"}
