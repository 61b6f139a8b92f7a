"""Consent that takes effect (issue 22): when a member withdraws the consent to share
their details with a provider, or is anonymised, every open referral that relies on it
closes with a status of its own (ReferralStatus.CONSENT_WITHDRAWN). Its letter can no
longer be printed (Referral.can_print_letter), its check leaves the due lists and the
referral job no longer chases it (support/jobs.py follows open referrals only).

Registered with groups.services.members (ON_WITHDRAWAL, RELYING_ON) and
groups.services.anonymise (ANONYMISERS), which cannot import this package. Written in
bulk, as the other anonymisers are, so versions bumped by them never meet a stale copy in
the session.
"""

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, insert, select, update

from core import audit
from core.dates import Day
from core.db import db
from groups.models import Consent, Member
from groups.services import anonymise
from groups.services import members as member_services
from livelihoods.models import FollowUp, FollowUpKind, FollowUpStatus
from support.models.referrals import (
    OPEN_STATUSES,
    Referral,
    ReferralEvent,
    ReferralStatus,
    ServiceProvider,
)

OPEN = OPEN_STATUSES


def _open_referrals(where) -> list:
    return db.session.execute(
        select(
            Referral.id,
            Referral.member_id,
            Referral.status,
            Referral.referred_on,
            Referral.acknowledged_on,
        )
        .where(Referral.status.in_(OPEN), where)
        .order_by(Referral.id)
    ).all()


def _close(actor, rows, on: date) -> None:
    """Close these open referrals as of `on` (not before what they already recorded)."""
    if not rows:
        return
    actor_id = getattr(actor, "id", None)
    closing = [
        {
            "rid": r.id,
            "closed": max(on, r.referred_on, r.acknowledged_on or r.referred_on),
            "before": r.status,
        }
        for r in rows
    ]
    table = Referral.__table__
    db.session.execute(
        update(table)
        .where(table.c.id == bindparam("rid"), table.c.status.in_([s.value for s in OPEN]))
        .values(
            status=ReferralStatus.CONSENT_WITHDRAWN.value,
            closed_on=bindparam("closed"),
            version=table.c.version + 1,
        ),
        [{"rid": c["rid"], "closed": c["closed"]} for c in closing],
    )
    db.session.execute(
        insert(ReferralEvent),
        [
            {
                "referral_id": c["rid"],
                "on": c["closed"],
                "actor_id": actor_id,
                "from_status": c["before"],
                "to_status": ReferralStatus.CONSENT_WITHDRAWN,
            }
            for c in closing
        ],
    )
    db.session.execute(
        update(FollowUp)
        .where(
            FollowUp.kind == FollowUpKind.REFERRAL_CHECK,
            FollowUp.source_key.in_([f"referral:{c['rid']}" for c in closing]),
            FollowUp.status.in_([FollowUpStatus.SCHEDULED, FollowUpStatus.MISSED]),
        )
        .values(status=FollowUpStatus.CANCELLED, version=FollowUp.version + 1)
        .execution_options(synchronize_session=False)
    )
    for r, c in zip(rows, closing, strict=True):
        audit.record(
            actor,
            "update",
            object_type="referrals",
            object_id=r.id,
            member_id=r.member_id,
            detail=f"{c['before'].value}>{ReferralStatus.CONSENT_WITHDRAWN.value}",
            on=c["closed"],
        )
    # Referrals already in the session are read again when next used.
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Referral | FollowUp):
            db.session.expire(obj)


def close_on_withdrawal(actor, consent: Consent, on: date) -> None:
    _close(actor, _open_referrals(Referral.consent_id == consent.id), on)


def close_on_anonymisation(member: Member) -> None:
    _close(None, _open_referrals(Referral.member_id == member.id), member.anonymised_on)


def relying_on(consent: Consent) -> list:
    """The open referrals that withdrawing this consent would close, described."""
    if consent.id is None:
        return []
    rows = db.session.execute(
        select(Referral.service, Referral.referred_on, ServiceProvider.name)
        .join(ServiceProvider, ServiceProvider.id == Referral.provider_id)
        .where(Referral.consent_id == consent.id, Referral.status.in_(OPEN))
        .order_by(Referral.referred_on, Referral.id)
    ).all()
    return [
        _l(
            "The referral to %(provider)s for %(service)s, made on %(day)s",
            provider=name,
            service=service.label,
            day=Day(referred_on),
        )
        for service, referred_on, name in rows
    ]


member_services.ON_WITHDRAWAL.append(close_on_withdrawal)
member_services.RELYING_ON.append(relying_on)
anonymise.ANONYMISERS.append(close_on_anonymisation)
