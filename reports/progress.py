"""Progress pages: the figures of a scope for a period, drill-down, charts, definitions.

Nothing is cached: every page counts from the tables when it is asked for, so a meeting
recorded a second ago is in the figures. The scope comes from the query string
(?province=, ?commune=, ?group=) and is checked against what the user may see before
anything is counted; the period picker is a GET form (reports/periods.py).
"""

from dataclasses import dataclass

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import format_percent
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from accounts.models import Role
from core import audit
from core.auth import require
from core.clock import today
from core.db import db
from core.parse import PLACE_CODE_MAX, int_arg
from core.places import Commune, Province
from groups.models import Group, Member, Membership
from groups.services import figures as group_figures
from livelihoods.models import Outcome
from reports import charts, exports, indicators
from reports.export_views import send_table
from reports.indicators import SECTIONS, Scope
from reports.periods import KINDS, Period, PeriodError, from_args
from reports.suppression import HIDDEN, LANGUAGE_NAMES, legend, method, protect_figure, protection
from support import figures as support_figures
from support.models import Dimension, SupportType

bp = Blueprint("progress", __name__, url_prefix="/progress")
STAFF = (Role.ADMIN, Role.COORDINATOR, Role.FACILITATOR)


@dataclass
class Crumb:
    label: str
    args: dict


def load_scope() -> tuple[Scope, list[Crumb]]:
    """The scope the query string asks for, refused (403) when the user may not see it.

    Coordinators may narrow to their provinces, their communes and groups; facilitators
    to their own groups; admins to anything. Unknown places are 404."""
    require(current_user.role in STAFF)
    top = _("Whole country") if current_user.role == Role.ADMIN else _("My groups")
    if current_user.role == Role.COORDINATOR:
        top = _("My provinces")
    crumbs = [Crumb(top, {})]
    group_id = int_arg("group")
    commune_code = int_arg("commune", maximum=PLACE_CODE_MAX)
    province_code = int_arg("province", maximum=PLACE_CODE_MAX)
    if group_id is not None:
        group = db.get_or_404(Group, group_id)
        require(group.can_view(current_user))
        if current_user.role != Role.FACILITATOR:
            crumbs += _place_crumbs(group.province, group.commune)
        crumbs.append(Crumb(group.name, {"group": group.id}))
        return Scope(current_user, group_id=group.id), crumbs
    if commune_code is not None:
        commune = db.get_or_404(Commune, commune_code)
        require(current_user.covers_province(commune.province_code))
        crumbs += _place_crumbs(commune.province, commune)
        return Scope(current_user, commune_code=commune.code), crumbs
    if province_code is not None:
        province = db.get_or_404(Province, province_code)
        require(current_user.covers_province(province.code))
        crumbs += _place_crumbs(province, None)
        return Scope(current_user, province_code=province.code), crumbs
    return Scope(current_user), crumbs


def _place_crumbs(province, commune) -> list[Crumb]:
    out = [Crumb(province.short_name, {"province": province.code})]
    if commune is not None:
        out.append(Crumb(commune.short_name, {"commune": commune.code}))
    return out


def load_period() -> tuple[Period, str | None]:
    """The period asked for, or this month with the reason when it cannot be read."""
    day = today()
    try:
        return from_args(request.args, day), None
    except PeriodError as error:
        return Period.containing("month", day), str(error)


def scope_args(scope: Scope) -> dict:
    if scope.group_id is not None:
        return {"group": scope.group_id}
    if scope.commune_code is not None:
        return {"commune": scope.commune_code}
    if scope.province_code is not None:
        return {"province": scope.province_code}
    return {}


def child_args(scope: Scope, child) -> dict:
    if scope.commune_code is not None:
        return {"group": child.key}
    if scope.province_code is not None:
        return {"commune": child.key}
    return {"province": child.key}


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
    report = indicators.report(scope, period, day, groups=charts.total(kids))
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
        age_bands=indicators.age_band_labels(),
        attendance=charts.attendance_by_month(scope, period),
        children=kids,
        child_args=lambda child: child_args(scope, child),
        members=members,
        here=scope_args(scope),
        outcomes=list(Outcome),
        support=screening_and_referrals(scope, period),
        today=day,
    )


def screening_and_referrals(scope: Scope, period: Period) -> dict | None:
    """Screening and referral figures for this period and the one before, for coordinators
    and admins at the level of a province or wider (support.figures counts by province:
    the province of the member's current group). None where they are not shown."""
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
    }


UNITS = {
    "count": _l("number"),
    "percent": _l("share, 0 to 1"),
    "vnd": _l("đồng"),
    "days": _l("days"),
}


@bp.get("/export")
def export_figures():
    """The figures of the page as a spreadsheet (CSV or XLSX) that may be shared: one row
    per figure, this period and the one before, protected as the donor report is
    (reports.suppression); recorded in the audit log. Exact figures: export_internal."""
    scope, _crumbs = load_scope()
    period, _error = load_period()
    fmt = request.args.get("format", "xlsx")
    if fmt not in exports.FORMATS:
        abort(404)
    return indicator_file(scope, period, fmt, protection())


def indicator_file(scope: Scope, period: Period, fmt: str, how=None, reason=None):
    """The indicator table as a file: protected by `how`, or exact (with `reason`, for
    the audit log) when it is None."""
    report = indicators.report(scope, period, today())
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
    if how is None:
        notes = [(_("For internal use only"), INTERNAL), period_note, (_("Reason"), reason)]
        filters.append("exact")
    else:
        notes = [
            period_note,
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
    return render_template("reports/definitions.html", sections=SECTIONS)


def period_url(endpoint: str, period: Period, **args) -> str:
    return url_for(endpoint, **args, **period.query())


def format_share(value) -> str:
    """A share between 0 and 1 as a whole percentage: 86%."""
    return "" if value is None else format_percent(value)


bp.add_app_template_global(period_url, "period_url")
bp.add_app_template_filter(format_share, "share")

from reports import donor, internal_export, releases, review  # noqa: E402,F401  (their views are on this blueprint)
