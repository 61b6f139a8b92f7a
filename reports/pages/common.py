"""The progress blueprint and what its pages share: the scope and period a request asks
for (checked against what the user may see), links that keep them, the pager of rows."""

from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, current_app, request, url_for
from flask_babel import format_decimal, format_percent
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import func, select

from accounts.models import Role
from core.auth import require
from core.clock import VIETNAM, today
from core.db import db
from core.i18n import format_vnd
from core.parse import PLACE_CODE_MAX, int_arg, parse_int
from core.places import Commune, Province
from groups.models import Group
from reports.definitions import UNITS  # noqa: F401 - the pages and the donor export read it here
from reports.indicators.scope import Scope
from reports.periods import Period, PeriodError, from_args

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


def period_url(endpoint: str, period: Period, **args) -> str:
    return url_for(endpoint, **args, **period.query())


def format_share(value) -> str:
    """A share between 0 and 1 as a whole percentage: 86%."""
    return "" if value is None else format_percent(value)


def show_figure(value, kind: str | None = None) -> Markup:
    """How a figure's value is written (templates: show): counts and days as numbers,
    shares as percentages, money in đồng; a dash when there is nothing to count. A
    function, not a macro: a scorecard writes 125 of them, and a macro call cost more
    than the formatting."""
    if value is None:
        return Markup('<span role="img" aria-label="%s">–</span>') % _("no data")
    if kind == "percent":
        return escape(format_share(value))
    if kind == "vnd":
        return escape(format_vnd(value))
    return escape(format_decimal(value))


def figures_as_of() -> str:
    """The time in Viet Nam the figures are counted at: read from the facts and the writes
    not yet folded into them (reports.facts.refresh), they are exact at that moment."""
    return datetime.now(VIETNAM).strftime("%H:%M")


bp.add_app_template_global(period_url, "period_url")
bp.add_app_template_global(figures_as_of, "figures_as_of")
bp.add_app_template_filter(format_share, "share")
bp.add_app_template_global(show_figure, "show")


def paginate_rows(stmt):
    """paginate() for a select of several columns: the rows, not only the first entity."""
    per_page = current_app.config["PER_PAGE"]
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    pages = max(1, -(-total // per_page))
    number = min(parse_int(request.args.get("page", ""), minimum=1) or 1, pages)
    items = db.session.execute(stmt.limit(per_page).offset((number - 1) * per_page)).all()
    return Page(items, number, pages, total)


class Page:
    """The parts of a Flask-SQLAlchemy page that templates/macros/pager.html reads."""

    def __init__(self, items, page, pages, total):
        self.items, self.page, self.pages, self.total = items, page, pages, total
        self.has_prev, self.has_next = page > 1, page < pages
        self.prev_num, self.next_num = page - 1, page + 1
