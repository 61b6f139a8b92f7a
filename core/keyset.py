"""Keyset pages for long lists: page 2,000 costs what page 1 costs.

A page starts after, or ends before, the row whose id is in the URL (`?after=ID`,
`?before=ID`; `?last=1` is the end of the list). The row's sort key is looked up by that id
and the page is the next `per_page` rows in the list's order from there, read through the
index of that order: no OFFSET, and no count of the whole list, whose cost grows with it.
Every other query argument (search, filters) is kept in the links, so "Next" and
"Previous" work without JavaScript. An id that is gone, or that the user may not see, only
positions the page: the rows shown still come from the caller's statement, which limits
them to the user's scope.
"""

from dataclasses import dataclass

from flask import current_app, request, url_for
from sqlalchemy import Select, func, select, tuple_

from core.db import db
from core.parse import int_arg

CURSOR_ARGS = ("after", "before", "last", "page")


class Counted(int):
    """A count that stopped at a cap: `more` is true when there are more rows than it.
    Shown as "99+" ({{ n|number }}{% if n.more %}+{% endif %})."""

    more: bool = False


def count_up_to(stmt: Select, cap: int) -> Counted:
    """The rows of `stmt`, counted up to `cap`: a count that reads at most cap + 1 rows,
    so its cost stops growing with the data (a total over a whole province does not)."""
    n = db.session.scalar(
        select(func.count()).select_from(stmt.order_by(None).limit(cap + 1).subquery())
    )
    counted = Counted(min(n, cap))
    counted.more = n > cap
    return counted


@dataclass
class KeysetPage:
    items: list
    has_prev: bool
    has_next: bool
    first_url: str | None = None
    prev_url: str | None = None
    next_url: str | None = None
    last_url: str | None = None

    @property
    def pages(self) -> int:
        """More than one page (for templates that ask, like the numbered pager)."""
        return 2 if self.has_prev or self.has_next else 1


def keyset_url(**cursor) -> str:
    """The current page's URL with its filters kept and the cursor replaced."""
    args = {k: v for k, v in request.args.items() if k not in CURSOR_ARGS and v != ""}
    return url_for(request.endpoint, **(request.view_args or {}), **args, **cursor)


def _ordered(key, descending: bool):
    return [c.desc() if descending else c.asc() for c in key]


def _past(key, values, descending: bool):
    """Rows after `values` in the order (descending: smaller keys come after)."""
    return tuple_(*key) < tuple_(*values) if descending else tuple_(*key) > tuple_(*values)


def keyset_page(
    stmt: Select,
    key: tuple,
    *,
    descending: bool = False,
    per_page: int | None = None,
    id_of=lambda row: row.id,
    scalars: bool = True,
) -> KeysetPage:
    """One page of `stmt` (any order it has is replaced) in the order of `key`, a tuple of
    columns of one table ending with its id column; the cursor comes from ?after=,
    ?before= or ?last=.
    Two statements: the cursor row's key, and the page (one row more than shown, to know
    whether there is a next page)."""
    per_page = per_page or current_app.config["PER_PAGE"]
    stmt = stmt.order_by(None)  # the key's order, and only it
    after, before = int_arg("after"), int_arg("before")
    last = request.args.get("last") == "1" and after is None and before is None
    cursor_id = after if after is not None else before
    values = None
    if cursor_id is not None:
        values = db.session.execute(select(*key).where(key[-1] == cursor_id)).first()
    read = db.session.scalars if scalars else db.session.execute

    if values is not None and after is not None:
        rows = list(
            read(
                stmt.where(_past(key, values, descending))
                .order_by(*_ordered(key, descending))
                .limit(per_page + 1)
            )
        )
        items, has_prev, has_next = rows[:per_page], True, len(rows) > per_page
    elif (values is not None and before is not None) or last:
        backwards = stmt.order_by(*_ordered(key, not descending)).limit(per_page + 1)
        if values is not None:
            backwards = backwards.where(_past(key, values, not descending))
        rows = list(read(backwards))
        items = list(reversed(rows[:per_page]))
        has_prev, has_next = len(rows) > per_page, not last
    else:  # the first page, also for a cursor that is gone
        rows = list(read(stmt.order_by(*_ordered(key, descending)).limit(per_page + 1)))
        items, has_prev, has_next = rows[:per_page], False, len(rows) > per_page

    page = KeysetPage(items=items, has_prev=has_prev, has_next=has_next)
    if items and has_prev:
        page.first_url = keyset_url()
        page.prev_url = keyset_url(before=id_of(items[0]))
    if items and has_next:
        page.next_url = keyset_url(after=id_of(items[-1]))
        page.last_url = keyset_url(last=1)
    return page
