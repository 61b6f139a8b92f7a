"""Screening and referral rows for the national data set (bench.dataset).

Per 1,000 members: 800 screened once (complete, scored by support.scoring from answers
picked at random), 300 of them again four to eight months later, 5 with a screening still
being filled in, and 250 referred to a provider of their province with their consent to
share on record, in every state a referral goes through, with its timeline. Five
providers per province. The questionnaire is installed by support.questionnaire, and the
overdue referrals get their follow-ups from the daily job itself
(support.jobs.open_referral_checks), as on a live server.
"""

from datetime import date, timedelta

from sqlalchemy import func, select

from bench.harness import execute_many, utc
from core.db import db
from groups.models import Consent, ConsentPurpose, Membership, group_facilitators
from support import questionnaire, scoring
from support.jobs import open_referral_checks
from support.models.referrals import (
    ProviderType,
    Referral,
    ReferralEvent,
    ReferralStatus,
    ServiceProvider,
)
from support.models.screening import (
    Dimension,
    Screening,
    ScreeningAnswer,
    ScreeningStatus,
    SupportType,
)

SCREENED, RESCREENED, DRAFTS, REFERRED = 0.8, 0.3, 0.005, 0.25
PROVIDER_KINDS = (
    ProviderType.OSSO,
    ProviderType.HEALTH,
    ProviderType.LEGAL,
    ProviderType.VOCATIONAL,
    ProviderType.PSYCHOSOCIAL,
)
SERVICE_OF = {
    ProviderType.OSSO: SupportType.DOCUMENTS,
    ProviderType.HEALTH: SupportType.HEALTH,
    ProviderType.LEGAL: SupportType.LEGAL,
    ProviderType.VOCATIONAL: SupportType.VOCATIONAL,
    ProviderType.PSYCHOSOCIAL: SupportType.PSYCHOSOCIAL,
}
PROVIDER_NAMES = {
    ProviderType.OSSO: "Văn phòng hỗ trợ dịch vụ một điểm đến",
    ProviderType.HEALTH: "Trung tâm Y tế",
    ProviderType.LEGAL: "Trung tâm Trợ giúp pháp lý nhà nước",
    ProviderType.VOCATIONAL: "Trung tâm Dịch vụ việc làm",
    ProviderType.PSYCHOSOCIAL: "Trung tâm Công tác xã hội",
}
# How referrals older than their expected day ended (the rest are still open, overdue).
ENDINGS = (
    (ReferralStatus.SERVICE_RECEIVED, 0.6),
    (ReferralStatus.DECLINED, 0.15),
    (ReferralStatus.UNREACHABLE, 0.1),
)


def add_support(builder) -> None:
    """Screenings, providers and referrals for the members `builder` made (its `where`:
    member id → (group id, province, facilitator); `groups`, `rng`, `day`, `summary`)."""
    version = questionnaire.install(questionnaire.V1)
    questions = [q for s in version.sections for q in s.questions]
    founded = {g[0]: g[2]["founded_on"] for g in builder.groups}
    members = sorted(builder.where)
    # A screening being filled in, and an open referral the facilitator login made, where
    # that login can carry them on.
    first_group = db.session.scalar(
        select(group_facilitators.c.group_id)
        .where(group_facilitators.c.user_id == builder.facilitator_id)
        .order_by(group_facilitators.c.group_id)
        .limit(1)
    )
    drafted = {
        db.session.scalar(
            select(Membership.member_id)
            .where(Membership.group_id == first_group, Membership.left_on.is_(None))
            .order_by(Membership.member_id.desc())
            .limit(1)
        )
    }
    _screenings(builder, version.id, questions, founded, members, drafted)
    providers = _providers(builder)
    _referrals(builder, providers, founded, members, drafted)
    db.session.flush()
    opened = open_referral_checks(builder.day)
    builder.summary["referral follow-ups"] = opened["referral_checks"]


def _screenings(builder, version_id: int, questions, founded, members, drafted) -> None:
    rng, day = builder.rng, builder.day
    rows, answers = [], []
    for member_id in members:
        group_id, _p, facilitator = builder.where[member_id]
        start = founded[group_id]
        if rng.random() >= SCREENED and member_id not in drafted:
            continue
        first = min(day, start + timedelta(days=rng.randint(0, 60)))
        days = [first]
        again = first + timedelta(days=rng.randint(120, 240))
        if rng.random() < RESCREENED / SCREENED and again <= day:
            days.append(again)
        row = dict(member_id=member_id, version_id=version_id, screened_by_id=facilitator)
        for on in days:
            picked = [(q, rng.choice(q.options)) for q in questions]
            rows.append({**row, **_scored(picked, on)})
            answers.append(picked)
        if member_id in drafted or rng.random() < DRAFTS / SCREENED:  # started, not finished
            rows.append({**row, **_scored(None, day)})
            answers.append([(q, rng.choice(q.options)) for q in questions[:3]])
    before = db.session.scalar(select(func.max(Screening.id))) or 0
    execute_many(Screening, rows)
    ids = db.session.scalars(
        select(Screening.id).where(Screening.id > before).order_by(Screening.id)
    ).all()
    execute_many(
        ScreeningAnswer,
        [
            dict(screening_id=sid, question_id=q.id, option_id=o.id)
            for sid, picked in zip(ids, answers, strict=True)
            for q, o in picked
        ],
    )
    builder.summary["screenings"] = len(rows)


def _scored(picked, on: date) -> dict:
    """A screening's status and scores: complete and scored by support.scoring from the
    answers `picked`, or (None) still being filled in."""
    if picked is None:
        return dict(
            screened_on=on,
            status=ScreeningStatus.DRAFT,
            economic=None,
            social=None,
            psychosocial=None,
            suggested=None,
            completed_at=None,
        )
    result = scoring.score(picked)
    return dict(
        screened_on=on,
        status=ScreeningStatus.COMPLETE,
        economic=result.scores[Dimension.ECONOMIC],
        social=result.scores[Dimension.SOCIAL],
        psychosocial=result.scores[Dimension.PSYCHOSOCIAL],
        suggested=",".join(t.value for t in result.suggested) or None,
        completed_at=utc(on),
    )


def _providers(builder) -> dict[int, list[tuple[int, str, ProviderType]]]:
    """Five providers per province of the data set: province → (id, name, kind)."""
    provinces = sorted({p for _g, p, _f in builder.where.values()})
    rows = [
        dict(
            name=f"{PROVIDER_NAMES[kind]} {i + 1}",
            kind=kind,
            province_code=p,
            commune_code=builder.rng.choice(builder.communes[p]),
            address="Trụ sở UBND xã",
            phone="0234 3820 000",
            opening_days="Thứ Hai – Thứ Sáu, 7:30–17:00",
            active=True,
        )
        for p in provinces
        for i, kind in enumerate(PROVIDER_KINDS)
    ]
    execute_many(ServiceProvider, rows)
    out: dict = {}
    for pid, province, name, kind in db.session.execute(
        select(
            ServiceProvider.id,
            ServiceProvider.province_code,
            ServiceProvider.name,
            ServiceProvider.kind,
        )
    ):
        out.setdefault(province, []).append((pid, name, kind))
    builder.summary["providers"] = len(rows)
    return out


def _referrals(builder, providers, founded, members, showcase) -> None:
    rng, day = builder.rng, builder.day
    chosen = [m for m in members if rng.random() < REFERRED or m in showcase]
    consents, plans = [], []
    for member_id in chosen:
        group_id, province, facilitator = builder.where[member_id]
        provider_id, name, kind = rng.choice(providers[province])
        earliest = max(founded[group_id], day - timedelta(days=365))
        referred_on = earliest + timedelta(days=rng.randint(0, max(0, (day - earliest).days)))
        if member_id in showcase:
            facilitator, referred_on = builder.facilitator_id, day - timedelta(days=3)
        consents.append(
            dict(
                member_id=member_id,
                purpose=ConsentPurpose.PROVIDER_SHARING,
                provider=name,
                provider_id=provider_id,
                given_on=referred_on,
                recorded_by_id=facilitator,
            )
        )
        plans.append((member_id, provider_id, SERVICE_OF[kind], referred_on, facilitator))
    execute_many(Consent, consents)
    consent_of = dict(
        db.session.execute(
            select(Consent.member_id, Consent.id).where(
                Consent.purpose == ConsentPurpose.PROVIDER_SHARING
            )
        ).all()
    )
    rows, steps = [], []
    for member_id, provider_id, service, referred_on, facilitator in plans:
        expected_on = referred_on + timedelta(days=21)
        status, acknowledged_on, closed_on = _fate(rng, referred_on, expected_on, day)
        rows.append(
            dict(
                member_id=member_id,
                provider_id=provider_id,
                service=service,
                reason="Cần hỗ trợ làm lại giấy tờ tùy thân và tìm việc gần nhà",
                referred_on=referred_on,
                expected_on=expected_on,
                consent_id=consent_of[member_id],
                status=status,
                acknowledged_on=acknowledged_on,
                closed_on=closed_on,
                outcome=None if closed_on is None else "Đã liên hệ, ghi nhận kết quả",
                referred_by_id=facilitator,
                created_at=utc(referred_on),
            )
        )
        timeline = [(referred_on, None, ReferralStatus.REFERRED)]
        if acknowledged_on is not None:
            timeline.append((acknowledged_on, ReferralStatus.REFERRED, ReferralStatus.ACKNOWLEDGED))
        if closed_on is not None:
            timeline.append((closed_on, timeline[-1][2], status))
        steps.append((facilitator, timeline))
    before = db.session.scalar(select(func.max(Referral.id))) or 0
    execute_many(Referral, rows)
    ids = db.session.scalars(
        select(Referral.id).where(Referral.id > before).order_by(Referral.id)
    ).all()
    execute_many(
        ReferralEvent,
        [
            dict(
                referral_id=rid,
                at=utc(on),
                on=on,
                actor_id=actor,
                from_status=before,
                to_status=after,
            )
            for rid, (actor, timeline) in zip(ids, steps, strict=True)
            for on, before, after in timeline
        ],
    )
    builder.summary["referrals"] = len(rows)


def _fate(rng, referred_on: date, expected_on: date, day: date):
    """(status, acknowledged_on, closed_on) of a referral made on `referred_on`."""
    acknowledged = referred_on + timedelta(days=rng.randint(2, 7))
    if expected_on >= day:  # not due yet: still open
        if acknowledged <= day and rng.random() < 0.5:
            return ReferralStatus.ACKNOWLEDGED, acknowledged, None
        return ReferralStatus.REFERRED, None, None
    draw, total = rng.random(), 0.0
    for status, share in ENDINGS:
        total += share
        if draw < total:
            closed = min(day, referred_on + timedelta(days=rng.randint(8, 40)))
            return status, acknowledged if closed >= acknowledged else None, closed
    return ReferralStatus.ACKNOWLEDGED, acknowledged, None  # open past its day
