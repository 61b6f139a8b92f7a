# ruff: noqa: F811 - fixtures imported from jobs_fixtures are arguments of the tests
"""Email of notifications against a real SMTP server on loopback (aiosmtpd).

send_pending_email() runs as the scheduler runs it: in an app context, no request.
"""

import email
import email.policy
import socket
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from accounts.jobs import send_pending_email
from core.db import db
from inbox.models import Notification
from livelihoods.jobs import daily_sweep, escalate_overdue, weekly_digest
from tests.livelihoods.jobs_fixtures import (  # noqa: F401 - fixtures
    DUE,
    assert_neutral,
    make_paid_grant,
    run,
    set_user,
    world,
)

SOON = DUE - timedelta(days=1)


class Inbox:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"

    def to(self, address: str) -> list:
        return [m for rcpts, m in self.messages if address in rcpts]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(app):
    """A real SMTP server on 127.0.0.1 that the app is configured to send through."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, MAIL_FROM="tuluc@example.org")
    yield inbox
    controller.stop()


def send(app) -> int:
    with app.app_context():
        return send_pending_email()


def emailed(app) -> dict[int, bool]:
    """Per notification id: whether it is marked as emailed."""
    with app.app_context():
        rows = db.session.execute(select(Notification.id, Notification.emailed_at)).all()
    return {notification_id: at is not None for notification_id, at in rows}


@pytest.fixture
def reminded(app, world, make_paid_grant):
    """Due-soon reminders for Mai's visit to `fac` (email, English), `fac2` (no email)
    and nobody else; `gone` (deactivated) has an email address but gets nothing."""
    grant = make_paid_grant(world.mai)
    set_user(app, world.fac.id, email="fac@example.org", locale="en")
    set_user(app, world.gone.id, email="gone@example.org")
    run(app, daily_sweep, SOON)
    return world, grant


def test_a_reminder_is_emailed_once_in_neutral_words(app, smtp, reminded):
    world, grant = reminded
    assert send(app) == 1

    assert len(smtp.messages) == 1
    (message,) = smtp.to("fac@example.org")
    assert message["To"] == "fac@example.org"
    assert message["From"] == "tuluc@example.org"
    subject, body = str(message["Subject"]), message.get_content()
    assert "coming up" in subject
    assert subject.endswith(world.mai.code)
    assert_neutral(subject, code=world.mai.code)
    assert_neutral(body, code=world.mai.code)
    assert "10 Feb 2026" in body

    # Sent: marked so; a second run sends nothing.
    marks = emailed(app)
    with app.app_context():
        mine = db.session.scalar(
            select(Notification.id).where(Notification.user_id == world.fac.id)
        )
    assert marks.pop(mine) is True
    assert set(marks.values()) == {False}  # fac2's: no address
    assert send(app) == 0
    assert len(smtp.messages) == 1


def test_nobody_without_an_address_or_deactivated_gets_email(app, smtp, reminded):
    world, _grant = reminded
    send(app)
    assert [rcpts for rcpts, _m in smtp.messages] == [["fac@example.org"]]
    assert smtp.to("gone@example.org") == []


def test_email_goes_out_in_the_users_language_vietnamese_by_default(
    app, smtp, world, make_paid_grant
):
    make_paid_grant(world.mai)
    set_user(app, world.fac.id, email="fac@example.org", locale="en")
    set_user(app, world.fac2.id, email="fac2@example.org", locale=None)
    run(app, daily_sweep, SOON)
    assert send(app) == 2

    (english,) = smtp.to("fac@example.org")
    (vietnamese,) = smtp.to("fac2@example.org")
    assert "10 Feb 2026" in english.get_content()  # day first in English too
    assert "10/02/2026" in vietnamese.get_content()  # dd/MM/yyyy in Vietnamese
    assert str(vietnamese["Subject"]) != str(english["Subject"])
    for message in (english, vietnamese):
        assert_neutral(str(message["Subject"]), code=world.mai.code)
        assert_neutral(message.get_content(), code=world.mai.code)


def test_escalation_and_digest_emails_to_a_coordinator_are_neutral(
    app, smtp, world, make_paid_grant
):
    make_paid_grant(world.mai)
    set_user(app, world.coord.id, email="coord@example.org")
    late = DUE + timedelta(days=15)
    run(app, escalate_overdue, late)
    run(app, weekly_digest, late)
    with app.app_context():
        assert send_pending_email() == 2

    messages = smtp.to("coord@example.org")
    assert len(messages) == 2
    for message in messages:
        assert_neutral(str(message["Subject"]))
        assert_neutral(message.get_content())
    assert any(world.mai.code in str(m["Subject"]) for m in messages)


def test_without_smtp_nothing_is_sent_and_nothing_marked(app, reminded):
    assert not app.config.get("SMTP_HOST")
    assert send(app) == 0
    assert set(emailed(app).values()) == {False}


def test_followups_command_emails_what_the_sweep_added(app, smtp, runner, reminded):
    world, _grant = reminded  # the sweep for SOON already ran: run the next day's
    result = runner.invoke(
        args=["scheduler", "run-job", "followups.sweep", "--today", DUE.isoformat()]
    )
    assert result.exit_code == 0, result.output
    assert f"followups.sweep {DUE.isoformat()}: home_visits=0, reminders=2" in result.output
    subjects = sorted(str(m["Subject"]) for m in smtp.to("fac@example.org"))
    assert len(subjects) == len(smtp.messages) == 2  # yesterday's due-soon, today's due-today
    assert "coming up" in subjects[0]
    assert "due today" in subjects[1]
    assert all(s.endswith(world.mai.code) for s in subjects)
