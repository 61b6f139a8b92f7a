"""The donor report: the indicators of a period and a set of provinces, counts under 5
hidden (reports/suppression.py) so that no one can be picked out of it."""

from flask import render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from accounts.models import Role
from core.auth import require
from core.clock import today
from core.db import db
from core.parse import PLACE_CODE_MAX, parse_int
from core.places import Province, place_order
from groups.models import Gender, MemberCategory
from reports import indicators
from reports.indicators import AGE_BANDS, SECTIONS, Scope
from reports.periods import KINDS
from reports.progress import bp, load_period
from reports.suppression import suppress_amount, suppress_count, suppress_parts, suppress_share

# Which count a money figure or a share is over: hidden with it when that count is small.
BASE = {
    "requested_vnd": "requested",
    "approved_vnd": "approved",
    "disbursed_vnd": "disbursed",
    "remaining_vnd": "approved",
    "completeness": "meetings_expected",
    "timeliness": "meetings_held",
    "attendance": "meetings_held",
    "visits_on_time": "visits_due",
    "days_to_decision": "approved",
    "days_to_payment": "disbursed",
    "income_6": "visits_due",
    "planned_income_6": "visits_due",
}


def donor_rows(figures: dict) -> list[tuple]:
    """(section, [(figure, value shown or None for "<5")]) with every figure suppressed."""
    out = []
    for section in SECTIONS:
        rows = []
        for figure in section.figures:
            value = figures.get(figure.key)
            if figure.kind == "count":
                shown = suppress_count(value)
            elif figure.kind == "vnd":
                shown = suppress_amount(value, figures.get(BASE.get(figure.key, ""), 0) or 0)
            elif figure.kind == "percent":
                base = figures.get(BASE.get(figure.key, ""), 0) or 0
                if figure.key.startswith("running_"):
                    counts = figures["by_months"][int(figure.key.split("_")[1])]
                    base = sum(counts.values())
                shown = suppress_share(value, base)
            else:
                shown = suppress_share(value, figures.get(BASE.get(figure.key, ""), 0) or 0)
            rows.append((figure, shown, value is None))
        out.append((section, rows))
    return out


def donor_breakdowns(figures: dict) -> list[tuple]:
    """Members by category, sex and age band, each set suppressed against the total."""
    total = figures["active_members"]
    sets = [
        (
            [c.neutral_label for c in MemberCategory],
            [figures["by_category"][c] for c in MemberCategory],
        ),
        ([g.label for g in Gender], [figures["by_gender"][g] for g in Gender]),
        (
            [*indicators.age_band_labels(), _l("Birth year not known")],
            [figures["by_age"][i] for i in [*range(len(AGE_BANDS)), None]],
        ),
    ]
    out = []
    for labels, counts in sets:
        _total, shown = suppress_parts(counts, total)
        out.append(list(zip(labels, shown, strict=True)))
    return out


@bp.get("/donor")
def donor():
    """The donor report for a period and the provinces ticked (all of one's own by
    default): figures only, no names or codes, small counts hidden."""
    require(current_user.role in (Role.ADMIN, Role.COORDINATOR))
    if current_user.role == Role.ADMIN:
        choices = place_order(db.session.scalars(select(Province)))
    else:
        choices = place_order(current_user.provinces)
    asked = {
        parse_int(v, minimum=1, maximum=PLACE_CODE_MAX) for v in request.args.getlist("province")
    }
    asked.discard(None)
    require(all(current_user.covers_province(code) for code in asked))
    chosen = tuple(sorted(asked)) or tuple(p.code for p in choices)
    period, period_error = load_period()
    figures = indicators.compute(Scope(current_user, provinces=chosen), period, today())
    return render_template(
        "reports/donor.html",
        choices=choices,
        chosen=set(chosen),
        period=period,
        period_error=period_error,
        kinds=KINDS,
        sections=donor_rows(figures),
        breakdowns=donor_breakdowns(figures),
        total=suppress_count(figures["active_members"]),
    )
