"""What a provider records on a referral (issue 26).

Every answer is an effective-dated event on the referral's timeline, audited, and a
notice in the inbox of whoever made the referral and of the province's coordinators;
the referral job stops chasing a referral the provider answered (support/jobs.py).
"""

from datetime import date, timedelta
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy import select

from accounts.models import Role, User, user_provinces
from core import audit
from core.dates import PLAN_DAYS, Day, check_day
from core.db import db
from core.errors import DomainError
from groups.models import ConsentPurpose
from inbox import services as notify
from support.models.provider_side import DeclineReason
from support.models.referrals import (
    NEXT_STATUS,
    Referral,
    ReferralEvent,
    ReferralStatus,
)
from support.services.referrals import close_follow_up

MAX_TEXT = 2000


class Action(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    ACCEPT = "accept"
    DECLINE = "decline"
    SERVED = "served"

    @property
    def status(self) -> ReferralStatus:
        return {
            Action.ACKNOWLEDGE: ReferralStatus.ACKNOWLEDGED,
            Action.ACCEPT: ReferralStatus.ACCEPTED,
            Action.DECLINE: ReferralStatus.DECLINED,
            Action.SERVED: ReferralStatus.SERVICE_RECEIVED,
        }[self]


def shared_phone(referral: Referral) -> str | None:
    """The member's phone, only while they agree to be called (as on the letter)."""
    member = referral.member
    return (
        member.phone if member.phone and member.has_consent(ConsentPurpose.PHONE_CONTACT) else None
    )


def _too_long():
    return lazy_ngettext(
        "Use at most %(limit)s character.",
        "Use at most %(limit)s characters.",
        MAX_TEXT,
        limit=MAX_TEXT,
    )


def answer(
    actor: User | None,
    referral: Referral,
    *,
    action: Action,
    on: date | None,
    today: date,
    via: str,
    reason: str | None = None,
    note: str | None = None,
    service_given: str | None = None,
    served_by: str | None = None,
    next_appointment_on: date | None = None,
    ip: str | None = None,
) -> ReferralEvent:
    """Record the provider's answer as of `on`; actor None when it came through the link."""
    if not referral.is_open:
        raise DomainError(
            _l(
                "This referral is already %(status)s; that change is not possible. "
                "Nothing was changed.",
                status=referral.status.label,
            )
        )
    to = action.status
    if to not in NEXT_STATUS.get(referral.status, ()):
        raise DomainError(
            _l(
                "This referral is already %(status)s; that change is not possible. "
                "Nothing was changed.",
                status=referral.status.label,
            )
        )
    if on is None:
        raise DomainError(_l("Enter the date."), "on")
    check_day(on, today, "on")
    if on < referral.referred_on:
        raise DomainError(
            _l(
                "The date (%(day)s) is before the referral was made (%(referred)s).",
                day=Day(on),
                referred=Day(referral.referred_on),
            ),
            "on",
        )
    if referral.acknowledged_on is not None and on < referral.acknowledged_on:
        raise DomainError(
            _l(
                "The date (%(day)s) is before the provider acknowledged the referral "
                "(%(acknowledged)s).",
                day=Day(on),
                acknowledged=Day(referral.acknowledged_on),
            ),
            "on",
        )
    if note is not None and len(note) > MAX_TEXT:
        raise DomainError(_too_long(), "note")
    if action == Action.DECLINE:
        if reason not in {r.value for r in DeclineReason}:
            raise DomainError(_l("Choose a reason from the list."), "reason")
        if reason == DeclineReason.OTHER and not note:
            raise DomainError(_l("Write the reason."), "note")
        referral.decline_reason = reason
    if action == Action.SERVED:
        if not service_given:
            raise DomainError(_l("Write what service was given."), "service_given")
        if len(service_given) > MAX_TEXT:
            raise DomainError(_too_long(), "service_given")
        if next_appointment_on is not None and not (
            on <= next_appointment_on <= today + timedelta(days=PLAN_DAYS)
        ):
            raise DomainError(
                _l(
                    "The next appointment (%(day)s) must be on or after the day the service "
                    "was given (%(given)s), and within a year.",
                    day=Day(next_appointment_on),
                    given=Day(on),
                ),
                "next_appointment_on",
            )
        referral.service_given = service_given
        referral.served_by = (served_by or None) and served_by[:120]
        referral.next_appointment_on = next_appointment_on
    before = referral.status
    referral.status = to
    if to in (ReferralStatus.ACKNOWLEDGED, ReferralStatus.ACCEPTED):
        if referral.acknowledged_on is None:
            referral.acknowledged_on = on
    else:
        referral.closed_on = on
        referral.outcome = service_given if action == Action.SERVED else note
    if referral.provider_answered_on is None:
        referral.provider_answered_on = on
    # The provider answered: the referral's check is done, the job chases no more.
    close_follow_up(referral)
    event = ReferralEvent(
        on=on,
        actor_id=actor.id if actor is not None else None,
        from_status=before,
        to_status=to,
        note=note if action != Action.SERVED else service_given,
        via=via,
    )
    referral.events.append(event)
    db.session.flush()
    audit.record(
        actor, "update", referral, detail=f"{before.value}>{to.value};via={via}", ip=ip, on=on
    )
    tell_coordinators(referral, event)
    return event


def tell_coordinators(referral: Referral, event: ReferralEvent) -> int:
    """A notice for whoever made the referral and the coordinators of the member's
    province, once per event."""
    told = 0
    for user_id in sorted(case_team_ids(referral)):
        told += notify.notify(
            user_id,
            f"provans:{event.id}:{user_id}",
            KIND,
            object_id=referral.id,
            data={"status": event.to_status.value, "on": event.on.isoformat()},
        )
    return told


def case_team_ids(referral: Referral) -> set[int]:
    """Who hears what the provider says: the active coordinators of the member's current
    province, and whoever made the referral while their account is active."""
    province = referral.member.province_code
    ids = set()
    if province is not None:
        ids |= set(
            db.session.scalars(
                select(User.id)
                .join(user_provinces, user_provinces.c.user_id == User.id)
                .where(
                    User.role == Role.COORDINATOR,
                    User.active,
                    user_provinces.c.province_code == province,
                )
            )
        )
    if referral.referred_by is not None and referral.referred_by.active:
        ids.add(referral.referred_by_id)
    return ids


KIND = "referral_answered"
