import re

from sqlalchemy import func, select

from accounts.models import Role, User
from core.db import db
from demo.data import DEMO_PASSWORD
from tests.conftest import login


def test_demo_loads_once_keeps_data_when_run_again_and_each_role_logs_in(app, runner):
    first = runner.invoke(args=["demo", "--no-serve"])
    assert first.exit_code == 0, first.output
    assert "admin" in first.output and DEMO_PASSWORD in first.output
    with app.app_context():
        users = db.session.scalar(select(func.count()).select_from(User))
    second = runner.invoke(args=["demo", "--no-serve"])
    assert second.exit_code == 0
    assert "0 users created" in second.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == users
    # One load serves both checks: the demo is the slowest fixture of the suite.
    for username, role in (
        ("admin", Role.ADMIN),
        ("coordinator", Role.COORDINATOR),
        ("facilitator", Role.FACILITATOR),
    ):
        client = app.test_client()
        user = type("U", (), {"username": username, "password": DEMO_PASSWORD})
        login(client, user)
        assert client.get("/").status_code == 200, role
    # The two providers' accounts (README): each sees its own referrals, nothing else.
    seen = {}
    for username in ("provider", "provider2"):
        client = app.test_client()
        login(client, type("U", (), {"username": username, "password": DEMO_PASSWORD}))
        assert client.get("/").location.endswith("/provider")
        page = client.get("/provider")
        assert page.status_code == 200
        seen[username] = set(re.findall(r"/provider/referrals/(\d+)", page.get_data(as_text=True)))
        assert seen[username], username
        assert client.get("/members").status_code == 403
    assert not seen["provider"] & seen["provider2"]
