"""Members: profiles, dated memberships, consent, and who sees them."""

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, exists, or_, select
from sqlalchemy.orm import selectinload

from accounts.models import User
from core import audit, clock
from core.dates import check_day, not_before
from core.db import db
from core.errors import DomainError
from core.places import Province
from core.text import fold, sort_key
from groups.models import (
    Consent,
    ConsentPurpose,
    Gender,
    Group,
    GroupRole,
    Member,
    MemberCategory,
    Membership,
)
from groups.services.codes import next_code
from groups.services.errors import StaleEdit
from groups.services.scope import group_in_provinces, member_in_scope


def set_name(member: Member, full_name: str) -> None:
    member.full_name = full_name
    member.search_name = fold(full_name)[:120]
    member.sort_key = sort_key(full_name)


def visible_members(user: User) -> Select:
    """Members the user may see: the rule of Member.can_view (groups.services.scope)."""
    return select(Member).where(member_in_scope(user, Member.id))


# The member list's order, by the index ix_members_sort_key_id.
MEMBER_ORDER = (Member.sort_key, Member.id)


def list_members(
    user: User,
    *,
    q: str = "",
    province_code: int | None = None,
    commune_code: int | None = None,
    group_id: int | None = None,
    category: MemberCategory | None = None,
    status: str | None = None,
) -> Select:
    """Visible members filtered, not ordered yet: the list is paged in MEMBER_ORDER
    (Vietnamese name order) by core.keyset. q matches code or name, ignoring case and
    diacritics ("nguyen thi" finds "Nguyễn Thị")."""
    stmt = visible_members(user)
    if q:
        key = fold(q)
        stmt = stmt.where(
            or_(
                Member.search_name.contains(key, autoescape=True),
                Member.code.istartswith(q.strip(), autoescape=True),
            )
        )
    if province_code:
        stmt = stmt.where(group_in_provinces(Member.home_group_id, [province_code]))
    if category:
        stmt = stmt.where(Member.category == category)
    current = and_(Membership.member_id == Member.id, Membership.left_on.is_(None))
    if group_id or commune_code:
        in_group = exists().where(current, Membership.group_id == Group.id)
        if group_id:
            in_group = in_group.where(Group.id == group_id)
        if commune_code:
            in_group = in_group.where(Group.commune_code == commune_code)
        stmt = stmt.where(in_group)
    if status == "active":
        stmt = stmt.where(exists().where(current))
    elif status == "left":
        # Read from the few closed memberships (ix_memberships_left_member_id, a partial
        # index), not by testing every member of the list in name order.
        left = select(Membership.member_id).where(Membership.left_on.is_not(None))
        stmt = stmt.where(Member.id.in_(left), ~exists().where(current))
    return stmt.options(selectinload(Member.memberships).selectinload(Membership.group))


def likely_same_person(group: Group, full_name: str, birth_year: int | None) -> list[Member]:
    """Members in the group now with the same name (ignoring case and diacritics) and the
    same birth year, or none known: probably the person about to be added again (review
    R5). A warning only: two women named Nguyễn Thị Lan born in 1990 can share a group."""
    same_year = (
        or_(Member.birth_year.is_(None), Member.birth_year == birth_year)
        if birth_year is not None
        else True
    )
    return list(
        db.session.scalars(
            select(Member)
            .join(Membership, Membership.member_id == Member.id)
            .where(
                Membership.group_id == group.id,
                Membership.left_on.is_(None),
                Member.search_name == fold(full_name)[:120],
                same_year,
            )
            .order_by(Member.id)
        )
    )


def create_member(
    actor: User,
    group: Group,
    *,
    full_name: str,
    gender: Gender,
    birth_year: int | None,
    phone: str | None,
    category: MemberCategory,
    notes: str | None,
    joined_on: date,
    role: GroupRole,
    consents=(),
    provider: str | None = None,
    village: str | None = None,
) -> Member:
    """Register a member in a group with a new code such as HUE-2026-0042."""
    if ConsentPurpose.PROVIDER_SHARING in consents and not provider:
        raise DomainError(_l("Name the service provider."), "provider")
    check_day(joined_on, clock.today(), "joined_on")
    not_before_founded(group, joined_on, "joined_on")
    province = db.session.get(Province, group.province_code)
    member = Member(
        code=next_code(Member.code, f"{province.abbreviation}-{joined_on.year}-", 4),
        gender=gender,
        birth_year=birth_year,
        phone=phone,
        village=village,
        category=category,
        notes=notes,
        created_by_id=actor.id,
    )
    set_name(member, full_name)
    db.session.add(member)
    member.memberships.append(
        Membership(group=group, role=role, joined_on=joined_on, recorded_by_id=actor.id)
    )
    for purpose in consents:
        purpose = ConsentPurpose(purpose)
        member.consents.append(
            Consent(
                purpose=purpose,
                given_on=joined_on,
                recorded_by_id=actor.id,
                provider=provider if purpose == ConsentPurpose.PROVIDER_SHARING else None,
            )
        )
    db.session.flush()
    audit.record(actor, "create", member)
    return member


def update_member(
    actor: User,
    member: Member,
    *,
    version: int,
    full_name: str,
    gender: Gender,
    birth_year: int | None,
    phone: str | None,
    category: MemberCategory,
    notes: str | None,
    village: str | None,
) -> Member:
    """Change a member's profile; refused if someone saved it since the form was opened."""
    if version != member.version:
        raise StaleEdit(member)
    changed = [
        name
        for name, new in (
            ("full_name", full_name),
            ("gender", gender),
            ("birth_year", birth_year),
            ("phone", phone),
            ("village", village),
            ("category", category),
            ("notes", notes),
        )
        if getattr(member, name) != new
    ]
    set_name(member, full_name)
    member.gender, member.birth_year, member.phone = gender, birth_year, phone
    member.category, member.notes, member.village = category, notes, village
    db.session.flush()
    if changed:
        audit.record(actor, "update", member, detail="changed=" + ",".join(changed))
    return member


def not_before_founded(group: Group, day: date, field: str) -> None:
    not_before(
        day,
        group.founded_on,
        _l("The joining date (%(day)s) is before the group was founded (%(founded)s)."),
        field,
    )


def _close_current(member: Member, on: date, reason: str | None) -> Membership:
    current = member.current_membership
    if current is None:
        raise DomainError(_l("This member is not in a group now."))
    check_day(on, clock.today(), "on")
    not_before(
        on,
        current.joined_on,
        _l("The date (%(day)s) is before the member joined the group (%(joined)s)."),
        "on",
    )
    current.left_on, current.left_reason = on, reason
    db.session.flush()  # the open-membership index allows one open row at a time
    return current


def leave_group(actor: User, member: Member, *, on: date, reason: str | None) -> None:
    """End the member's current membership on a date."""
    current = _close_current(member, on, reason)
    audit.record(actor, "leave", current, on=on)


def move_member(actor: User, member: Member, to_group: Group, *, on: date) -> Membership:
    """Move the member to another group: the old row closes, a new one opens, same day.

    Who may see the member, their grants and follow-ups, and who is reminded of their
    visits, follow the new membership (groups.services.scope): nothing else to update."""
    current = member.current_membership
    if current is not None and current.group_id == to_group.id:
        raise DomainError(_l("The member is already in this group."), "group_id")
    check_day(on, clock.today(), "on")
    not_before_founded(to_group, on, "on")
    ended = [m.left_on for m in member.memberships if m.left_on is not None]
    if current is None:
        not_before(
            on,
            max(ended, default=None),
            _l("The date (%(day)s) is before the member left their last group (%(left)s)."),
            "on",
        )
    if current is not None:
        _close_current(member, on, None)
    row = Membership(
        member=member, group=to_group, role=GroupRole.MEMBER, joined_on=on, recorded_by_id=actor.id
    )
    db.session.add(row)
    db.session.flush()
    audit.record(actor, "move", row, on=on)
    return row


def change_group_role(actor: User, member: Member, role: GroupRole, *, on: date) -> Membership:
    """Give the member a new role from a date, keeping the earlier role as history."""
    current = member.current_membership
    if current is None:
        raise DomainError(_l("This member is not in a group now."))
    if current.role == role:
        raise DomainError(_l("The member already has this role."), "role")
    check_day(on, clock.today(), "on")
    not_before(
        on,
        current.joined_on,
        _l("The date (%(day)s) is before the member joined the group (%(joined)s)."),
        "on",
    )
    if on == current.joined_on:
        current.role = role  # same day: a correction, not a change of history
        row = current
    else:
        _close_current(member, on, None)
        row = Membership(
            member=member, group=current.group, role=role, joined_on=on, recorded_by_id=actor.id
        )
        db.session.add(row)
    db.session.flush()
    audit.record(actor, "change_role", row, on=on)
    return row


def record_consent(
    actor: User, member: Member, *, purpose: ConsentPurpose, provider: str | None, given_on: date
) -> Consent:
    """Record consent for a purpose (and, for sharing, a named provider)."""
    if purpose == ConsentPurpose.PROVIDER_SHARING and not provider:
        raise DomainError(_l("Name the service provider."), "provider")
    if purpose != ConsentPurpose.PROVIDER_SHARING:
        provider = None
    check_day(given_on, clock.today(), "given_on")
    for c in member.consents:
        if c.active and c.purpose == purpose and (c.provider or "") == (provider or ""):
            raise DomainError(_l("This consent is already recorded."), "purpose")
    consent = Consent(
        member=member,
        purpose=purpose,
        provider=provider,
        given_on=given_on,
        recorded_by_id=actor.id,
    )
    db.session.add(consent)
    db.session.flush()
    audit.record(actor, "consent", consent, detail=purpose.value, on=given_on)
    return consent


# Packages whose records rely on a consent (support: a referral on consent to share) add
# here a function (actor, consent, on) that closes them when it is withdrawn, and to
# RELYING_ON one (consent) -> descriptions of what would close, for the confirmation page.
ON_WITHDRAWAL: list = []
RELYING_ON: list = []


def relying_on(consent: Consent) -> list:
    """What withdrawing this consent would close (descriptions for the user)."""
    return [item for find in RELYING_ON for item in find(consent)]


def withdraw_consent(actor: User, consent: Consent, *, on: date) -> Consent:
    """Withdraw a consent from a date; it stays in the history, and whatever relies on
    it closes (ON_WITHDRAWAL)."""
    if not consent.active:
        raise DomainError(_l("This consent was already withdrawn."))
    check_day(on, clock.today(), "on")
    not_before(
        on,
        consent.given_on,
        _l("The withdrawal date (%(day)s) is before the consent was given (%(given)s)."),
        "on",
    )
    consent.withdrawn_on, consent.withdrawn_by_id = on, actor.id
    for close in ON_WITHDRAWAL:
        close(actor, consent, on)
    db.session.flush()
    audit.record(actor, "withdraw_consent", consent, on=on)
    return consent


def has_consent(member: Member, purpose: ConsentPurpose, provider: str | None = None) -> bool:
    return any(
        c.active and c.purpose == purpose and (provider is None or c.provider == provider)
        for c in member.consents
    )


# Anonymisation -----------------------------------------------------------------------







