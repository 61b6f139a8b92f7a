"""reports/indicators/support.py: numbers for the reports, worked by hand."""

from datetime import date, timedelta
from types import SimpleNamespace

from accounts.models import User
from core.clock import today
from core.db import db
from groups.models import Group, Member
from groups.services import members as member_services
from reports.indicators import support as figures
from support.models.referrals import Referral, ReferralStatus, ServiceProvider
from support.models.screening import QuestionnaireVersion, Screening, SupportType
from support.services import directory as directory_services
from support.services import referrals as referral_services
from support.services import screenings as screening_services
from tests.conftest import HUE, NGHE_AN
from tests.support.helpers import NOBODY, answer_all

START, END = today() - timedelta(days=60), today()


def refer(member, provider, service, on):
    referral = referral_services.refer(
        NOBODY, member, provider=provider, service=service, reason="x",
        expected_on=on + timedelta(days=10), today=on,
    )  # fmt: skip
    return referral


def close(referral, status, after_days):
    referral_services.change_status(
        NOBODY, referral, to=status, on=referral.referred_on + timedelta(days=after_days),
        note=None, today=today() + timedelta(days=365),
    )  # fmt: skip


def test_referral_counts_by_service_and_province(app, support_world):
    users, ids = support_world
    with app.app_context():
        member = db.session.get(Member, ids["member"])
        provider = db.session.get(ServiceProvider, ids["provider"])
        world_referral = db.session.get(Referral, ids["referral"])  # health, open, today
        health = db.session.get(ServiceProvider, ids["health"])
        directory_services.record_sharing_consent(
            NOBODY, member, health, given_on=today() - timedelta(days=90), today=today()
        )
        a = refer(member, provider, SupportType.LEGAL, today() - timedelta(days=20))
        close(a, ReferralStatus.SERVICE_RECEIVED, 3)
        b = refer(member, provider, SupportType.LEGAL, today() - timedelta(days=30))
        close(b, ReferralStatus.SERVICE_RECEIVED, 8)
        c = refer(member, health, SupportType.HEALTH, today() - timedelta(days=40))
        close(c, ReferralStatus.DECLINED, 1)
        refer(member, provider, SupportType.LEGAL, today() - timedelta(days=100))  # too early
        db.session.commit()
        assert world_referral.status == ReferralStatus.REFERRED

        counts = figures.referral_counts({HUE}, START, END)
        # Made in the period: the world's, a, b, c = 4; received: a (3 days), b (8 days).
        assert counts["made"] == 4 and counts["completed"] == 2
        assert counts["median_days"] == 5.5
        assert counts["by_service"] == {
            "health": {"made": 2, "accepted": 0, "completed": 0, "median_days": None,
                       "consent_withdrawn": 0},
            "legal": {"made": 2, "accepted": 2, "completed": 2, "median_days": 5.5,
                      "consent_withdrawn": 0},
        }  # fmt: skip
        # By the provider's kind: the world's, a and b at the one-stop office, c at health.
        kinds = {k: (v["made"], v["accepted"]) for k, v in counts["by_provider_kind"].items()}
        assert kinds == {"osso": (3, 2), "health": (1, 0)}
        # Accepted by the provider, not served yet: accepted too.
        referral_services.change_status(
            NOBODY, world_referral, to=ReferralStatus.ACCEPTED, on=today(), note=None,
            today=today(),
        )  # fmt: skip
        db.session.commit()
        counts = figures.referral_counts({HUE}, START, END)
        assert (counts["accepted"], counts["completed"]) == (3, 2)
        assert counts["by_service"]["health"]["accepted"] == 1
        assert list(counts["by_province"]) == [HUE]
        assert figures.referral_counts({NGHE_AN}, START, END)["made"] == 0
        assert figures.referral_counts(None, START, END)["made"] == 4
        assert figures.referral_counts(set(), START, END)["made"] == 0

        # The member moves to Nghệ An: their referrals count there now.
        member_services.move_member(
            NOBODY, member, db.session.get(Group, ids["other_group"]), on=today()
        )
        db.session.commit()
        assert figures.referral_counts({HUE}, START, END)["made"] == 0
        assert figures.referral_counts({NGHE_AN}, START, END)["made"] == 4


def test_screening_change_between_first_and_latest(app, support_world, make_member):
    users, ids = support_world
    second = make_member(SimpleNamespace(id=ids["group"]), full_name="Lê Thị Hồng")
    with app.app_context():
        version = db.session.get(QuestionnaireVersion, ids["version"])
        facilitator = db.session.get(User, users["facilitator"].id)
        member = db.session.get(Member, ids["member"])
        first = db.session.get(Screening, ids["screening"])  # yesterday, second options
        # Two more for the same member: the best answers last.
        for pick, days_ago in ((0, 0), (3, 0)):
            s = screening_services.start_screening(
                facilitator, member, version=version,
                screened_on=today() - timedelta(days=days_ago), today=today(),
            )  # fmt: skip
            answer_all(s, pick=pick)
            screening_services.complete_screening(facilitator, s)
        latest = s
        # Another member screened once: counted, but adds no change.
        other = screening_services.start_screening(
            facilitator, db.session.get(Member, second.id), version=version,
            screened_on=today(), today=today(),
        )  # fmt: skip
        answer_all(other, pick=0)
        screening_services.complete_screening(facilitator, other)
        db.session.commit()

        result = figures.screening_change({HUE}, START, END)
        assert result["screenings"] == 4
        assert result["members"] == 2 and result["members_rescreened"] == 1
        for d in ("economic", "social", "psychosocial"):
            want = round(getattr(latest, d) - getattr(first, d), 3)
            assert result["change"][d] == want
        assert result["change"]["economic"] > 0
        empty = figures.screening_change({NGHE_AN}, START, END)
        assert empty == {
            "screenings": 0,
            "members": 0,
            "members_rescreened": 0,
            "change": {"economic": None, "social": None, "psychosocial": None},
        }
        # A period that holds only the first screening: no change yet.
        day = first.screened_on
        assert figures.screening_change({HUE}, day, day)["members_rescreened"] == 0


def test_periods_are_inclusive(app, support_world):
    users, ids = support_world
    with app.app_context():
        on = db.session.get(Referral, ids["referral"]).referred_on
        assert figures.referral_counts({HUE}, on, on)["made"] == 1
        assert figures.referral_counts({HUE}, on + timedelta(days=1), date.max)["made"] == 0


def test_the_progress_page_shows_them_to_managers_of_the_province_only(app, support_world):
    """The coordinator of Huế sees the world's referral and screening counted on the
    progress page; Nghệ An's coordinator counts none; a facilitator gets no such card."""
    from tests.conftest import login

    users, _ids = support_world
    month = f"?period=custom&start={today() - timedelta(days=30)}&end={today()}"

    def card(role):
        client = app.test_client()
        login(client, users[role])
        page = client.get("/progress" + month).get_data(as_text=True)
        if "Sàng lọc và chuyển gửi" not in page:
            return None
        return page.split("Sàng lọc và chuyển gửi", 1)[1].split("</section>", 1)[0]

    huế = card("coordinator")
    assert huế is not None
    made = huế.split("Số lần chuyển gửi", 1)[1].split("</tr>", 1)[0]
    assert "<td>1</td>" in made
    screened = huế.split("Số lượt sàng lọc", 1)[1].split("</tr>", 1)[0]
    assert "<td>1</td>" in screened
    nghệ_an = card("other_coordinator")
    assert nghệ_an is not None
    assert "<td>0</td>" in nghệ_an.split("Số lần chuyển gửi", 1)[1].split("</tr>", 1)[0]
    assert card("facilitator") is None
    assert card("admin") is not None
