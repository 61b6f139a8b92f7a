"""The exact indicator figures as a file, for the programme's own work (issue 21).

Every other aggregate download is protected (reports.suppression). Exact figures leave
the app only here: a coordinator (for their provinces) or an admin says why, and the
file, its scope, period and reason go to the audit log, like the export with names.
Facilitators get the protected file only.
"""

from flask import render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectField, TextAreaField
from wtforms.validators import InputRequired, Length

from accounts.models import Role
from core.auth import require
from core.forms import Form, choices
from reports.export_views import REASON_MIN
from reports.pages.common import bp, load_period, load_scope
from reports.pages.progress import indicator_file


class InternalExportForm(Form):
    format = SelectField(
        _l("File"),
        choices=choices([("xlsx", _l("Excel (XLSX)")), ("csv", _l("CSV"))]),
        default="xlsx",
    )
    reason = TextAreaField(
        _l("Why do you need exact figures?"),
        description=_l("Recorded in the audit log with your name."),
        validators=[
            InputRequired(_l("Say why you need exact figures.")),
            Length(min=REASON_MIN, max=300, message=_l("Write a reason of 15 to 300 characters.")),
        ],
    )


@bp.route("/export/internal", methods=["GET", "POST"])
def export_internal():
    """Exact indicator figures of a scope and period: coordinators and admins, with a
    reason, audited; marked internal in the file."""
    require(current_user.role in (Role.ADMIN, Role.COORDINATOR))
    scope, crumbs = load_scope()
    period, period_error = load_period()
    form = InternalExportForm()
    if form.validate_on_submit() and not period_error:
        return indicator_file(
            scope, crumbs[-1].label, period, form.format.data, reason=form.reason.data
        )
    return render_template(
        "reports/internal_export.html",
        form=form,
        scope_label=crumbs[-1].label,
        period=period,
        period_error=period_error,
        query=request.query_string.decode("ascii", "replace"),
        reason_min=REASON_MIN,
    )
