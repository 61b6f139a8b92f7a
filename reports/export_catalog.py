"""Which table each export is: reports.export_tables and reports.export_grant_tables
build them."""

from datetime import date

from accounts.models import User
from reports.export_grant_tables import follow_ups_table, grants_table, tranches_table
from reports.export_tables import Table, attendance_table, groups_table, members_table

# The tables of /exports by their name in the URL; those with a period take start and end.
WITH_PERIOD = ("attendance", "payments", "visits")


def table_for(
    user: User,
    name: str,
    *,
    group_id: int | None = None,
    province_code: int | None = None,
    start: date | None = None,
    end: date | None = None,
    today: date | None = None,
) -> Table:
    """The table of /exports named `name` (groups, members, attendance…) for this user."""
    values = {"group_id": group_id, "province_code": province_code}
    if name == "groups":
        return groups_table(user, **values)
    if name == "members":
        return members_table(user, **values)
    if name == "grants":
        return grants_table(user, **values)
    if name == "attendance":
        return attendance_table(user, start=start, end=end, **values)
    if name == "payments":
        return tranches_table(user, start=start, end=end, **values)
    if name == "visits":
        return follow_ups_table(user, start=start, end=end, today=today, **values)
    raise ValueError(name)
