"""The demo server under load: 50 phones at once, no 500, nothing lost.

The server is the one `make run` starts (demo.cli.make_server: waitress), on a free
loopback port, on the test database. The clients are bench.load's: each logs in (all at
the same moment), then records meetings, edits members and reads pages for a few seconds.
"""

import threading
import time

import pytest
from sqlalchemy import event, text

from bench import load
from bench.load_data import HOST
from core.db import db
from demo.cli import THREADS, make_server

CLIENTS = 50
SECONDS = 4


@pytest.fixture
def server(app):
    server = make_server(app, HOST, 0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield server
    server.task_dispatcher.shutdown()
    for channel in list(server._map.values()):
        channel.handle_close()
    thread.join(10)
    assert not thread.is_alive()


class Watch:
    """Requests in the app at once, and how long each transaction held the database."""

    def __init__(self, app):
        self.lock, self.now, self.most, self.held = threading.Lock(), 0, 0, []
        app.before_request(self.enter)
        app.teardown_request(self.leave)
        with app.app_context():
            event.listen(db.engine, "begin", self.begin)
            event.listen(db.engine, "commit", self.end)
            event.listen(db.engine, "rollback", self.end)

    def enter(self):
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)

    def leave(self, _error):
        with self.lock:
            self.now -= 1

    def begin(self, connection):
        connection.info["began"] = time.perf_counter()

    def end(self, connection):
        began = connection.info.pop("began", None)
        if began is not None:
            self.held.append(time.perf_counter() - began)


def test_demo_server_holds_fifty_clients_without_errors(app, server):
    watch = Watch(app)
    clients = load.build(app, CLIENTS, share=10, real_hashes=False, grants=False)
    ledger = load.drive(
        server.effective_port, clients, ["meetings", "members", "reads"], SECONDS, timeout=60
    )
    statuses = [a.status for a in ledger.answers]
    failures = [(a.method, a.path, a.status) for a in ledger.answers if a.status in (None, 500)]
    assert failures == [] and all(s < 500 for s in statuses)
    assert ledger.refused == {}  # every client logged in; no write turned into a form error
    logins = [a for a in ledger.answers if a.action == "login" and a.method == "POST"]
    assert len(logins) == CLIENTS
    assert ledger.meetings and ledger.edits  # writes were acknowledged while others read
    checked = load.check(app, ledger, clients)
    assert (checked.lost, checked.duplicated, checked.unacknowledged) == (0, 0, 0), checked.notes

    # Why it holds: the server runs a bounded number of requests at once (Werkzeug's
    # development server ran one thread per connection: 50 here), so a transaction
    # queues for SQLite's write lock behind fewer than THREADS others, each far shorter
    # than the busy timeout.
    assert watch.most <= THREADS
    longest = max(watch.held)
    assert THREADS * longest < app.config["SQLITE_BUSY_TIMEOUT"], longest


def test_sqlite_waits_longer_than_the_servers_queue(app):
    """Every transaction queues for SQLite's write lock behind at most the server's other
    threads; the busy timeout is far longer than that queue can take."""
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite only")
        busy = db.session.execute(text("PRAGMA busy_timeout")).scalar()
    assert busy == app.config["SQLITE_BUSY_TIMEOUT"] * 1000 >= 30_000
