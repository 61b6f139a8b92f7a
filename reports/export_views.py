"""Exports: tables as CSV or XLSX files, and a group's monthly register to print.

Who may export what is who may see it (reports.export_tables): facilitators their
groups, coordinators their provinces, admins everything, members nothing. Files carry
member codes. Names, sex, birth year, phones and the member's own village come only
through /exports/personal: a coordinator or admin ticks that they need them and says
why; the file is then recorded in the audit log with who, when, what (table, filters,
rows) and why.
Facilitators get no such file: they see their members' names on the pages, and the
design keeps personal data in files to the people answerable for a province.

Every export is recorded (action "export"), with or without names: a code with its
attendance and grants is still about one person.

Bad input (a group id that is not a number or too large, a month like 2026-13, digits
that are not ASCII) is a 400 page that says what to fix; a group that does not exist is
a 404 and one out of scope a 403, as on the group pages. Nothing is written.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms.widgets import TextInput

from accounts.models import Role
from core import audit
from core.auth import require
from core.clock import today
from core.dates import first_day, parse_day, period_args
from core.forms import Form, choices
from core.parse import PLACE_CODE_MAX, parse_int
from core.places import list_provinces
from groups.models import Group
from groups.services import groups as group_services
from reports import export_catalog
from reports import export_tables as tables
from reports import register as register_sheet
from reports.export_files import table_file
from reports.exports import FORMATS, Column
from reports.forms import (
    FORMAT_LABELS,
    GROUP_CODE,
    REASON_MIN,
    PersonalExportForm,
    lookup_group,
    parse_month,
)

bp = Blueprint("exports", __name__)

STAFF = (Role.ADMIN, Role.COORDINATOR, Role.FACILITATOR)
MANAGERS = (Role.ADMIN, Role.COORDINATOR)

# name in the URL: (title on the page, needs a period?)
TABLES = {
    "groups": (_l("Groups"), False),
    "members": (_l("Members (codes only)"), False),
    "attendance": (_l("Attendance, one row per member and meeting"), True),
    "grants": (_l("Grants"), False),
    "payments": (_l("Payments (tranches)"), True),
    "visits": (_l("Follow-up visits"), True),
}


def require_staff() -> None:
    require(current_user.role in STAFF)


# Reading the query string: each value once, with a message that says what to fix. ---


def format_arg(allowed=FORMATS, default: str = "xlsx") -> str:
    fmt = request.args.get("format", default)
    if fmt not in allowed:
        abort(400, description=_("Choose the kind of file: Excel (XLSX) or CSV."))
    return fmt


def month_arg() -> date:
    """The month of ?month=YYYY-MM; a malformed one is a 400 that says how to write it."""
    try:
        return parse_month(request.args.get("month", ""))
    except ValueError as error:
        abort(400, description=str(error))


def group_choices_for_exports() -> list:
    """(id, code) of the groups to offer in a list, or [] where they are too many to list
    (an admin, a coordinator of several provinces): those type a group's code instead.
    A country's 3,000 groups made the exports page 228 KiB."""
    return [(g.id, g.code) for g in group_services.group_choices(current_user, None)]


def group_arg(raw: str | None = None, *, required: bool = False) -> Group | None:
    """The group of ?group=<id or code>, which the user must be allowed to see."""
    raw = (request.args.get("group", "") if raw is None else raw).strip()
    if not raw:
        if required:
            abort(400, description=_("Choose a group."))
        return None
    if not GROUP_CODE.fullmatch(raw.upper()) and parse_int(raw, minimum=1) is None:
        abort(400, description=_("Choose a group from the list."))
    group = lookup_group(raw)
    if group is None:
        abort(404, description=_("This group does not exist."))
    require(group.can_view(current_user))
    return group


def province_arg(raw: str | None = None) -> int | None:
    raw = request.args.get("province", "") if raw is None else raw
    if not raw:
        return None
    code = parse_int(raw.strip(), minimum=1, maximum=PLACE_CODE_MAX)
    if code is None:
        abort(400, description=_("Choose a province from the list."))
    if current_user.role == Role.COORDINATOR:
        require(current_user.covers_province(code))
    return code


def send_table(
    fmt: str,
    what: str,
    table,
    *,
    filters=(),
    group: Group | None = None,
    province_code: int | None = None,
    reason: str | None = None,
    stem: str | None = None,
    notes=None,
):
    """Write `table` (Table or (columns, rows)) as a file, and note the export for the
    audit log (written when the file goes out). The generic way out for any table,
    e.g. the indicator tables of the progress pages: `send_table(fmt, "indicators",
    (columns, rows))`."""
    if isinstance(table, tuple):
        columns, rows = table
        title = what
    else:
        columns, rows, title = table.columns, table.rows, table.title
    written = table_file(fmt, stem or what, columns, rows, sheet=title, notes=notes)
    if (
        province_code is None
        and current_user.role == Role.COORDINATOR
        and len(current_user.province_codes) == 1
    ):
        # A coordinator of one province sees their own exports in the audit viewer.
        (province_code,) = current_user.province_codes
    audit.note_export(
        what,
        rows=written.rows,
        filters=filters,
        reason=reason,
        group_id=group.id if group else None,
        province_code=None if group else province_code,
    )
    return written.response


# Pages --------------------------------------------------------------------------------


@bp.get("/exports")
def index():
    """What this person may export, each with its filters: plain GET forms, no script."""
    require_staff()
    start, end = period_args(default_days=365, on_page=True)
    groups = group_choices_for_exports()
    provinces = list_provinces()
    if current_user.role == Role.COORDINATOR:
        provinces = [p for p in provinces if current_user.covers_province(p.code)]
    elif current_user.role == Role.FACILITATOR:
        provinces = []
    return render_template(
        "exports/index.html",
        tables=TABLES,
        groups=groups,
        provinces=provinces,
        start=start,
        end=end,
        month=today().strftime("%Y-%m"),
        formats=FORMAT_LABELS,
        may_export_personal=current_user.role in MANAGERS,
    )


@dataclass
class TableRequest:
    """What ?table=&format=&group=&province=&from=&to= asks for, checked."""

    name: str
    fmt: str
    group: Group | None
    province: int | None
    start: date | None
    end: date | None
    filters: list

    @property
    def stem(self) -> str:
        return self.name if self.group is None else f"{self.name}_{self.group.code}"

    def table(self, user):
        return export_catalog.table_for(
            user,
            self.name,
            group_id=self.group.id if self.group else None,
            province_code=self.province,
            start=self.start,
            end=self.end,
            today=today(),
        )


def table_request() -> TableRequest:
    """The table asked for in the query string; a 400 that says what to fix, a 404 for a
    group that does not exist, a 403 for one or a province out of the user's scope."""
    name = request.args.get("table", "")
    if name not in TABLES:
        abort(400, description=_("Choose what to export."))
    fmt = format_arg()
    group = group_arg()
    province = province_arg()
    filters = [k for k in ("group", "province") if request.args.get(k)]
    start = end = None
    if name in export_catalog.WITH_PERIOD:
        longest = current_app.config["MAX_PERIOD_DAYS"]
        given_from, given_to = (parse_day(request.args.get(k, "")) for k in ("from", "to"))
        last = given_to or today()
        first = given_from or last
        if (last - first).days > longest:
            abort(
                400,
                description=_(
                    "A file covers at most %(days)s days. Choose a shorter period, and"
                    " export the rest as a second file.",
                    days=longest,
                ),
            )
        start, end = period_args(default_days=365)
        filters.append("period")
    return TableRequest(name, fmt, group, province, start, end, filters)


@bp.get("/exports/table")
def download():
    """One table of /exports (?table=…) as a file, with member codes only; a table too
    large to write during a request is offered as a file prepared in the background
    (reports.export_jobs)."""
    require_staff()
    asked = table_request()
    table = asked.table(current_user)
    limit = current_app.config["EXPORT_DIRECT_MAX_ROWS"]
    if tables.count_at_most(table.stmt, limit) > limit:
        return render_template(
            "exports/large.html",
            title=TABLES[asked.name][0],
            limit=limit,
            args=request.args.to_dict(),
            form=Form(),
        )
    return send_table(
        asked.fmt,
        asked.name,
        table,
        filters=asked.filters,
        group=asked.group,
        province_code=asked.province,
        stem=asked.stem,
    )


@bp.get("/exports/register")
def register():
    """A group's attendance register for a month: a page to print (A4 landscape), or a file."""
    require_staff()
    fmt = format_arg(("html", *FORMATS), default="html")
    group = group_arg(required=True)
    month = month_arg()
    sheet = register_sheet.build_register(group, month)
    return register_response(fmt, sheet)


def register_response(fmt: str, sheet, *, reason: str | None = None):
    month = sheet.month.strftime("%Y-%m")
    if fmt == "html":
        audit.note_export(
            "register",
            rows=len(sheet.lines),
            filters=("group", "month"),
            reason=reason,
            group_id=sheet.group.id,
        )
        previous = (sheet.month - timedelta(days=1)).replace(day=1)
        following = (sheet.month + timedelta(days=31)).replace(day=1)
        return render_template(
            "exports/register.html",
            sheet=sheet,
            columns=sheet.columns,
            marks=register_sheet.MARKS,
            previous_month=previous.strftime("%Y-%m") if previous >= first_day() else None,
            next_month=following.strftime("%Y-%m") if following <= today() else None,
        )
    return send_table(
        fmt,
        "register",
        (sheet.columns, sheet.rows()),
        filters=("group", "month"),
        group=sheet.group,
        reason=reason,
        stem=f"register_{sheet.group.code}_{month}",
    )


# Names and phones ---------------------------------------------------------------------


@bp.route("/exports/personal", methods=["GET", "POST"])
def personal():
    """Names and phones in a file: coordinators and admins, with a reason, audited."""
    require(current_user.role in MANAGERS)
    groups = group_choices_for_exports()
    form = PersonalExportForm()
    form.group.choices = choices(
        [("", _("All groups in my scope"))] + [(str(i), c) for i, c in groups]
    )
    if not groups:  # too many to list: the group's code is typed
        form.group.widget = TextInput()
        form.group.description = _("A group's code, such as HUE-N012; empty: all your groups.")
    if not form.is_submitted() and not form.month.data:  # a kept draft keeps its month
        form.month.data = today().strftime("%Y-%m")
    if form.validate_on_submit():
        reason = form.reason.data
        if form.table.data == "register":
            group = group_arg(form.group.data, required=True)
            month = parse_month(form.month.data or "")
            sheet = register_sheet.build_register(group, month, personal=True)
            return register_response(form.format.data, sheet, reason=reason)
        group = group_arg(form.group.data)
        table = tables.members_table(
            current_user, group_id=group.id if group else None, personal=True
        )
        return send_table(
            form.format.data,
            "members",
            table,
            filters=("personal", *(("group",) if group else ())),
            group=group,
            reason=reason,
            stem="members" if group is None else f"members_{group.code}",
        )
    return render_template("exports/personal.html", form=form, reason_min=REASON_MIN)


__all__ = ["Column", "bp", "send_table"]
