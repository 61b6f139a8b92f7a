"""The national data set's builder (bench.dataset) at a hundredth of the country.

The benches build their data with it, in bulk inserts beside the services, so a change to
the schema or to a service it leans on can break it without any other test noticing.
Built here on SQLite, whatever TEST_DATABASE_URL says: what is checked is the builder.
"""

from datetime import date

from sqlalchemy import func, select

from app import create_app
from bench import dataset
from core.db import db
from groups.models import Group, Meeting
from tests.conftest import config_for, stale_due_days, stale_tallies


def test_the_national_data_set_builds_small_with_every_kept_summary_right(tmp_path):
    url = dataset.prepare(None, str(tmp_path / "national.sqlite3"))
    builder = dataset.build(0.01, url, str(tmp_path), day=date(2026, 11, 30))
    assert builder.summary["groups"] >= 34  # at least one in every province
    assert builder.summary["meetings"] > 0 and builder.summary["attendance"] > 0
    app = create_app(config_for(url))
    with app.app_context():
        assert db.session.scalar(select(func.count(Group.id))) == builder.summary["groups"]
        assert db.session.scalar(select(func.sum(Meeting.marked_count))) == (
            builder.summary["attendance"]
        )
        assert stale_tallies() == []
        assert stale_due_days() == {}
        db.engine.dispose()
