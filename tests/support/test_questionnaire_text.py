"""The screening questionnaire speaks through the catalog: every title, question and answer
of support/questionnaire.py is a message (context "screening") with a Vietnamese
translation, and the pages show the catalog's wording; stored answer keys do not change."""

import re

from sqlalchemy import select, update

from core.clock import today
from core.db import db
from support import questionnaire
from support.models.screening import AnswerOption, Question, QuestionnaireVersion
from tests.conftest import login
from tests.test_catalog import VI, load


def texts(definition: dict) -> list[str]:
    """Every text a version shows: its title, section titles, questions and answers."""
    out = [definition["text"]]
    for section in definition["sections"]:
        out.append(section["text"])
        for q in section["questions"]:
            out.append(q["text"])
            out += [text for text, _value, _suggests in q["options"]]
    return out


def test_every_questionnaire_text_has_a_vietnamese_translation_in_the_catalog():
    catalog = load(VI)
    every = texts(questionnaire.V1) + texts(questionnaire.V0)
    assert len(set(every)) >= 40  # the walk itself finds the whole questionnaire
    missing = [t for t in every if catalog.get(t, context=questionnaire.CONTEXT) is None]
    untranslated = [
        t
        for t in every
        if t not in missing and catalog.get(t, context=questionnaire.CONTEXT).string in ("", t)
    ]
    assert missing == [], 'run `make extract`: pgettext_noop("screening", …) is extracted'
    assert untranslated == []


def test_the_answer_keys_stay_as_they_were():
    """Codes, weights, values and suggestions are what screenings were scored with."""
    v1 = questionnaire.V1
    codes = [q["code"] for s in v1["sections"] for q in s["questions"]]
    assert codes == [
        "income", "housing", "skills", "health", "safety",
        "documents", "legal", "family", "community", "mood",
    ]  # fmt: skip
    values = {
        q["code"]: [(v, suggests) for _t, v, suggests in q["options"]]
        for s in v1["sections"]
        for q in s["questions"]
    }
    assert values["income"] == [(0, "livelihood"), (40, "livelihood"), (70, None), (100, None)]
    assert values["safety"] == [(0, "shelter"), (33, None), (67, None), (100, None)]
    assert values["mood"] == [(0, "psychosocial"), (33, "psychosocial"), (67, None), (100, None)]


def pages_of_a_new_screening(app, client, ids) -> str:
    started = client.post(
        f"/members/{ids['member']}/screenings/new",
        data={"version_id": "1", "screened_on": today().isoformat()},
    )
    assert "/pages/1" in started.headers["Location"]
    with app.app_context():
        version = db.session.scalar(
            select(QuestionnaireVersion).where(QuestionnaireVersion.number == 1)
        )
        count = len(version.sections)
        from support.models.screening import Screening

        screening = db.session.scalars(
            select(Screening).where(Screening.member_id == ids["member"]).order_by(Screening.id)
        ).all()[-1]
    return "".join(
        client.get(f"/screenings/{screening.id}/pages/{page}").get_data(as_text=True)
        for page in range(1, count + 1)
    )


def test_every_question_and_answer_is_shown_in_vietnamese_from_the_catalog(
    app, client, support_world
):
    users, ids = support_world
    # A version installed before a wording changed keeps its old text_vi; the page shows the
    # catalog's wording all the same.
    with app.app_context():
        db.session.execute(update(Question).values(text_vi="(cũ)"))
        db.session.execute(update(AnswerOption).values(text_vi="(cũ)"))
        db.session.commit()
    login(client, users["facilitator"])
    client.post("/language", data={"locale": "vi"})
    html = pages_of_a_new_screening(app, client, ids)
    catalog = load(VI)
    for definition_text in texts(questionnaire.V1)[2:]:
        vietnamese = catalog.get(definition_text, context=questionnaire.CONTEXT).string
        assert vietnamese in html, (definition_text, vietnamese)
    assert "(cũ)" not in html
    assert "Does the household have a regular income?" not in html
    assert re.search(r"Khá nhiều", html)  # the reviewed four-step scale


def test_an_english_reader_sees_the_english_questions(app, client, support_world):
    users, ids = support_world
    login(client, users["facilitator"])
    client.post("/language", data={"locale": "en"})
    html = pages_of_a_new_screening(app, client, ids)
    assert "Does the household have a regular income?" in html and "Mostly" in html
    assert "Gia đình có thu nhập đều đặn không?" not in html
