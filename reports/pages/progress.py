"""Progress pages: the figures of a scope for a period, drill-down, charts, definitions.

Nothing is cached: the meeting figures of whole months are read from the analytics
tables and the (group, month) keys written since they were folded in from the meetings
themselves (reports.indicators.groups.meeting_rows), so a meeting recorded a second ago
is in the figures; the page says the time they were counted at. The scope comes from
the query string (?province=, ?commune=, ?group=) and is checked against what the user
may see before anything is counted; the period picker is a GET form (reports/periods.py).
"""

from datetime import datetime

from flask import abort, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from accounts.models import Role
from core import audit
from core.auth import require
from core.clock import VIETNAM, today
from core.db import db
from groups.models import Member, Membership
from groups.services import figures as group_figures
from livelihoods.models import Outcome
from reports import charts, exports
from reports.definitions import SECTIONS, SUPPORT, UNITS, age_band_labels
from reports.export_views import send_table
from reports.indicators import all_sections
from reports.indicators import support as support_figures
from reports.indicators.groups import reads_facts
from reports.indicators.scope import Scope
from reports.pages.common import (
    STAFF,
    bp,
    child_args,
    load_period,
    load_scope,
    scope_args,
)
from reports.periods import KINDS, Period
from reports.suppression import HIDDEN, LANGUAGE_NAMES, legend, method, protect_figure, protection
from support.models.referrals import ProviderType
from support.models.screening import Dimension, SupportType


def group_members(scope: Scope, period: Period):
    """The group's members now, with their attendance in the period (two statements)."""
    rates = group_figures.member_rates(scope.group_id, period.start, period.end)
    members = db.session.scalars(
        select(Member)
        .join(Membership, Membership.member_id == Member.id)
        .where(Membership.group_id == scope.group_id, Membership.left_on.is_(None))
        .order_by(Member.sort_key, Member.id)
    ).all()
    return [(m, rates.get(m.id)) for m in members]


@bp.get("")
def overview():
    """The figures of a scope for a period beside the period before, the next level down,
    and four charts: about twenty statements, whatever the size of the scope."""
    scope, crumbs = load_scope()
    period, period_error = load_period()
    day = today()
    kids = charts.children(scope, period, day)
    report = all_sections.report(scope, period, day, groups=charts.total(kids))
    members = []
    if scope.group_id is not None:
        members = group_members(scope, period)
        if members:  # names are shown
            audit.note_read("list", object_type="members", detail="progress")
    return render_template(
        "reports/progress.html",
        scope=scope,
        crumbs=crumbs,
        period=period,
        period_error=period_error,
        kinds=KINDS,
        report=report,
        sections=SECTIONS,
        age_bands=age_band_labels(),
        attendance=charts.attendance_by_month(scope, period),
        children=kids,
        child_args=lambda child: child_args(scope, child),
        members=members,
        here=scope_args(scope),
        outcomes=list(Outcome),
        support=screening_and_referrals(scope, period),
        from_facts=reads_facts(period),
        today=day,
    )


def screening_and_referrals(scope: Scope, period: Period) -> dict | None:
    """Screening and referral figures for this period and the one before, for coordinators
    and admins at the level of a province or wider (reports.indicators.support counts by
    province: the province of the member's current group). None where they are not shown."""
    if scope.user.role not in (Role.COORDINATOR, Role.ADMIN) or scope.level in ("group", "commune"):
        return None
    if scope.province_code is not None:
        codes = [scope.province_code]
    elif scope.user.role == Role.ADMIN:
        codes = None
    else:
        codes = sorted(scope.user.province_codes)
    before = period.previous()
    return {
        "referrals": support_figures.referral_counts(codes, period.start, period.end),
        "referrals_before": support_figures.referral_counts(codes, before.start, before.end),
        "screenings": support_figures.screening_change(codes, period.start, period.end),
        "screenings_before": support_figures.screening_change(codes, before.start, before.end),
        "dimensions": list(Dimension),
        "services": list(SupportType),
        "provider_kinds": list(ProviderType),
        "figures": {f.key: f for f in SUPPORT.figures},
    }


@bp.get("/export")
def export_figures():
    """The figures of the page as a spreadsheet (CSV or XLSX) that may be shared: one row
    per figure, this period and the one before, protected as the donor report is
    (reports.suppression); recorded in the audit log. Exact figures: export_internal."""
    scope, crumbs = load_scope()
    period, period_error = load_period()
    fmt = request.args.get("format", "xlsx")
    if fmt not in exports.FORMATS:
        abort(404)
    if period_error:  # a file for another period than the one asked for would mislead
        abort(400, description=period_error)
    return indicator_file(scope, crumbs[-1].label, period, fmt, protection())


def indicator_file(scope: Scope, label: str, period: Period, fmt: str, how=None, reason=None):
    """The indicator table of a scope (named `label` in the notes) as a file: protected
    by `how`, or exact (with `reason`, for the audit log) when it is None."""
    report = all_sections.report(scope, period, today())
    columns = [
        exports.Column(_l("Section")),
        exports.Column(_l("Figure"), width=40),
        exports.Column(_l("Unit")),
        exports.Column(_l("This period (%(period)s)", period=period.label), exports.DECIMAL),
        exports.Column(
            _l("Period before (%(period)s)", period=period.previous().label), exports.DECIMAL
        ),
    ]

    def value(figure, figures, raw):
        if how is None:
            return figure_value(figure.kind, raw)
        if raw is None and figure.kind == "count":
            return None
        shown = protect_figure(figure, figures, how)
        return shown if shown is HIDDEN else figure_value(figure.kind, shown)

    rows = [
        [section.title, figure.label, UNITS.get(figure.kind, "")]
        + [
            value(figure, report.current, now),
            value(figure, report.previous, before) if figure.comparable else None,
        ]
        for section in SECTIONS
        for figure, now, before in report.section_rows(section)
    ]
    filters = ["period", *scope_args(scope)]
    period_note = (
        _("Period"),
        f"{period.label} ({period.start.isoformat()} – {period.end.isoformat()})",
    )
    scope_note = (_("Scope"), str(label))
    as_of = (_("Figures as of"), datetime.now(VIETNAM).strftime("%Y-%m-%d %H:%M (UTC+7)"))
    if how is None:
        notes = [
            (_("For internal use only"), INTERNAL),
            period_note,
            scope_note,
            as_of,
            (_("Reason"), reason),
        ]
        filters.append("exact")
    else:
        notes = [
            period_note,
            scope_note,
            as_of,
            (_("How figures are protected"), method(how)),
            (_("Threshold"), str(how.threshold)),
            *(
                (_("Legend (%(language)s)", language=LANGUAGE_NAMES[lang]), text)
                for lang, text in legend(how)
            ),
        ]
    return send_table(
        fmt,
        "indicators",
        (columns, rows),
        filters=filters,
        province_code=scope.province_code,
        reason=reason,
        stem=exports.safe_name(
            "indicators" if how else "indicators_internal", scope.level, period.start, period.end
        ),
        notes=exports.Notes(_("Notes"), notes),
    )


INTERNAL = _l(
    "These figures are exact: small numbers are not hidden. They are for the programme's "
    "own work, not for publication. For a donor or any report that leaves the team, use "
    "the donor report and its downloads, which protect people."
)


def figure_value(kind: str, value):
    """A count or an amount in đồng as a whole number (some are sums of floats: 18.0 went
    out as "18.0", text to a Vietnamese spreadsheet); shares and days as they are."""
    if value is None or kind not in ("count", "vnd"):
        return value
    return round(value)


@bp.get("/how")
def definitions():
    """How each figure is counted: the same definitions the figures are computed from."""
    require(current_user.role in STAFF)
    return render_template("reports/definitions.html", sections=[*SECTIONS, SUPPORT])
