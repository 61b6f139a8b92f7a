"""The group a register names (usability F2, issue 23).

A register's group column decides the group, whatever the members' home communes (their
address is where they live, not where the group meets):

- a code ("HTI-N003", "hti - n 3") is that group, or an error when no group of the
  person's has it: a mistyped code never becomes a group's name;
- a name joins the one group of the person's with that name (with or without "Nhóm",
  diacritics, case); when several have it, the check asks which one;
- a name that matches none is an error ("no such group: write the group code"), never a
  new group by itself: the check lists it with its rows, and the person either says which
  of their groups it is (a misspelling) or ticks "create this group". A group made so is
  named as the register writes it most often, in its members' most common commune.

The answers are kept in the batch's answers as "group:<name key>" -> group id or "new",
and "home:<name key>" -> the commune chosen for a group to create.
"""

import re
from collections import Counter, defaultdict
from functools import lru_cache

from sqlalchemy import select

from accounts.models import Role, User
from core.db import db
from core.text import fold
from groups.models import Group, GroupStatus, group_facilitators

NEW = "new"
_CODE = re.compile(r"([A-Z]{2,4})\s*-\s*N\s*-?\s*([0-9]{1,4})")
_PREFIX = re.compile(r"^(?:nhom tu luc|nhom tl|nhom)\s+")


def scope(actor: User):
    """The groups the actor may import into (id, code, name, search name, province,
    commune, founded, status)."""
    stmt = select(
        Group.id,
        Group.code,
        Group.search_name,
        Group.province_code,
        Group.commune_code,
        Group.founded_on,
        Group.status,
        Group.name,
    )
    if actor.role == Role.COORDINATOR:
        stmt = stmt.where(Group.province_code.in_(actor.province_codes or {-1}))
    elif actor.role == Role.FACILITATOR:
        stmt = stmt.join(group_facilitators).where(group_facilitators.c.user_id == actor.id)
    elif actor.role != Role.ADMIN:
        stmt = stmt.where(False)
    return db.session.execute(stmt.order_by(Group.search_name, Group.code)).all()


@lru_cache(maxsize=4096)
def code_of(value: str) -> str | None:
    """The group code a value is shaped like ("hti-n3" -> "HTI-N003"), else None."""
    found = _CODE.fullmatch(value.strip().upper())
    if not found:
        return None
    return f"{found.group(1)}-N{int(found.group(2)):03d}"


@lru_cache(maxsize=4096)
def name_key(value: str) -> str:
    """A group's name as compared: folded, without "Nhóm"/"Nhóm tự lực" in front."""
    folded = " ".join(re.sub(r"[^0-9a-z]+", " ", fold(value)).split())
    return _PREFIX.sub("", folded)[:120]


class GroupNames:
    """Finds the group of each row, and gathers what to ask the person."""

    def __init__(self, groups, answers: dict):
        self.groups = groups
        self.by_id = {g.id: g for g in groups}
        self.by_code = {g.code.upper(): g for g in groups}
        self.by_name: dict[str, list] = defaultdict(list)
        for g in groups:
            self.by_name[name_key(g.search_name)].append(g)
        self.answers = {k[6:]: v for k, v in answers.items() if k.startswith("group:")}
        self.asked: dict[str, dict] = {}  # several groups of this name: which one?
        self.unknown: dict[str, dict] = {}  # no group of this name: which one, or create?
        self.new: dict[str, dict] = {}  # to create, as the person confirmed

    def find(self, plan, written: str):
        """The group (a row of scope()), NEW for a group to create, or None (a problem
        added to the plan)."""
        code = code_of(written)
        if code is not None:
            found = self.by_code.get(code)
            if found is None:
                plan.add("unknown_group_code", "group")
            return self._open(plan, found)
        key = name_key(written)
        answer = self.answers.get(key)
        if answer == NEW:
            entry = self.new.setdefault(key, {"key": key, "names": Counter(), "rows": 0})
            entry["names"][written] += 1
            entry["rows"] += 1
            return NEW
        if isinstance(answer, int) and answer in self.by_id:
            return self._open(plan, self.by_id[answer])
        named = self.by_name.get(key, [])
        if len(named) == 1:
            return self._open(plan, named[0])
        if named:
            plan.add("ambiguous_group", "group")
            entry = self.asked.setdefault(
                key, {"key": key, "written": written, "choices": [g.id for g in named], "rows": 0}
            )
            entry["rows"] += 1
            return None
        plan.add("group_not_found", "group")
        entry = self.unknown.setdefault(key, {"key": key, "names": Counter(), "rows": 0})
        entry["names"][written] += 1
        entry["rows"] += 1
        return None

    @staticmethod
    def _open(plan, group):
        if group is not None and group.status == GroupStatus.CLOSED:
            plan.add("group_closed", "group")
            return None
        return group

    def summary(self) -> dict:
        def named(entry):
            return {
                "key": entry["key"],
                "written": entry["names"].most_common(1)[0][0],
                "rows": entry["rows"],
            }

        return {
            "asked": list(self.asked.values()),
            "unknown": [named(e) for e in self.unknown.values()],
            "new": [
                named(e) | {"commune": e.get("commune"), "communes": e.get("communes", [])}
                for e in self.new.values()
            ],
        }


def home_commune(communes: list[int | None], chosen=None) -> int | None:
    """The commune the person chose among the members' communes, else the most common
    of them (the first written on a tie)."""
    counted = Counter(c for c in communes if c is not None)
    if chosen in counted:
        return chosen
    return counted.most_common(1)[0][0] if counted else None


def member_communes(communes: list[int | None]) -> list[int]:
    """The members' communes, the most common first: what the person may choose from."""
    return [c for c, _n in Counter(c for c in communes if c is not None).most_common()]
