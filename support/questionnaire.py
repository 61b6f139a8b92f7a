"""The screening questionnaire's versions as data, and how one is put in the database.

A version is installed once (`install`) and never edited afterwards: screenings keep the
version they were given under. To change a question, add a version with a new number and
retire the old one (`retire`). Values: 0 = most in need … 100 = doing well (see
support/scoring.py); `suggests` names a SupportType value.
"""

from datetime import date

from sqlalchemy import select

from core.db import db
from support.models import (
    AnswerOption,
    Dimension,
    Question,
    QuestionnaireSection,
    QuestionnaireVersion,
    SupportType,
)

E, S, P = Dimension.ECONOMIC, Dimension.SOCIAL, Dimension.PSYCHOSOCIAL


def _q(code, dimension, weight, en, vi, options):
    return {"code": code, "dimension": dimension, "weight": weight, "en": en, "vi": vi,
            "options": options}  # fmt: skip


FOUR_STEPS = (
    ("Not at all", "Hoàn toàn không", 0),
    ("A little", "Một chút", 33),
    ("Mostly", "Phần lớn", 67),
    ("Fully", "Hoàn toàn", 100),
)

V1 = {
    "number": 1,
    "en": "Needs screening",
    "vi": "Sàng lọc nhu cầu",
    "sections": [
        {
            "en": "Income and housing",
            "vi": "Thu nhập và chỗ ở",
            "questions": [
                _q(
                    "income",
                    E,
                    2,
                    "Does the household have a regular income?",
                    "Gia đình có thu nhập đều đặn không?",
                    [
                        ("No income", "Không có thu nhập", 0, "livelihood"),
                        ("Irregular, not enough", "Thất thường, không đủ sống", 40, "livelihood"),
                        ("Regular but tight", "Đều nhưng eo hẹp", 70, None),
                        ("Enough to live on", "Đủ sống", 100, None),
                    ],
                ),
                _q(
                    "housing",
                    E,
                    1,
                    "Where does the person live now?",
                    "Hiện nay người này ở đâu?",
                    [
                        ("No safe place", "Không có chỗ ở an toàn", 0, "shelter"),
                        ("Temporarily with others", "Ở nhờ tạm", 40, None),
                        ("Rented or family home", "Nhà thuê hoặc nhà gia đình", 80, None),
                        ("Own home", "Nhà riêng", 100, None),
                    ],
                ),
                _q(
                    "skills",
                    E,
                    1,
                    "Would they like training for work?",
                    "Có muốn học nghề để đi làm không?",
                    [
                        ("Yes, as soon as possible", "Có, càng sớm càng tốt", 30, "vocational"),
                        ("Maybe later", "Có thể sau này", 70, None),
                        ("No, already working", "Không, đã có việc", 100, None),
                    ],
                ),
            ],
        },
        {
            "en": "Health and safety",
            "vi": "Sức khỏe và an toàn",
            "questions": [
                _q(
                    "health",
                    P,
                    1,
                    "How is their health?",
                    "Sức khỏe hiện nay thế nào?",
                    [
                        ("Ill and without care", "Đang ốm, chưa được chữa", 0, "health"),
                        ("Some problems", "Có vấn đề", 50, "health"),
                        ("Good", "Tốt", 100, None),
                    ],
                ),
                _q(
                    "safety",
                    P,
                    2,
                    "Do they feel safe where they live?",
                    "Có thấy an toàn ở nơi đang sống không?",
                    [(en, vi, v, "shelter" if v == 0 else None) for en, vi, v in FOUR_STEPS],
                ),
            ],
        },
        {
            "en": "Papers and legal matters",
            "vi": "Giấy tờ và pháp lý",
            "questions": [
                _q(
                    "documents",
                    S,
                    1,
                    "Do they have an ID card and household registration?",
                    "Có căn cước và đăng ký cư trú không?",
                    [
                        ("Neither", "Không có gì", 0, "documents"),
                        ("One of them", "Có một loại", 50, "documents"),
                        ("Both", "Có đủ", 100, None),
                    ],
                ),
                _q(
                    "legal",
                    S,
                    1,
                    "Is there a legal matter they need help with?",
                    "Có việc pháp lý cần giúp không?",
                    [
                        ("Yes, urgent", "Có, gấp", 0, "legal"),
                        ("Yes, not urgent", "Có, chưa gấp", 50, "legal"),
                        ("No", "Không", 100, None),
                    ],
                ),
            ],
        },
        {
            "en": "Family, community and wellbeing",
            "vi": "Gia đình, cộng đồng và tinh thần",
            "questions": [
                _q(
                    "family",
                    S,
                    2,
                    "Does their family support them?",
                    "Gia đình có ủng hộ không?",
                    [(en, vi, v, None) for en, vi, v in FOUR_STEPS],
                ),
                _q(
                    "community",
                    S,
                    1,
                    "Do they take part in community life?",
                    "Có tham gia sinh hoạt cộng đồng không?",
                    [(en, vi, v, None) for en, vi, v in FOUR_STEPS],
                ),
                _q(
                    "mood",
                    P,
                    2,
                    "In the last two weeks, have they felt hopeful?",
                    "Hai tuần qua có thấy vui và có hy vọng không?",
                    [(en, vi, v, "psychosocial" if v < 50 else None) for en, vi, v in FOUR_STEPS],
                ),
            ],
        },
    ],
}

# The first draft, kept retired so that the demo shows what a retired version looks like.
V0 = {
    "number": 0,
    "en": "Intake questions (pilot)",
    "vi": "Câu hỏi tiếp nhận (thí điểm)",
    "sections": [
        {
            "en": "Situation",
            "vi": "Hoàn cảnh",
            "questions": [V1["sections"][0]["questions"][0], V1["sections"][3]["questions"][2]],
        }
    ],
}


def install(definition: dict, *, retired_on: date | None = None) -> QuestionnaireVersion:
    """Put a version in the database unless its number is there already."""
    existing = db.session.scalar(
        select(QuestionnaireVersion).where(QuestionnaireVersion.number == definition["number"])
    )
    if existing is not None:
        return existing
    version = QuestionnaireVersion(
        number=definition["number"],
        title_en=definition["en"],
        title_vi=definition["vi"],
        retired_on=retired_on,
    )
    for s_pos, s in enumerate(definition["sections"], start=1):
        section = QuestionnaireSection(position=s_pos, title_en=s["en"], title_vi=s["vi"])
        for q_pos, q in enumerate(s["questions"], start=1):
            question = Question(
                position=q_pos,
                code=q["code"],
                text_en=q["en"],
                text_vi=q["vi"],
                dimension=q["dimension"],
                weight=q["weight"],
            )
            for o_pos, (en, vi, value, suggests) in enumerate(q["options"], start=1):
                question.options.append(
                    AnswerOption(
                        position=o_pos,
                        text_en=en,
                        text_vi=vi,
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
