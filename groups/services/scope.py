"""Who may see a member, in SQL: the twin of Member.can_view for lists and jobs.

One rule decides for a member's profile, grants, follow-ups and reminders: the member's
current group (their last one, once they left) and that group's current province. Grants
and follow-ups keep no group or province of their own, so moving a group to another
province, or a member to another group, moves access, due lists and reminders at once,
in the transaction that records the move; history (memberships, grants, visits) stays
with the member. The home group is kept on the member by the database, in the statement
that writes a membership (members.home_group_id, migration 0022); the province is always
read from the group.
"""

from sqlalchemy import ColumnElement, and_, exists, false, literal, or_, select, true
from sqlalchemy.orm import aliased

from accounts.models import Role, User
from core import audit
from groups.models import Group, Member, Membership, group_facilitators

# The aliases of the scope tests, made once. An alias makes a proxy of every column of its
# table the first time one is used: made on every call, that was most of the time taken to
# build a list's statement, and more than running it (reports.indicators measured 9 ms of
# a progress page's grant figures). Sharing one alias between statements is safe because
# each test below says what it correlates to (correlate_except / correlate(None)), so it
# never binds to the same alias in a statement it is nested in.
_MEMBER = aliased(Member, name="scope_member")
_GROUP = aliased(Group, name="scope_group")
_CURRENT = aliased(Membership, name="scope_current")
_FACILITATED = group_facilitators.alias("scope_facilitated")


def home_memberships():
    """Each member's home group as (member_id, group_id): the open membership, else the
    latest by (joined_on, id), as Member.home_membership picks it. Read from the kept
    `members.home_group_id` (set by the database with every membership write, migration
    0022); derived_home_memberships() works it out from the memberships."""
    return (
        select(Member.id.label("member_id"), Member.home_group_id.label("group_id"))
        .where(Member.home_group_id.is_not(None))
        .subquery("home")
    )


def derived_home_memberships():
    """home_memberships() worked out from every membership (a NOT EXISTS per member): what
    the kept column must equal, for the tests' check and the migration's backfill."""
    row, later = aliased(Membership), aliased(Membership)
    superseded = exists().where(
        later.member_id == row.member_id,
        or_(
            later.left_on.is_(None),
            later.joined_on > row.joined_on,
            and_(later.joined_on == row.joined_on, later.id > row.id),
        ),
    )
    return (
        select(row.member_id.label("member_id"), row.group_id.label("group_id"))
        .where(or_(row.left_on.is_(None), ~superseded))
        .subquery("derived_home")
    )


def current_groups():
    """Each member in a group now, as (member_id, group_id)."""
    return (
        select(Membership.member_id.label("member_id"), Membership.group_id.label("group_id"))
        .where(Membership.left_on.is_(None))
        .subquery("current")
    )


def facilitated_members(user: User):
    """The members now in one of the facilitator's groups, as (member_id)."""
    return (
        select(_CURRENT.member_id.label("member_id"))
        .join(_FACILITATED, _FACILITATED.c.group_id == _CURRENT.group_id)
        .where(_CURRENT.left_on.is_(None), _FACILITATED.c.user_id == user.id)
        .correlate(None)  # depends on nothing outside it
    )


def group_in_provinces(group_id, codes) -> ColumnElement[bool]:
    """SQL: the group whose id is `group_id` (a column) is now in one of the provinces
    `codes`: a member's home group (the member list's province filter) or an event's group
    (the audit viewer)."""
    return (
        exists()
        .where(_GROUP.id == group_id, _GROUP.province_code.in_(codes))
        .correlate_except(_GROUP)
    )


def member_in_scope(user: User, member_id) -> ColumnElement[bool]:
    """SQL: `user` may see the member whose id is `member_id` (a column or value)."""
    if user.role == Role.ADMIN:
        return true()
    if user.role == Role.COORDINATOR:
        return (
            exists()
            .where(
                _MEMBER.id == member_id,
                _GROUP.id == _MEMBER.home_group_id,
                _GROUP.province_code.in_(user.province_codes or {-1}),
            )
            .correlate_except(_MEMBER, _GROUP)
        )
    if user.role == Role.FACILITATOR:
        # IN, not a correlated EXISTS: the few members of the facilitator's groups are read
        # first (by ix_group_facilitators_user_id_group_id and the memberships' group
        # index), instead of testing every member of a national list one by one.
        column = literal(member_id) if isinstance(member_id, int) else member_id
        return column.in_(facilitated_members(user))
    return false()


def members_in_provinces(codes):
    """The members whose home group is now in one of the provinces `codes`, as (id)."""
    return (
        select(_MEMBER.id)
        .join(_GROUP, _GROUP.id == _MEMBER.home_group_id)
        .where(_GROUP.province_code.in_(codes))
        .correlate(None)  # depends on nothing outside it
    )


def listed_member_in_scope(user: User, member_id) -> ColumnElement[bool]:
    """member_in_scope for a statement that walks a national index and tests each row
    (the due list by day): a coordinator's members are read once, by the provinces'
    groups and the members' home group index, and each row is a probe of that list,
    instead of two lookups per row (the due list's count read every overdue visit of
    the country that way: 0.4 ms at scale 0.1, 8.5 ms at 0.3). Same rule; for one
    member, member_in_scope is cheaper."""
    if user.role == Role.COORDINATOR:
        return member_id.in_(members_in_provinces(user.province_codes or {-1}))
    return member_in_scope(user, member_id)


# Where an audit event's subject belongs (core.audit asks; this rule is written only here).
def _member_group(member_id: int):
    return select(Member.home_group_id).where(Member.id == member_id).scalar_subquery()


def _member_province(member_id: int):
    return (
        select(Group.province_code)
        .join(Member, Member.home_group_id == Group.id)
        .where(Member.id == member_id)
        .scalar_subquery()
    )


def _group_province(group_id: int):
    return select(Group.province_code).where(Group.id == group_id).scalar_subquery()


audit.register_places(
    audit.Places(
        member_group=_member_group,
        member_province=_member_province,
        group_province=_group_province,
    )
)
