"""Frozen releases of the donor report (issue 21), like DHIS2's data approval.

A coordinator or admin prepares a release from the donor report of a closed period (a
quarter, a half-year or a year that has ended) over the provinces ticked: the cells as
published then (after reports.suppression), their labels in Vietnamese and English, and
the method's parameters are stored. Another person who may see those provinces approves
it; from then on the page and its files are served from what was stored, whatever is
entered later. A correction is a new version of the same period and provinces, which
says what changed. Preparing and approving are in the audit log with who, when, the
scope, the period and the method.
"""

import json
from datetime import date, datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select, update
from wtforms import TextAreaField
from wtforms.validators import Length, Optional

from accounts.models import Role
from core import audit
from core.auth import require
from core.clock import VIETNAM, today
from core.db import db, utcnow
from core.errors import DomainError
from core.forms import Form
from core.saving import commit, saving

# donor as a module: reports.pages imports every page module at once.
from reports import exports
from reports.definitions import UNITS
from reports.export_views import send_table
from reports.indicators import all_sections
from reports.indicators.scope import Scope
from reports.models import Release
from reports.pages import donor
from reports.pages.common import bp
from reports.periods import Period
from reports.suppression import HIDDEN, LANGUAGE_NAMES, LANGUAGES, Protection, legend, protection
from reports.suppression import method as describe_method


class PrepareForm(Form):
    changes = TextAreaField(
        _l("What changed since the last version"),
        description=_l("Needed for a correction: readers of the earlier version will see it."),
        validators=[Optional(), Length(max=500)],
    )


SAME_VERSION = "uq_releases_period_start_period_end_provinces_version"
PREPARED_MEANWHILE = _l("Someone prepared this release at the same moment: see the list.")


class ReleaseError(Exception):
    """A release that cannot be prepared or approved; the message says why."""


def is_closed(period: Period, day: date) -> bool:
    """A quarter, half-year or year that has ended."""
    if period.end >= day:
        return False
    if period.kind in ("quarter", "year"):
        return True
    halves = {((1, 1), (6, 30)), ((7, 1), (12, 31))}
    same_year = period.start.year == period.end.year
    bounds = ((period.start.month, period.start.day), (period.end.month, period.end.day))
    return period.kind == "custom" and same_year and bounds in halves


def snapshot(figures: dict, how: Protection) -> list:
    """The donor report's cells as published, labels in each language."""
    by_language = {}
    for language in LANGUAGES:
        with force_locale(language):
            by_language[language] = [
                (
                    str(title),
                    [
                        [(cell, str(label), kind, value) for cell, label, kind, value in t]
                        for t in tables
                    ],
                )
                for title, tables in donor.donor_sections(figures, how)
            ]
    first = by_language[LANGUAGES[0]]
    out = []
    for s, (_title, tables) in enumerate(first):
        out.append(
            {
                "title": {lang: by_language[lang][s][0] for lang in LANGUAGES},
                "tables": [
                    [
                        {
                            "cell": cell,
                            "kind": kind,
                            "value": "[c]" if value is HIDDEN else value,
                            "label": {lang: by_language[lang][s][1][t][c][1] for lang in LANGUAGES},
                        }
                        for c, (cell, _label, kind, value) in enumerate(table)
                    ]
                    for t, table in enumerate(tables)
                ],
            }
        )
    return out


def prepare_release(actor, provinces, period: Period, cells: list, how: Protection, changes):
    """Store a new version of the release of these provinces and period; flush only."""
    key = ",".join(str(c) for c in sorted(provinces))
    last = db.session.scalar(
        select(func.max(Release.version)).where(
            Release.period_start == period.start,
            Release.period_end == period.end,
            Release.provinces == key,
        )
    )
    if last and not (changes or "").strip():
        raise ReleaseError(_("Say what changed since version %(version)s.", version=last))
    release = Release(
        period_kind=period.kind,
        period_start=period.start,
        period_end=period.end,
        provinces=key,
        version=(last or 0) + 1,
        cells=json.dumps(cells, ensure_ascii=False),
        parameters=json.dumps(how.parameters()),
        changes=(changes or "").strip() or None,
        prepared_by_id=actor.id,
    )
    db.session.add(release)
    db.session.flush()
    audit.record(
        actor,
        "prepare_release",
        object_type="releases",
        object_id=release.id,
        detail=audit_detail(release),
    )
    return release


def approve_release(actor, release: Release) -> None:
    """Approve a prepared release (by someone other than who prepared it); flush only.
    Two approvals at once: the second finds it approved and is refused."""
    if not release.can_approve(actor):
        raise ReleaseError(_("This release is already approved, or it is yours to check."))
    done = db.session.execute(
        update(Release)
        .where(Release.id == release.id, Release.approved_at.is_(None))
        .values(approved_by_id=actor.id, approved_at=utcnow())
    )
    if done.rowcount != 1:
        raise ReleaseError(_("This release is already approved, or it is yours to check."))
    db.session.refresh(release)
    audit.record(
        actor,
        "approve_release",
        object_type="releases",
        object_id=release.id,
        detail=audit_detail(release),
    )


def audit_detail(release: Release) -> str:
    method = release.method()
    return (
        f"release={release.version} period={release.period_start}..{release.period_end} "
        f"provinces={release.provinces} threshold={method['threshold']} "
        f"base={method['base']} amount_base={method['amount_base']}"
    )


def load_release(release_id: int) -> Release:
    require(current_user.role in (Role.ADMIN, Role.COORDINATOR))
    release = db.get_or_404(Release, release_id)
    require(release.can_view(current_user))
    return release


@bp.post("/releases")
def prepare():
    """Prepare a release of the donor report as the page shows it now."""
    _choices, chosen, period, period_error = donor.donor_request()
    form = PrepareForm()
    back = url_for("progress.donor", province=list(chosen), **period.query())
    if period_error or not form.validate_on_submit():
        flash(period_error or _("The release could not be prepared; try again."), "error")
        return redirect(back)
    if not is_closed(period, today()):
        flash(_("Only a quarter, a half-year or a year that has ended can be released."), "error")
        return redirect(back)
    how = protection()
    figures = all_sections.compute(Scope(current_user, provinces=chosen), period, today())
    # Through saving: a double tap prepares one version (the second is answered as the
    # first was), and a version prepared by someone else at the same moment is a message.
    with saving(duplicates={SAME_VERSION: (PREPARED_MEANWHILE, None)}) as saved:
        try:
            release = prepare_release(
                current_user, chosen, period, snapshot(figures, how), how, form.changes.data
            )
        except ReleaseError as error:
            raise DomainError(str(error)) from error
    if not saved.ok:
        return redirect(back)
    flash(
        _(
            "Version %(version)s prepared: another person now checks and approves it.",
            version=release.version,
        ),
        "success",
    )
    return redirect(url_for("progress.release", release_id=release.id))


@bp.get("/releases")
def releases():
    """The releases of the provinces one may see, newest first."""
    require(current_user.role in (Role.ADMIN, Role.COORDINATOR))
    rows = db.session.scalars(
        select(Release).order_by(
            Release.period_start.desc(), Release.provinces, Release.version.desc()
        )
    ).all()
    return render_template(
        "reports/releases.html", releases=[r for r in rows if r.can_view(current_user)]
    )


@bp.get("/releases/<int:release_id>")
def release(release_id: int):
    """A release as stored: the same cells whatever was entered since."""
    release = load_release(release_id)
    return render_template(
        "reports/release.html",
        release=release,
        language=language(),
        method=release.method(),
        form=PrepareForm(),
    )


@bp.post("/releases/<int:release_id>/approve")
def approve(release_id: int):
    """Approve a release prepared by someone else."""
    release = load_release(release_id)
    form = PrepareForm()
    if not form.validate_on_submit():
        flash(_("The release could not be approved; try again."), "error")
        return redirect(url_for("progress.release", release_id=release.id))
    try:
        approve_release(current_user, release)
        commit("a release approved")
    except ReleaseError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        flash(_("Release approved: it is now served as stored."), "success")
    return redirect(url_for("progress.release", release_id=release.id))


@bp.get("/releases/<int:release_id>/export")
def release_export(release_id: int):
    """An approved release as a file (XLSX or CSV), cell for cell as stored."""
    release = load_release(release_id)
    fmt = request.args.get("format", "xlsx")
    if fmt not in exports.FORMATS:
        abort(404)
    if not release.approved:
        abort(400, description=_("This release is not approved yet."))
    lang = language()
    method = release.method()
    stored = stored_protection(method)
    notes = exports.Notes(
        _("Notes"),
        [
            (_("Report"), _("Donor report")),
            (_("Version"), str(release.version)),
            (_("Period"), f"{release.period_start.isoformat()} – {release.period_end.isoformat()}"),
            (_("Provinces"), release.provinces),
            (_("Approved by"), release.approved_by.full_name),
            (_("Approved on"), local_time(release.approved_at)),
            (_("Made on"), datetime.now(VIETNAM).strftime("%Y-%m-%d %H:%M (UTC+7)")),
            (_("What changed"), release.changes or ""),
            (_("Threshold"), str(method["threshold"])),
            (_("How figures are protected"), describe_method(stored)),
            *(
                (_("Legend (%(language)s)", language=LANGUAGE_NAMES[code]), text)
                for code, text in legend(stored)
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
        [
            section["title"][lang],
            cell["label"][lang],
            UNITS.get(cell["kind"], ""),
            HIDDEN if cell["value"] == "[c]" else cell["value"],
        ]
        for section in release.sections()
        for table in section["tables"]
        for cell in table
    ]
    return send_table(
        fmt,
        "release",
        (columns, rows),
        filters=["period", "province"],
        stem=exports.safe_name(
            "release", release.period_start, release.period_end, f"v{release.version}"
        ),
        notes=notes,
    )


def stored_protection(method: dict) -> Protection:
    """The parameters a release was protected with (its legend says them, not today's)."""
    return Protection(
        threshold=method["threshold"], base=method["base"], amount_base=method["amount_base"]
    )


def releasable(period: Period) -> bool:
    return is_closed(period, today())


bp.add_app_template_global(releasable, "releasable")


def language() -> str:
    code = str(get_locale() or "vi")
    return code if code in LANGUAGES else "vi"


def local_time(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone(VIETNAM).strftime("%Y-%m-%d %H:%M")
