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
from groups.meeting_models import Meeting
from groups.models import Group
from tests.conftest import config_for, stale_due_days, stale_tallies


def test_the_national_data_set_builds_small_with_every_kept_summary_right(tmp_path):
    url = dataset.prepare(None, str(tmp_path / "national.sqlite3"))
    builder = dataset.build(0.01, url, str(tmp_path), day=date(2026, 11, 30))
    assert builder.summary["groups"] >= 34  # at least one in every province
    assert builder.summary["meetings"] > 0 and builder.summary["attendance"] > 0
    app = create_app(config_for(url))
    with app.app_context():
        assert db.session.scalar(select(func.count(Group.id))) == builder.summary["groups"]
        assert (
            db.session.scalar(select(func.sum(Meeting.marked_count)))
            == (builder.summary["attendance"])
        )
        assert stale_tallies() == []
        assert stale_due_days() == {}
        _check_support_rows(builder)
        db.engine.dispose()


def _check_support_rows(builder):
    """Screenings and referrals the app itself would accept: a complete screening has an
    answer to every question and the scores support.scoring gives them; a referral goes
    to a provider of the member's province, under the member's active consent to share
    with that provider; a closed one has its day, an open one none."""
    from groups.models import Consent, ConsentPurpose, Member
    from support import scoring
    from support.models.referrals import Referral, ServiceProvider
    from support.models.screening import Dimension, Question, Screening, ScreeningStatus

    questions = db.session.scalar(select(func.count(Question.id)))
    screenings = db.session.scalars(select(Screening)).all()
    assert len(screenings) == builder.summary["screenings"] > 0
    assert {s.status for s in screenings} == set(ScreeningStatus)
    for screening in screenings:
        if screening.status == ScreeningStatus.COMPLETE:
            assert len(screening.answers) == questions
            result = scoring.score((a.question, a.option) for a in screening.answers)
            assert screening.economic == result.scores[Dimension.ECONOMIC]
    referrals = db.session.scalars(select(Referral)).all()
    assert len(referrals) == builder.summary["referrals"] > 0
    for referral in referrals:
        member = db.session.get(Member, referral.member_id)
        provider = db.session.get(ServiceProvider, referral.provider_id)
        consent = db.session.get(Consent, referral.consent_id)
        assert provider.province_code == member.province_code
        assert consent.member_id == member.id and consent.provider_id == provider.id
        assert consent.purpose == ConsentPurpose.PROVIDER_SHARING and consent.active
        assert (referral.closed_on is None) == referral.status.is_open
        assert [e.to_status for e in referral.events][-1] == referral.status
