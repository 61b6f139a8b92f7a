"""What every check shares: a row's plan, and the context loaded once per batch."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from sqlalchemy import select

from accounts.models import Role, User
from core.dates import first_day
from core.db import db
from core.places import Commune
from core.text import fold
from groups.models import (
    GroupStatus,
    Member,
    Membership,
)
from imports import cells
from imports.columns import header_key
from imports.models import ImportBatch
from imports.places_legacy import Outcome, Reason, new_provinces_of, resolve_old_address
from imports.services import group_names
from imports.services.vocabulary import (
    ERROR,
    PROBLEMS,
)

folded = lru_cache(maxsize=8192)(fold)  # group names repeat on every row


@dataclass
class Plan:
    """What a row would do: its outcome, problems and the values to write."""

    number: int
    problems: list[tuple[str, str | None]] = field(default_factory=list)  # (code, field)
    values: dict = field(default_factory=dict)
    outcome: str = "new"  # new, matched or error

    def add(self, code: str, key: str | None = None) -> None:
        self.problems.append((code, key))

    @property
    def has_errors(self) -> bool:
        return any(PROBLEMS[code][0] == ERROR for code, _ in self.problems)


@dataclass
class _GroupInfo:
    id: int
    code: str
    search_name: str
    province_code: int
    commune_code: int
    founded_on: date
    status: GroupStatus
    name: str


class CheckContext:
    """What a check needs from the database, loaded in a few queries per batch."""

    def __init__(self, actor: User, batch: ImportBatch, today: date):
        self.actor, self.batch, self.today = actor, batch, today
        self.first_day = first_day()
        self.answers = batch.answer_dict
        self.places: dict[str, dict] = {}  # asked places by key
        self.words: dict[str, dict] = {}  # category words asked, by key
        self.consent_words: dict[str, dict] = {}  # programme consent words asked, by key
        self.resolved: dict[tuple, tuple] = {}
        self.groups = [_GroupInfo(*row) for row in group_names.scope(actor)]
        self.by_code = {g.code.upper(): g for g in self.groups}
        self.by_name: dict[str, list[_GroupInfo]] = defaultdict(list)
        for g in self.groups:
            self.by_name[g.search_name].append(g)
        self.names = group_names.GroupNames(self.groups, self.answers)

    def in_window(self, plan: Plan, day: date | None, key: str) -> bool:
        """A day the forms would take: not before the programme began, not after today in
        Viet Nam (the caller's `today`). Every date column of every register goes through
        here, so the import keeps the window the pages keep."""
        if day is None:
            return False
        if day > self.today:
            plan.add("future_date", key)
            return False
        if day < self.first_day:
            plan.add("before_programme", key)
            return False
        return True

    def covers(self, province_code: int) -> bool:
        return self.actor.role in (Role.ADMIN, Role.COORDINATOR) and self.actor.covers_province(
            province_code
        )

    def place(self, plan: Plan, commune, district, province, *, required: bool) -> int | None:
        """Today's commune code of an old (or new) address; asks once per distinct address."""
        commune, district, province = (
            cells.text(commune),
            cells.text(district),
            cells.text(province),
        )
        if not commune and not province:
            if required:
                plan.add("missing", "commune")
            return None
        if not commune:
            plan.add("missing", "commune")
            return None
        if not province:
            plan.add("missing", "province")
            return None
        key = self._place_key(province, district, commune)
        if key in self.answers:
            return self.answers[key]
        found = self.resolved.get(key)
        if found is None:
            resolution = resolve_old_address(commune, district, province)
            found = (resolution, (commune, district, province))
            self.resolved[key] = found
        resolution, written = found
        if resolution.outcome == Outcome.RESOLVED:
            return resolution.communes[0]
        if resolution.outcome == Outcome.UNKNOWN and resolution.reason == Reason.PROVINCE:
            plan.add("unknown_province", "province")
            return None
        code = {Outcome.SPLIT: "split_commune", Outcome.BOTH: "both_commune"}.get(
            resolution.outcome, "unknown_commune"
        )
        plan.add(code, "commune")
        if key not in self.places:
            self.places[key] = {
                "key": key,
                "written": list(written),
                "outcome": code,
                "choices": list(resolution.communes)
                if resolution.outcome in (Outcome.SPLIT, Outcome.BOTH)
                else self._communes_of(province),
                "rows": 0,
            }
        self.places[key]["rows"] += 1
        return None

    @staticmethod
    @lru_cache(maxsize=1024)
    def _place_key(province: str, district: str | None, commune: str) -> str:
        return "|".join(header_key(x or "") for x in (province, district, commune))

    def _communes_of(self, province: str) -> list[int]:
        provinces = new_provinces_of(province)
        return list(
            db.session.scalars(
                select(Commune.code).where(Commune.province_code.in_(provinces or {-1}))
            )
        )

    def group_for(self, plan: Plan, written):
        """The actor's group a row names (imports.services.group_names), NEW for a group
        the person confirmed to create, or None with the problem added."""
        value = cells.text(written)
        if not value:
            plan.add("missing", "group")
            return None
        return self.names.find(plan, value)


# The longest text each field keeps (the columns of groups and members).
LIMITS = {"group_name": 120, "group": 120, "full_name": 120, "village": 120, "partner": 160}


def long_text(plan: "Plan", row: dict) -> None:
    """A cell longer than its column holds is an error (never cut, never a database error)."""
    for key, limit in LIMITS.items():
        value = cells.text(row.get(key))
        if value is not None and len(value) > limit:
            plan.add("too_long", key)


def row_values(mapping: dict[str, int], cells_list) -> dict:
    return {key: cells_list[i] if i < len(cells_list) else None for key, i in mapping.items()}


_PROVINCE_OF: dict[int, int] = {}


def province_of(commune_code: int) -> int:
    if not _PROVINCE_OF:
        _PROVINCE_OF.update(db.session.execute(select(Commune.code, Commune.province_code)).all())
    return _PROVINCE_OF.get(commune_code, -1)


def members_of(group_ids, *, current_only: bool):
    """(group_id, member_id, code, search_name, birth_year, joined_on, left_on) rows."""
    if not group_ids:
        return []
    stmt = (
        select(
            Membership.group_id,
            Member.id,
            Member.code,
            Member.search_name,
            Member.birth_year,
            Membership.joined_on,
            Membership.left_on,
        )
        .join(Member, Member.id == Membership.member_id)
        .where(Membership.group_id.in_(group_ids), Member.anonymised_on.is_(None))
    )
    if current_only:
        stmt = stmt.where(Membership.left_on.is_(None))
    return db.session.execute(stmt).all()
