"""Whose figures: the groups, members and grants in a user's scope, and the SQL tests a
figure's rows are checked with."""

from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import ColumnElement, bindparam, exists, select, true
from sqlalchemy.orm import aliased

from accounts.models import Role, User
from groups.models import (
    Group,
    Member,
)
from groups.services.groups import visible_groups
from groups.services.scope import home_memberships
from livelihoods.models import (
    Grant,
)
from reports.sql import checked_only

# Made once (see groups.services.scope: an alias builds a proxy of every column of its
# table on first use, which cost more than some of the statements take to run). Each
# subquery says what it correlates to, so sharing an alias between statements, or between
# two tests in one statement, changes nothing.
_SCOPE_MEMBER = aliased(Member, name="figure_member")
_SCOPE_GRANT = aliased(Grant, name="figure_grant")


@dataclass(frozen=True)
class Scope:
    """Whose figures: what `user` may see, narrowed to a province, commune or group."""

    user: User
    province_code: int | None = None
    commune_code: int | None = None
    group_id: int | None = None
    provinces: tuple[int, ...] = ()  # a set of provinces (the donor report)

    @cached_property
    def group_ids_stmt(self):
        return self._group_ids()

    def group_ids(self):
        """select(Group.id) of the groups in scope: never wider than the user may see.
        Built once per scope: building statements is most of a page's time."""
        return self.group_ids_stmt

    def _group_ids(self):
        # Named parameters: a statement built for one scope runs for another of its shape
        # with that scope's values (reports.indicators.prepared).
        stmt = visible_groups(self.user).with_only_columns(Group.id)
        if self.province_code is not None:
            stmt = stmt.where(
                Group.province_code == bindparam("scope_province", self.province_code)
            )
        if self.commune_code is not None:
            stmt = stmt.where(Group.commune_code == bindparam("scope_commune", self.commune_code))
        if self.group_id is not None:
            stmt = stmt.where(Group.id == bindparam("scope_group", self.group_id))
        if self.provinces:
            stmt = stmt.where(
                Group.province_code.in_(
                    bindparam("scope_provinces", list(self.provinces), expanding=True)
                )
            )
        return stmt

    def values(self) -> dict:
        """The values of this scope's named parameters."""
        return {
            "scope_province": self.province_code,
            "scope_commune": self.commune_code,
            "scope_group": self.group_id,
            "scope_provinces": list(self.provinces),
        }

    @property
    def shape(self) -> tuple:
        """What a statement built for this scope depends on besides values(): which
        narrowings are set, and whose groups the user may see (visible_groups: a
        coordinator's provinces, a facilitator's own groups)."""
        user = self.user
        if user.role == Role.COORDINATOR:
            sees = tuple(sorted(user.province_codes or ()))
        elif user.role == Role.FACILITATOR:
            sees = user.id
        else:
            sees = None
        narrowed = (self.province_code, self.commune_code, self.group_id)
        return (
            user.role,
            sees,
            tuple((v is None, bool(v)) for v in narrowed),
            bool(self.provinces),
        )

    @cached_property
    def member_ids_stmt(self):
        home = home_memberships()
        return select(home.c.member_id).where(home.c.group_id.in_(self.group_ids()))

    def member_ids(self):
        """select(member_id) of members whose home group is in scope (who may be seen)."""
        return self.member_ids_stmt

    @cached_property
    def grant_ids_stmt(self):
        return select(Grant.id).where(Grant.member_id.in_(self.member_ids()))

    def grant_ids(self):
        """select(Grant.id) of the grants of members in scope."""
        return self.grant_ids_stmt

    @property
    def wide(self) -> bool:
        """Provinces or the country: thousands of members, more than a period's rows."""
        return (
            self.user.role != Role.FACILITATOR
            and self.commune_code is None
            and self.group_id is None
        )

    def has_group(self, group_id) -> ColumnElement[bool]:
        """SQL: the group whose id is `group_id` (a column, never NULL) is in scope. The
        whole country checks nothing: every row's group is one of the country's, and the
        IN list of all 3,000 groups cost PostgreSQL a hash join in every figure."""
        if self.whole_country:
            return true()
        return group_id.in_(self.group_ids())

    def has_member(self, member_id) -> ColumnElement[bool]:
        """SQL: the member whose id is `member_id` (a column) is in scope.

        A facilitator's or a commune's few members are the better start (an IN list); a
        wide scope's list is tens of thousands long, so each row the period's dates select
        is checked on its own: the member's kept home group, then the group."""
        if self.whole_country:  # every member is in (or was last in) one of its groups
            return true()
        if not self.wide:
            return member_id.in_(self.member_ids())
        member = _SCOPE_MEMBER
        return (
            exists()
            .where(
                member.id == checked_only(member_id),
                member.home_group_id.in_(self.group_ids()),
            )
            .correlate_except(member)
        )

    def has_grant(self, grant_id) -> ColumnElement[bool]:
        """SQL: the grant whose id is `grant_id` (a column) is of a member in scope."""
        if self.whole_country:
            return true()
        if not self.wide:
            return grant_id.in_(self.grant_ids())
        grant, member = _SCOPE_GRANT, _SCOPE_MEMBER
        return (
            exists()
            .where(
                grant.id == checked_only(grant_id),
                member.id == grant.member_id,
                member.home_group_id.in_(self.group_ids()),
            )
            .correlate_except(grant, member)
        )

    @property
    def whole_country(self) -> bool:
        """An admin's scope, not narrowed: nothing to check a row against."""
        return self.user.role == Role.ADMIN and not (
            self.province_code or self.commune_code or self.group_id or self.provinces
        )

    @property
    def level(self) -> str:
        if self.group_id is not None:
            return "group"
        if self.commune_code is not None:
            return "commune"
        if self.province_code is not None:
            return "province"
        return "nation" if self.user.role == Role.ADMIN else "mine"
