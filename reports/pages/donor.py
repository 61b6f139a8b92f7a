"""The donor report: the indicators of a period and a set of provinces, protected by
reports/suppression.py so that no one can be picked out of it, on the page and in its
files (CSV and XLSX: the same cells, with notes saying how they were protected)."""

from datetime import datetime

from flask import abort, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from accounts.models import Role
from core.auth import require
from core.clock import VIETNAM, today
from core.db import db
from core.parse import PLACE_CODE_MAX, parse_int
from core.places import Province, place_order
from groups.models import Gender, MemberCategory
from reports import exports, indicators
from reports.export_views import send_table
from reports.indicators import AGE_BANDS, SECTIONS, Scope
from reports.pages.common import UNITS, bp, load_period
from reports.periods import KINDS
from reports.suppression import (
    HIDDEN,
    THRESHOLD,
    legend,
    suppress_amount,
    suppress_count,
    suppress_parts,
    suppress_share,
    suppress_statistic,
)

LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English"}  # each in its own language
STATISTICS = ("income_6", "planned_income_6")  # medians in đồng, not sums
METHOD = _l(
    "Cell suppression: every count under %(threshold)s is hidden, and so is another "
    "figure where the hidden one could be worked out from a total; an amount is hidden "
    "when it is over fewer than %(threshold)s grants, a share when its numerator or its "
    "denominator would be hidden, a median when it is over fewer than %(threshold)s values.",
    threshold=THRESHOLD,
)


def protect(figure, figures: dict):
    """The value of a figure as the report shows it: itself, HIDDEN, or None (no data).
    A share, amount or median whose base is not known is hidden: never shown exact."""
    value = figures.get(figure.key)
    base = figures.get("bases", {}).get(figure.key)
    if figure.kind == "count":
        return None if value is None else suppress_count(value)
    if base is None:
        return HIDDEN
    if figure.kind == "percent":
        return suppress_share(value, *base)
    if figure.kind == "vnd" and figure.key not in STATISTICS:
        return suppress_amount(value, base)
    return suppress_statistic(value, base)


def donor_sections(figures: dict) -> list[tuple]:
    """(title, tables): each table a list of (label, kind, value shown); the indicator
    sections, then members by category, sex and age, each set against the total."""
    out = [
        (section.title, [[(f.label, f.kind, protect(f, figures)) for f in section.figures]])
        for section in SECTIONS
    ]
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
    tables = [[(_l("Members in a group"), "count", suppress_count(total))]]
    for labels, counts in sets:
        _total, shown = suppress_parts(counts, total)
        tables.append([(label, "count", v) for label, v in zip(labels, shown, strict=True)])
    out.append((_l("Members in a group, by category, sex and age"), tables))
    return out


def donor_request():
    """The provinces (checked against the user's) and period asked for, and the figures."""
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
    return choices, chosen, period, period_error


@bp.get("/donor")
def donor():
    """The donor report for a period and the provinces ticked (all of one's own by
    default): figures only, no names or codes, small counts hidden."""
    choices, chosen, period, period_error = donor_request()
    figures = indicators.compute(Scope(current_user, provinces=chosen), period, today())
    return render_template(
        "reports/donor.html",
        choices=choices,
        chosen=set(chosen),
        period=period,
        period_error=period_error,
        kinds=KINDS,
        sections=donor_sections(figures),
        legend=legend(),
        hidden=HIDDEN,
        here={k: request.args.getlist(k) for k in ("province", "period", "on", "start", "end")},
    )


@bp.get("/donor/export")
def donor_export():
    """The donor report as a file (XLSX or CSV): the same cells as the page, after notes
    on the method, threshold, period, provinces, time made and legend."""
    choices, chosen, period, period_error = donor_request()
    fmt = request.args.get("format", "xlsx")
    if fmt not in exports.FORMATS:
        abort(404)
    if period_error:  # a file for another period than the one asked for would mislead
        abort(400, description=period_error)
    figures = indicators.compute(Scope(current_user, provinces=chosen), period, today())
    names = [p.short_name for p in choices if p.code in chosen]
    notes = exports.Notes(
        _("Notes"),
        [
            (_("Report"), _("Donor report")),
            (
                _("Period"),
                f"{period.label} ({period.start.isoformat()} – {period.end.isoformat()})",
            ),
            (_("Provinces"), ", ".join(names)),
            (_("Made on"), datetime.now(VIETNAM).strftime("%Y-%m-%d %H:%M (UTC+7)")),
            (_("How figures are protected"), METHOD),
            (_("Threshold"), str(THRESHOLD)),
            *(
                (_("Legend (%(language)s)", language=LANGUAGE_NAMES[lang]), text)
                for lang, text in legend()
            ),
        ],
    )
    columns = [
        exports.Column(_l("Section")),
        exports.Column(_l("Figure"), width=40),
        exports.Column(_l("Unit")),
        exports.Column(_l("Value"), exports.DECIMAL),
    ]
    rows = [
        [title, label, UNITS.get(kind, ""), value]
        for title, tables in donor_sections(figures)
        for table in tables
        for label, kind, value in table
    ]
    return send_table(
        fmt,
        "donor_report",
        (columns, rows),
        filters=["period", "province"],
        stem=exports.safe_name("report", period.start, period.end),
        notes=notes,
    )
