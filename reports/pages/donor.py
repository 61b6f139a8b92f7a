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
from reports import exports
from reports.definitions import SECTIONS, age_band_labels
from reports.export_views import send_table
from reports.indicators import all_sections
from reports.indicators.members import AGE_BANDS
from reports.indicators.scope import Scope
from reports.pages.common import UNITS, bp, load_period
from reports.periods import KINDS
from reports.suppression import (
    HIDDEN,
    LANGUAGE_NAMES,
    Protection,
    legend,
    method,
    protect_figure,
    protection,
)


def donor_sections(figures: dict, how: Protection | None = None) -> list[tuple]:
    """(title, tables): each table a list of (cell, label, kind, value shown); the
    indicator sections, then members by category, sex and age, each part and the total
    rounded on its own. `cell` names the cell the same in every release. Without `how`
    (the internal export and the tests' truth), the values are exact."""

    def shown(figure):
        return figures.get(figure.key) if how is None else protect_figure(figure, figures, how)

    def count(value, cell):
        return value if how is None else how.count(value, cell)

    out = [
        (
            section.title,
            [[(f.key, f.label, f.kind, shown(f)) for f in section.figures]],
        )
        for section in SECTIONS
    ]
    sets = [
        (
            [(f"category:{c.value}", c.neutral_label) for c in MemberCategory],
            [figures["by_category"][c] for c in MemberCategory],
        ),
        ([(f"sex:{g.value}", g.label) for g in Gender], [figures["by_gender"][g] for g in Gender]),
        (
            [
                *((f"age:{i}", label) for i, label in enumerate(age_band_labels())),
                ("age:unknown", _l("Birth year not known")),
            ],
            [figures["by_age"][i] for i in [*range(len(AGE_BANDS)), None]],
        ),
    ]
    total = figures["active_members"]
    # The same count as active_members above: the same cell, rounded the same.
    tables = [
        [("active_members", _l("Members in a group"), "count", count(total, "active_members"))]
    ]
    for cells, counts in sets:
        tables.append(
            [
                (cell, label, "count", count(n, cell))
                for (cell, label), n in zip(cells, counts, strict=True)
            ]
        )
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
    if None in asked:  # never the report of other provinces than the ones asked for
        abort(400, description=_("Choose provinces from the list."))
    require(all(current_user.covers_province(code) for code in asked))
    if not asked <= {p.code for p in choices}:  # a code that is no province
        abort(400, description=_("Choose provinces from the list."))
    chosen = tuple(sorted(asked)) or tuple(p.code for p in choices)
    period, period_error = load_period()
    return choices, chosen, period, period_error


@bp.get("/donor")
def donor():
    """The donor report for a period and the provinces ticked (all of one's own by
    default): figures only, no names or codes, small counts hidden."""
    choices, chosen, period, period_error = donor_request()
    sections = []  # a period that cannot be read publishes nothing: the form says why
    if not period_error:
        figures = all_sections.compute(Scope(current_user, provinces=chosen), period, today())
        sections = donor_sections(figures, protection())
    return render_template(
        "reports/donor.html",
        choices=choices,
        chosen=set(chosen),
        period=period,
        period_error=period_error,
        kinds=KINDS,
        sections=sections,
        legend=legend(),
        hidden=HIDDEN,
        printed_on=today(),
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
    figures = all_sections.compute(Scope(current_user, provinces=chosen), period, today())
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
            (_("How figures are protected"), method()),
            (_("Threshold"), str(protection().threshold)),
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
        for title, tables in donor_sections(figures, protection())
        for table in tables
        for _cell, label, kind, value in table
    ]
    return send_table(
        fmt,
        "donor_report",
        (columns, rows),
        filters=["period", "province"],
        stem=exports.safe_name("report", period.start, period.end),
        notes=notes,
    )
