"""The letter's link and QR code name the address people outside reach the app at
(PUBLIC_URL, env TULUC_PUBLIC_URL) when it is set, not the address the letter was
printed from."""

import pytest
from flask import Flask

from core.config import load_config
from support.services import provider_links
from tests.conftest import login


def letter(app, users, ids) -> str:
    client = app.test_client()
    login(client, users["coordinator"])
    return client.get(f"/referrals/{ids['referral']}/letter").get_data(as_text=True)


def test_the_letter_prints_the_public_address_and_its_qr_code(app, support_world):
    users, ids = support_world
    app.config["PUBLIC_URL"] = "https://tuluc.example.vn/"
    page = letter(app, users, ids)
    with app.app_context():
        from core.db import db
        from support.models.provider_side import ReferralLink

        link = db.session.query(ReferralLink).one()
        token = provider_links.link_token(link, app.config["SECRET_KEY"])
    url = f"https://tuluc.example.vn/r/{token}"
    assert url in page
    assert "http://localhost/r/" not in page
    with app.test_request_context():
        assert str(provider_links.qr_svg(url)) in page


def test_without_it_the_letter_prints_the_requests_address(app, support_world):
    users, ids = support_world
    assert app.config["PUBLIC_URL"] is None
    assert "http://localhost/r/" in letter(app, users, ids)


def test_the_setting_comes_from_the_environment_and_must_be_an_address(monkeypatch, tmp_path):
    monkeypatch.setenv("TULUC_PUBLIC_URL", "https://tuluc.example.vn")
    app = Flask(__name__, instance_path=str(tmp_path))
    load_config(app, {"SECRET_KEY": "x" * 40})
    assert app.config["PUBLIC_URL"] == "https://tuluc.example.vn"
    for wrong in ("tuluc.example.vn", "javascript:alert(1)", "https://a b.vn"):
        monkeypatch.setenv("TULUC_PUBLIC_URL", wrong)
        with pytest.raises(SystemExit, match="TULUC_PUBLIC_URL"):
            load_config(Flask(__name__, instance_path=str(tmp_path)), {"SECRET_KEY": "x" * 40})
