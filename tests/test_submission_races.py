"""Issue 25, layer 0: eight sendings of one form at the same moment (a double tap on a slow
link, a phone's outbox sending again, a replay) make one record, and every one of them is
answered with the record made (a redirect to it), never an error and never a question.

Every form that creates a record, on SQLite and on PostgreSQL (TEST_DATABASE_URL).
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from core.db import db
from core.submissions import new_key
from tests.conftest import login
from tests.core.test_offline_notes import CREATES, OTHER_VALUES, _forms
from tests.test_bad_input import world  # noqa: F401 - the fixture, shared
from tests.test_submissions import plausible

SENDINGS = 8


def rows(app, table: str) -> int:
    with app.app_context():
        found = db.session.scalar(select(func.count()).select_from(db.metadata.tables[table]))
        db.session.rollback()
        return found


def made(app, world, name: str) -> int:  # noqa: F811
    """How many rows one sending makes: one, or for an import the rows it imported."""
    if name != "run_import":
        return 1
    from imports.models import ImportBatch

    with app.app_context():
        batch = db.session.get(ImportBatch, world.batch)
        done = batch.summary_dict["imported"]
        db.session.rollback()
    assert done > 0
    return done


@pytest.mark.parametrize("name", sorted(CREATES))
def test_eight_sendings_of_one_form_at_once_make_one_record(app, world, name):  # noqa: F811
    table = "members" if name == "run_import" else CREATES[name][0]
    user, url, fields = _forms(world)[name]
    clients = [app.test_client() for _ in range(SENDINGS)]
    for client in clients:
        login(client, user)
    if name == "run_import":
        assert clients[0].get(url.removesuffix("/import")).status_code == 200
    key = new_key()
    sendings = []
    for client in clients:
        data = plausible(fields, key, client.csrf_token())
        for field, value in OTHER_VALUES.get(name, {}).items():
            data[field] = value
        sendings.append((client, data))
    before = rows(app, table)
    start = threading.Barrier(SENDINGS)

    def send(sending):
        client, data = sending
        start.wait(timeout=10)
        return client.post(url, data=data, csrf=False)

    with ThreadPoolExecutor(SENDINGS) as pool:
        answers = list(pool.map(send, sendings))

    statuses = [a.status_code for a in answers]
    assert all(s in (302, 303) for s in statuses), (name, statuses)
    assert rows(app, table) == before + made(app, world, name), name
    # All land where the first did: the record made.
    assert len({a.location for a in answers}) == 1, [a.location for a in answers]
    assert statuses.count(302) == 1, statuses  # one saved; seven told it was saved already
