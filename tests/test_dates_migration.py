"""Revision 0029 (issue 22): a grant's steps get the day they happened, filled with
the day they were recorded in Viet Nam; a visit marked as one that could not happen gets
the moment it was marked. On PostgreSQL (TEST_DATABASE_URL) in a schema of its own."""

from datetime import UTC, date, datetime

from sqlalchemy import DateTime, bindparam, select, text

from app import create_app
from core.db import db
from tests.conftest import config_for
from tests.test_places_migration import database, migrate, migrate_down  # noqa: F401

NOW = datetime(2026, 3, 2, 12, 0)
# Recorded at 16:59 and 17:00 UTC: 23:59 on 2 March and 00:00 on 3 March in Viet Nam.
MOMENTS = {1: datetime(2026, 3, 2, 16, 59), 2: datetime(2026, 3, 2, 17, 0)}


def seed() -> None:
    rows = [
        "INSERT INTO members (id, code, full_name, search_name, sort_key, gender, category,"
        " created_at, version) VALUES (1, 'HUE-2026-0001', 'A', 'a', 'a', 'female', 'migrant',"
        " :now, 1)",
        "INSERT INTO grants (id, member_id, activity, plan, amount_requested, status,"
        " created_at, version) VALUES (1, 1, 'crops', '', 1000000, 'submitted', :now, 1)",
        "INSERT INTO follow_ups (id, kind, source_key, member_id, source_on, due_on, status,"
        " created_at, version, missed_on) VALUES (1, 'home_visit', 'k1', 1, '2026-02-01',"
        " '2026-03-01', 'missed', :now, 1, '2026-03-02')",
    ]
    for sql in rows:
        db.session.execute(text(sql).bindparams(bindparam("now", type_=DateTime())), {"now": NOW})
    for event_id, at in MOMENTS.items():
        db.session.execute(
            text(
                "INSERT INTO grant_events (id, grant_id, at, action, to_status)"
                " VALUES (:id, 1, :at, 'submitted', 'submitted')"
            ).bindparams(bindparam("at", type_=DateTime())),
            {"id": event_id, "at": at},
        )
    db.session.commit()


def test_steps_get_the_day_they_were_recorded_in_viet_nam_and_back(database):  # noqa: F811
    app = create_app(config_for(database))
    with app.app_context():
        migrate("0028")
        seed()
        migrate("0029")
        days = dict(db.session.execute(text('SELECT id, "on" FROM grant_events')).all())
        assert {k: str(v)[:10] for k, v in days.items()} == {1: "2026-03-02", 2: "2026-03-03"}
        missed_at = db.session.execute(text("SELECT missed_at FROM follow_ups")).scalar_one()
        if isinstance(missed_at, str):
            missed_at = datetime.fromisoformat(missed_at)
        # The start of 2 March in Viet Nam: 17:00 UTC on 1 March.
        if missed_at.tzinfo is not None:
            missed_at = missed_at.astimezone(UTC).replace(tzinfo=None)
        assert missed_at == datetime(2026, 3, 1, 17, 0)
        from livelihoods.models import FollowUp, GrantEvent

        db.session.remove()
        assert {e.id: e.on for e in db.session.scalars(select(GrantEvent))} == {
            1: date(2026, 3, 2),
            2: date(2026, 3, 3),
        }
        assert db.session.get(FollowUp, 1).missed_on == date(2026, 3, 2)
        migrate_down("0027")
        columns = [c["name"] for c in db.inspect(db.engine).get_columns("grant_events")]
        assert "on" not in columns
        db.session.remove()
        migrate("head")
