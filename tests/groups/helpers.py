"""Plain helpers shared by the groups tests."""

import re
from types import SimpleNamespace

from sqlalchemy import func, select

from core.db import db

VERSION = re.compile(r'name="version" type="hidden" value="(\d+)"')
# Services take an actor; a stand-in with no user row is enough where who did it is not tested.
NOBODY = SimpleNamespace(id=None)


def version_in(page: str) -> str:
    """The hidden optimistic-lock version carried by an edit form."""
    match = VERSION.search(page)
    assert match, "the form carries no hidden version"
    return match.group(1)


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def shows_form_error(page: str) -> bool:
    """A field error or the alert box above the form."""
    return 'class="error"' in page or "alert-error" in page


def use_english(client) -> None:
    """Switch the logged-in user's language to English (the source strings)."""
    response = client.post("/language", data={"locale": "en"})
    assert response.status_code == 302


def meeting_data(
    held_on, marks: dict, *, kind: str = "regular", topics: str = "", decisions: str = "", **extra
) -> dict:
    """The fields of the meeting form: details plus one att-<member id> radio per member."""
    data = {"held_on": held_on.isoformat(), "kind": kind, "topics": topics, "decisions": decisions}
    data.update({f"att-{member_id}": status for member_id, status in marks.items()})
    data.update(extra)
    return data


def positions(page: str, *needles: str) -> list[int]:
    """Where each text first appears in the page; every one must be there."""
    found = [page.find(n) for n in needles]
    assert -1 not in found, dict(zip(needles, found, strict=True))
    return found


def results(page: str) -> str:
    """The listing of a list page: after its filter form (which echoes the search) and
    before the footer (whose language form carries the current URL)."""
    form = page.index('class="filters"')
    return page[page.index("</form>", form) : page.index("</main>")]


def rows_of_memberships(app, member) -> list[tuple]:
    """(id, group id, left on) of a member's memberships, oldest first."""
    from groups.models import Membership

    with app.app_context():
        return [
            (m.id, m.group_id, m.left_on)
            for m in db.session.scalars(
                select(Membership)
                .where(Membership.member_id == member.id)
                .order_by(Membership.joined_on, Membership.id)
            )
        ]
