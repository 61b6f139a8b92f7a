"""Entering a screening on a phone: one page per section, a draft kept, bad input refused."""

import re
from datetime import timedelta

from sqlalchemy import func, select

from core.audit import AuditEvent
from core.clock import today
from core.db import db
from support.models.screening import Question, QuestionnaireVersion, Screening, ScreeningStatus
from tests.conftest import login as plain_login


def login(client, user):
    """Log in and read the pages in English, the language of these assertions."""
    plain_login(client, user)
    client.post("/language", data={"locale": "en"})


def version_sections(app, number=1):
    """[(page, [(question id, [option ids])])] of a questionnaire version."""
    with app.app_context():
        version = db.session.scalar(
            select(QuestionnaireVersion).where(QuestionnaireVersion.number == number)
        )
        return [
            (s.position, [(q.id, [o.id for o in q.options]) for q in s.questions])
            for s in version.sections
        ]


def screenings(app, member_id):
    with app.app_context():
        return db.session.scalars(
            select(Screening).where(Screening.member_id == member_id).order_by(Screening.id)
        ).all()


def start(client, member_id, version="1"):
    return client.post(
        f"/members/{member_id}/screenings/new",
        data={"version_id": version, "screened_on": today().isoformat()},
    )


def fill(client, screening_id, sections, pick=0):
    for page, questions in sections:
        data = {f"q{qid}": str(options[min(pick, len(options) - 1)]) for qid, options in questions}
        response = client.post(f"/screenings/{screening_id}/pages/{page}", data=data)
        assert response.status_code == 302, response.get_data(as_text=True)
    return response


def test_facilitator_enters_a_screening_page_by_page_and_cannot_read_it_afterwards(
    app, client, support_world
):
    users, ids = support_world
    login(client, users["facilitator"])
    form = client.get(f"/members/{ids['member']}/screenings/new")
    assert form.status_code == 200 and 'name="version_id" type="hidden" value="1"' in form.text
    response = start(client, ids["member"])
    new = screenings(app, ids["member"])[-1]
    assert new.status == ScreeningStatus.DRAFT
    assert response.headers["Location"].endswith(f"/screenings/{new.id}/pages/1")
    sections = version_sections(app)
    # The first page only; leaving and coming back finds it kept, as a draft.
    page, questions = sections[0]
    chosen = {f"q{qid}": str(options[0]) for qid, options in questions}
    assert client.post(f"/screenings/{new.id}/pages/1", data=chosen).status_code == 302
    again = client.get(f"/screenings/{new.id}/pages/1").text
    for qid, _options in questions:
        assert f'<input checked id="q{qid}-0" name="q{qid}"' in again
    finish = client.get(f"/screenings/{new.id}/finish")
    assert "Go to page 2" in finish.text
    last = fill(client, new.id, sections)
    assert last.headers["Location"].endswith(f"/screenings/{new.id}/finish")
    done = client.post(f"/screenings/{new.id}/finish", data={})
    assert done.headers["Location"].endswith(f"/members/{ids['member']}/support")
    saved = screenings(app, ids["member"])[-1]
    assert saved.status == ScreeningStatus.COMPLETE
    # The first option of every question: 0 everywhere but "skills" (value 30, weight 1
    # of 4 economic): (2×0 + 1×0 + 1×30) / 400 = 0.075.
    assert (saved.economic, saved.social, saved.psychosocial) == (0.075, 0.0, 0.0)
    assert "livelihood" in saved.suggested and "psychosocial" in saved.suggested
    # After saving, the facilitator who entered it cannot read it, nor reopen its pages.
    assert client.get(f"/screenings/{new.id}").status_code == 403
    assert client.get(f"/screenings/{new.id}/pages/1").status_code == 302
    listing = client.get(f"/members/{ids['member']}/support").text
    assert "Complete" in listing and "0.00" not in listing
    assert "seen by the province coordinator only" in listing


def test_coordinator_reads_answers_and_the_change_since_the_previous_screening(
    app, client, support_world
):
    users, ids = support_world
    login(client, users["facilitator"])
    start(client, ids["member"])
    new = screenings(app, ids["member"])[-1]
    fill(client, new.id, version_sections(app), pick=3)  # the best answer everywhere
    client.post(f"/screenings/{new.id}/finish", data={})
    client.post("/logout", data={})
    login(client, users["coordinator"])
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    page = client.get(f"/screenings/{new.id}")
    assert page.status_code == 200
    # Earlier: the second option everywhere (world); now the best: every dimension up.
    assert page.text.count("▲") == 3 and "▼" not in page.text
    assert "Does the household have a regular income?" in page.text
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == before + 1
        assert (event.action, event.detail, event.object_type, event.object_id) == (
            "view",
            "answers",
            "screenings",
            new.id,
        )


def test_a_double_tapped_finish_writes_nothing_twice(app, client, support_world):
    users, ids = support_world
    login(client, users["facilitator"])
    start(client, ids["member"])
    new = screenings(app, ids["member"])[-1]
    fill(client, new.id, version_sections(app))
    client.post(f"/screenings/{new.id}/finish", data={})
    with app.app_context():
        events = db.session.scalar(select(func.count()).select_from(AuditEvent))
        completed_at = db.session.get(Screening, new.id).completed_at
    second = client.post(f"/screenings/{new.id}/finish", data={})
    assert second.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events
        assert db.session.get(Screening, new.id).completed_at == completed_at
    assert "already complete" in client.get(second.headers["Location"]).text


def test_starting_twice_keeps_one_draft(app, client, support_world):
    users, ids = support_world
    login(client, users["facilitator"])
    assert start(client, ids["member"]).status_code == 302
    second = start(client, ids["member"])
    assert second.status_code == 409
    assert "already being filled in" in second.text
    drafts = [s for s in screenings(app, ids["member"]) if s.status == ScreeningStatus.DRAFT]
    assert len(drafts) == 1


def test_a_retired_questionnaire_cannot_be_used(app, client, support_world):
    users, ids = support_world
    login(client, users["facilitator"])
    response = start(client, ids["member"], version="0")
    assert response.status_code == 200
    assert "no longer in use" in response.text
    assert len(screenings(app, ids["member"])) == 1


def test_an_answer_from_another_question_or_garbage_is_refused(app, client, support_world):
    users, ids = support_world
    login(client, users["facilitator"])
    start(client, ids["member"])
    new = screenings(app, ids["member"])[-1]
    (_, questions), (_, others) = version_sections(app)[:2]
    foreign = {f"q{qid}": str(others[0][1][0]) for qid, _ in questions}
    response = client.post(f"/screenings/{new.id}/pages/1", data=foreign)
    assert response.status_code == 200
    assert "Choose one of the answers shown" in response.text
    garbage = {f"q{qid}": "１" for qid, _ in questions}  # a full-width digit
    response = client.post(f"/screenings/{new.id}/pages/1", data=garbage)
    assert response.status_code == 200 and "Choose an answer" in response.text
    with app.app_context():
        assert db.session.get(Screening, new.id).answers == []


def test_a_page_out_of_range_is_not_found(app, client, support_world):
    users, ids = support_world
    login(client, users["facilitator"])
    start(client, ids["member"])
    new = screenings(app, ids["member"])[-1]
    assert client.get(f"/screenings/{new.id}/pages/99").status_code == 404
    assert client.get(f"/screenings/{new.id}/pages/0").status_code == 404


def test_a_screening_cannot_be_dated_in_the_future(app, client, support_world):
    users, ids = support_world
    login(client, users["facilitator"])
    response = client.post(
        f"/members/{ids['member']}/screenings/new",
        data={"version_id": "1", "screened_on": (today() + timedelta(days=3)).isoformat()},
    )
    assert response.status_code == 200
    assert len(screenings(app, ids["member"])) == 1


def test_questions_are_shown_in_the_readers_language(app, client, support_world):
    users, ids = support_world
    login(client, users["facilitator"])
    start(client, ids["member"])
    new = screenings(app, ids["member"])[-1]
    with app.app_context():
        question = db.session.scalar(select(Question).where(Question.code == "income"))
        vi, en = question.text_vi, question.text_en
    assert en in client.get(f"/screenings/{new.id}/pages/1").text
    client.post("/language", data={"locale": "vi"})
    assert vi in client.get(f"/screenings/{new.id}/pages/1").text


def test_scores_and_changes_are_written_with_a_decimal_comma_in_vietnamese(
    app, client, support_world
):
    """ "0,47", not "0.47": a point is the thousands separator in Vietnamese."""
    users, ids = support_world
    login(client, users["facilitator"])
    start(client, ids["member"])
    new = screenings(app, ids["member"])[-1]
    fill(client, new.id, version_sections(app), pick=3)
    client.post(f"/screenings/{new.id}/finish", data={})
    client.post("/logout", data={})
    plain_login(client, users["coordinator"])
    client.post("/language", data={"locale": "vi"})
    page = client.get(f"/screenings/{new.id}").text
    table = page.split("<table", 1)[1].split("</table>", 1)[0]
    assert re.search(r"<td>\d,\d\d</td>", table)  # a score
    assert re.search(r"<td>\+\d,\d\d ▲</td>", table)  # a change since the last screening
    assert not re.search(r"\d\.\d", table)
