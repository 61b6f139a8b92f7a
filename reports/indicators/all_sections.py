"""A period's sections put together, beside the period before: what the pages and the
exports show (`compute`, `report`), and the tables an export writes of them."""

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l

from groups.models import Gender, MemberCategory
from reports.definitions import SECTIONS, Section, age_band_labels
from reports.indicators.grants import grant_figures
from reports.indicators.groups import (
    group_figures,
)
from reports.indicators.members import AGE_BANDS, member_figures
from reports.indicators.outcomes import outcome_figures
from reports.indicators.plans import plan_figures
from reports.indicators.scope import Scope
from reports.periods import Period


def compute(
    scope: Scope, period: Period, today: date, groups: dict | None = None, *, of_today=True
) -> dict:
    """Every figure of every section for one period (seven statements; six when the
    group figures are given, summed from the drill-down's rows). Without `of_today`, the
    figures of today (not comparable) are None: the period before does not count them."""
    parts = (
        groups if groups is not None else group_figures(scope, period, today),
        member_figures(scope, period),
        grant_figures(scope, period),
        outcome_figures(scope, period, today, of_today=of_today),
        plan_figures(scope, period, today),
    )
    out: dict = {}
    bases: dict = {}  # what each share, amount and median is over, from every section
    for part in parts:
        out.update(part)
        bases.update(part.get("bases", {}))
    out["bases"] = bases
    return out


@dataclass
class Report:
    scope: Scope
    period: Period
    current: dict
    previous: dict

    def section_rows(self, section: Section):
        """(figure, value now, value in the period before) for each figure of a section."""
        return [
            (f, self.current.get(f.key), self.previous.get(f.key) if f.comparable else None)
            for f in section.figures
        ]


def report(scope: Scope, period: Period, today: date, groups: dict | None = None) -> Report:
    """The figures for a period and for the period of the same length before it; `groups`,
    when given, are the period's group figures already counted (GroupSums.figures)."""
    return Report(
        scope,
        period,
        compute(scope, period, today, groups),
        compute(scope, period.previous(), today, of_today=False),
    )


def section_table(report_: Report, section_key: str):
    """(columns, rows) of one section, for an export: labels are lazy strings; values
    are numbers (a share between 0 and 1), đồng or None."""
    section = next(s for s in SECTIONS if s.key == section_key)
    columns = [
        _l("Figure"),
        _l("This period (%(period)s)", period=report_.period.label),
        _l("Period before (%(period)s)", period=report_.period.previous().label),
    ]
    rows = [[f.label, now, before] for f, now, before in report_.section_rows(section)]
    return columns, rows


def breakdown_table(report_: Report):
    """(columns, rows): members in a group in the period by category, sex and age band."""
    now, before = report_.current, report_.previous
    rows = [
        [c.neutral_label, now["by_category"][c], before["by_category"][c]] for c in MemberCategory
    ]
    rows += [[g.label, now["by_gender"][g], before["by_gender"][g]] for g in Gender]
    labels = age_band_labels()
    rows += [[labels[i], now["by_age"][i], before["by_age"][i]] for i in range(len(AGE_BANDS))]
    rows.append([_l("Birth year not known"), now["by_age"][None], before["by_age"][None]])
    return [_l("Members"), _l("This period"), _l("Period before")], rows
