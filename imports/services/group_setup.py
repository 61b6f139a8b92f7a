"""What a group an import makes needs (issue 23): its facilitator and meeting schedule,
asked per new group on the confirming form. A group left without a schedule is made
"not set up yet": it is not expected to meet, nor counted behind, until someone gives
it one (groups.services.schedule); given one here, it is expected to meet from the day
of the import, not from its founding years before in the register.

The choices are kept in the batch's answers ("setup:<name key>", imports.services.writes
reads them when it makes the group).
"""

import json

from flask_babel import lazy_gettext as _l

from core.errors import DomainError
from core.parse import parse_int
from groups.models import Cadence
from groups.services.groups import list_facilitator_choices
from imports.models import ImportBatch
from imports.services.checks.context import province_of
from imports.services.writes import SETUP


def new_groups(batch: ImportBatch) -> list[dict]:
    """The groups the import will make (confirmed, with a commune), each with its
    province's facilitators to choose from and what was chosen before."""
    kept = batch.answer_dict
    by_province: dict[int, list] = {}
    out = []
    for entry in batch.summary_dict.get("groups", {}).get("new", []):
        if not entry.get("commune"):
            continue
        province = province_of(entry["commune"])
        if province not in by_province:
            by_province[province] = list_facilitator_choices(province)
        out.append(
            entry
            | {
                "facilitators": by_province[province],
                "setup": kept.get(f"{SETUP}{entry['key']}") or {},
            }
        )
    return out


def read_setup(batch: ImportBatch, form) -> dict[str, dict]:
    """Each new group's facilitator, cadence and meeting day from the confirming form
    (`facilitator_<i>`, `cadence_<i>`, `weekday_<i>`); a DomainError names what to fix.
    Empty: no facilitator, or no schedule (not set up yet)."""
    setups = {}
    for i, entry in enumerate(new_groups(batch)):
        cadence = form.get(f"cadence_{i}", "")
        weekday_text = form.get(f"weekday_{i}", "")
        weekday = parse_int(weekday_text, maximum=6)
        facilitator_text = form.get(f"facilitator_{i}", "")
        facilitator = parse_int(facilitator_text, minimum=1)
        name = entry["written"]
        if cadence and cadence not in Cadence._value2member_map_:
            raise DomainError(_l("Choose how often “%(name)s” meets.", name=name))
        if (weekday_text and weekday is None) or (cadence and weekday is None):
            raise DomainError(_l("Choose the meeting day of “%(name)s”.", name=name))
        if weekday is not None and not cadence:
            raise DomainError(_l("Choose how often “%(name)s” meets.", name=name))
        offered = {u.id for u in entry["facilitators"]}
        if facilitator_text and facilitator not in offered:
            raise DomainError(_l("Choose the facilitator of “%(name)s” from the list.", name=name))
        setups[entry["key"]] = {
            "facilitator": facilitator,
            "cadence": cadence or None,
            "weekday": weekday if cadence else None,
        }
    return setups


def keep_setup(batch: ImportBatch, setups: dict[str, dict]) -> None:
    """Keep the new groups' facilitators and schedules with the batch's answers."""
    kept = batch.answer_dict
    for key, setup in setups.items():
        kept[f"{SETUP}{key}"] = setup
    batch.answers = json.dumps(kept)
