"""Pages whose statement count must not grow with the rows they show (N+1 queries).

Each test fills a page with a few rows, counts the statements of the request, fills it
with a full page of rows, and counts again: the two counts must be equal.
"""

import json

from sqlalchemy import event

from accounts.models import Role
from core.db import db, utcnow
from inbox.models import Notification


def statements_of(app, client, url: str) -> int:
    seen = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200
    return len(seen)


def add_digests(app, user_id: int, n: int, start: int) -> None:
    with app.app_context():
        for i in range(start, start + n):
            db.session.add(
                Notification(
                    user_id=user_id,
                    key=f"digest:test-{i}:{user_id}",
                    kind="digest",
                    payload=json.dumps({"overdue": i, "behind": 1, "waiting": 2, "week": "x"}),
                    created_at=utcnow(),
                )
            )
        db.session.commit()


def test_inbox_statements_do_not_grow_with_unread_notifications(app, client, login_as):
    user = login_as(Role.COORDINATOR)
    add_digests(app, user.id, 2, 0)
    few = statements_of(app, client, "/inbox")
    add_digests(app, user.id, 26, 100)  # more than a full page, all unread
    many = statements_of(app, client, "/inbox")
    assert many == few
    # The 25 shown were marked read; the one on the next page was not.
    with app.app_context():
        unread = db.session.query(Notification).filter(Notification.read_at.is_(None)).count()
    assert unread == 1


def test_user_list_statements_do_not_grow_with_users(app, client, login_as, make_user):
    login_as(Role.ADMIN)
    make_user(Role.COORDINATOR)
    few = statements_of(app, client, "/admin/users")
    for _ in range(24):
        make_user(Role.COORDINATOR, provinces=(46, 44))
    many = statements_of(app, client, "/admin/users")
    assert many == few


def test_coordinator_home_statements_do_not_grow_with_groups(app, client, login_as, make_group):
    """The home page counts in SQL: 2 groups or 40 cost the same statements, and the
    overdue list shows the first few with a link to all of them."""
    from datetime import date

    user = login_as(Role.COORDINATOR)
    for _ in range(2):
        make_group(user.provinces[0], founded_on=date(2025, 1, 6))
    few = statements_of(app, client, "/")
    for _ in range(38):
        make_group(user.provinces[0], founded_on=date(2025, 1, 6))
    many = statements_of(app, client, "/")
    assert many == few
    page = client.get("/").get_data(as_text=True)
    assert "/groups?overdue=1" in page
    assert page.count('href="/groups/') - page.count('href="/groups/new') <= 10 + 1
