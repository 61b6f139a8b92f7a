"""The screening questionnaire's versions as data, and how one is put in the database.

The texts are catalog messages (context "screening"), translated like every other string.

A version is installed once (`install`) and never edited afterwards: screenings keep the
version they were given under. To change a question, add a version with a new number and
retire the old one (`retire`). Values: 0 = most in need … 100 = doing well (see
support/scoring.py); `suggests` names a SupportType value.
"""

from datetime import date

from flask_babel import force_locale, pgettext
from sqlalchemy import select

from core.db import db
from core.i18n import pgettext_noop
from support.models.screening import (
    AnswerOption,
    Dimension,
    Question,
    QuestionnaireSection,
    QuestionnaireVersion,
    SupportType,
)

E, S, P = Dimension.ECONOMIC, Dimension.SOCIAL, Dimension.PSYCHOSOCIAL
# Every text below is an English message of the catalog in this context: `make extract`
# finds it, translations/vi gives its Vietnamese, and the pages show it through
# support.models.screening (the stored text_vi is the Vietnamese the version was installed with).
CONTEXT = "screening"


def _q(code, dimension, weight, text, options):
    return {"code": code, "dimension": dimension, "weight": weight, "text": text,
            "options": options}  # fmt: skip


FOUR_STEPS = (
    (pgettext_noop("screening", "Not at all"), 0),
    (pgettext_noop("screening", "A little"), 33),
    (pgettext_noop("screening", "Mostly"), 67),
    (pgettext_noop("screening", "Fully"), 100),
)

V1 = {
    "number": 1,
    "text": pgettext_noop("screening", "Needs screening"),
    "sections": [
        {
            "text": pgettext_noop("screening", "Income and housing"),
            "questions": [
                _q(
                    "income",
                    E,
                    2,
                    pgettext_noop("screening", "Does the household have a regular income?"),
                    [
                        (pgettext_noop("screening", "No income"), 0, "livelihood"),
                        (pgettext_noop("screening", "Irregular, not enough"), 40, "livelihood"),
                        (pgettext_noop("screening", "Regular but tight"), 70, None),
                        (pgettext_noop("screening", "Enough to live on"), 100, None),
                    ],
                ),
                _q(
                    "housing",
                    E,
                    1,
                    pgettext_noop("screening", "Where does the person live now?"),
                    [
                        (pgettext_noop("screening", "No safe place"), 0, "shelter"),
                        (pgettext_noop("screening", "Temporarily with others"), 40, None),
                        (pgettext_noop("screening", "Rented or family home"), 80, None),
                        (pgettext_noop("screening", "Own home"), 100, None),
                    ],
                ),
                _q(
                    "skills",
                    E,
                    1,
                    pgettext_noop("screening", "Would they like training for work?"),
                    [
                        (pgettext_noop("screening", "Yes, as soon as possible"), 30, "vocational"),
                        (pgettext_noop("screening", "Maybe later"), 70, None),
                        (pgettext_noop("screening", "No, already working"), 100, None),
                    ],
                ),
            ],
        },
        {
            "text": pgettext_noop("screening", "Health and safety"),
            "questions": [
                _q(
                    "health",
                    P,
                    1,
                    pgettext_noop("screening", "How is their health?"),
                    [
                        (pgettext_noop("screening", "Ill and without care"), 0, "health"),
                        (pgettext_noop("screening", "Some problems"), 50, "health"),
                        (pgettext_noop("screening", "Good"), 100, None),
                    ],
                ),
                _q(
                    "safety",
                    P,
                    2,
                    pgettext_noop("screening", "Do they feel safe where they live?"),
                    [(t, v, "shelter" if v == 0 else None) for t, v in FOUR_STEPS],
                ),
            ],
        },
        {
            "text": pgettext_noop("screening", "Papers and legal matters"),
            "questions": [
                _q(
                    "documents",
                    S,
                    1,
                    pgettext_noop(
                        "screening", "Do they have an ID card and household registration?"
                    ),
                    [
                        (pgettext_noop("screening", "Neither"), 0, "documents"),
                        (pgettext_noop("screening", "One of them"), 50, "documents"),
                        (pgettext_noop("screening", "Both"), 100, None),
                    ],
                ),
                _q(
                    "legal",
                    S,
                    1,
                    pgettext_noop("screening", "Is there a legal matter they need help with?"),
                    [
                        (pgettext_noop("screening", "Yes, urgent"), 0, "legal"),
                        (pgettext_noop("screening", "Yes, not urgent"), 50, "legal"),
                        (pgettext_noop("screening", "No"), 100, None),
                    ],
                ),
            ],
        },
        {
            "text": pgettext_noop("screening", "Family, community and wellbeing"),
            "questions": [
                _q(
                    "family",
                    S,
                    2,
                    pgettext_noop("screening", "Does their family support them?"),
                    [(t, v, None) for t, v in FOUR_STEPS],
                ),
                _q(
                    "community",
                    S,
                    1,
                    pgettext_noop("screening", "Do they take part in community life?"),
                    [(t, v, None) for t, v in FOUR_STEPS],
                ),
                _q(
                    "mood",
                    P,
                    2,
                    pgettext_noop("screening", "In the last two weeks, have they felt hopeful?"),
                    [(t, v, "psychosocial" if v < 50 else None) for t, v in FOUR_STEPS],
                ),
            ],
        },
    ],
}

# The first draft, kept retired so that the demo shows what a retired version looks like.
V0 = {
    "number": 0,
    "text": pgettext_noop("screening", "Intake questions (pilot)"),
    "sections": [
        {
            "text": pgettext_noop("screening", "Situation"),
            "questions": [V1["sections"][0]["questions"][0], V1["sections"][3]["questions"][2]],
        }
    ],
}


def _vietnamese(text: str) -> str:
    """The catalog's Vietnamese of a questionnaire text, kept with the version as installed."""
    with force_locale("vi"):
        return pgettext(CONTEXT, text)


def install(definition: dict, *, retired_on: date | None = None) -> QuestionnaireVersion:
    """Put a version in the database unless its number is there already."""
    existing = db.session.scalar(
        select(QuestionnaireVersion).where(QuestionnaireVersion.number == definition["number"])
    )
    if existing is not None:
        return existing
    version = QuestionnaireVersion(
        number=definition["number"],
        title_en=definition["text"],
        title_vi=_vietnamese(definition["text"]),
        retired_on=retired_on,
    )
    for s_pos, s in enumerate(definition["sections"], start=1):
        section = QuestionnaireSection(
            position=s_pos, title_en=s["text"], title_vi=_vietnamese(s["text"])
        )
        for q_pos, q in enumerate(s["questions"], start=1):
            question = Question(
                position=q_pos,
                code=q["code"],
                text_en=q["text"],
                text_vi=_vietnamese(q["text"]),
                dimension=q["dimension"],
                weight=q["weight"],
            )
            for o_pos, (text, value, suggests) in enumerate(q["options"], start=1):
                question.options.append(
                    AnswerOption(
                        position=o_pos,
                        text_en=text,
                        text_vi=_vietnamese(text),
                        value=value,
                        suggests=SupportType(suggests) if suggests else None,
                    )
                )
            section.questions.append(question)
        version.sections.append(section)
    db.session.add(version)
    db.session.flush()
    return version


def retire(version: QuestionnaireVersion, on: date) -> None:
    """No new screenings under this version; those made under it keep it."""
    version.retired_on = version.retired_on or on
    db.session.flush()
