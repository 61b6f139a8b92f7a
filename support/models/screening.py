"""Screening questionnaires as data, and screenings with their answers and scores."""

from datetime import date, datetime

from flask_babel import get_locale, pgettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import Role, User, enum_column
from core.db import db, utcnow
from core.enums import LabelledEnum
from groups.models import Member


def _in_language(en: str, vi: str) -> str:
    """A questionnaire text in the reader's language: the English is a catalog message in
    the context "screening" (support/questionnaire.py), so the catalog's wording is shown;
    the Vietnamese stored with the version when the catalog has none."""
    locale = get_locale()
    if locale is not None and locale.language == "en":
        return en
    translated = pgettext("screening", en)
    return translated if translated != en else vi


class Dimension(LabelledEnum):
    ECONOMIC = "economic", _l("Economic situation")
    SOCIAL = "social", _l("Social ties")
    PSYCHOSOCIAL = "psychosocial", _l("Wellbeing")


class SupportType(LabelledEnum):
    LIVELIHOOD = "livelihood", _l("Livelihood grant")
    VOCATIONAL = "vocational", _l("Vocational training")
    HEALTH = "health", _l("Health care")
    LEGAL = "legal", _l("Legal aid")
    PSYCHOSOCIAL = "psychosocial", _l("Psychosocial support")
    SHELTER = "shelter", _l("Shelter")
    DOCUMENTS = "documents", _l("Personal documents")


class QuestionnaireVersion(db.Model):
    """One version of the screening questionnaire. Never edited once used: a change is a
    new version, and the old one is retired (no new screenings, old ones keep it)."""

    __tablename__ = "questionnaire_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(unique=True)
    title_en: Mapped[str] = mapped_column(String(160))
    title_vi: Mapped[str] = mapped_column(String(160))
    retired_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    sections: Mapped[list["QuestionnaireSection"]] = relationship(
        back_populates="version", order_by="QuestionnaireSection.position"
    )

    @property
    def title(self) -> str:
        return _in_language(self.title_en, self.title_vi)

    @property
    def retired(self) -> bool:
        return self.retired_on is not None

    @property
    def questions(self) -> list["Question"]:
        return [q for s in self.sections for q in s.questions]


class QuestionnaireSection(db.Model):
    """One page of the questionnaire on a phone."""

    __tablename__ = "questionnaire_sections"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaire_versions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]  # 1, 2, … : the page number
    title_en: Mapped[str] = mapped_column(String(160))
    title_vi: Mapped[str] = mapped_column(String(160))

    version: Mapped[QuestionnaireVersion] = relationship(back_populates="sections")
    questions: Mapped[list["Question"]] = relationship(
        back_populates="section", order_by="Question.position"
    )

    __table_args__ = (UniqueConstraint("version_id", "position"),)

    @property
    def title(self) -> str:
        return _in_language(self.title_en, self.title_vi)


class Question(db.Model):
    """A question counts towards one dimension with a weight (support/scoring.py)."""

    __tablename__ = "questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    section_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaire_sections.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    code: Mapped[str] = mapped_column(String(40))
    text_en: Mapped[str] = mapped_column(String(300))
    text_vi: Mapped[str] = mapped_column(String(300))
    dimension: Mapped[Dimension] = mapped_column(enum_column(Dimension))
    weight: Mapped[int] = mapped_column(default=1)

    section: Mapped[QuestionnaireSection] = relationship(back_populates="questions")
    options: Mapped[list["AnswerOption"]] = relationship(
        back_populates="question", order_by="AnswerOption.position"
    )

    @property
    def text(self) -> str:
        return _in_language(self.text_en, self.text_vi)


class AnswerOption(db.Model):
    """An answer with its value for the dimension: 0 (most in need) to 100 (doing well),
    and the support type it suggests, if any."""

    __tablename__ = "answer_options"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("questions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    text_en: Mapped[str] = mapped_column(String(200))
    text_vi: Mapped[str] = mapped_column(String(200))
    value: Mapped[int]
    suggests: Mapped[SupportType | None] = mapped_column(enum_column(SupportType))

    question: Mapped[Question] = relationship(back_populates="options")

    @property
    def text(self) -> str:
        return _in_language(self.text_en, self.text_vi)


class ScreeningStatus(LabelledEnum):
    DRAFT = "draft", _l("Being filled in")
    COMPLETE = "complete", _l("Complete")


class Screening(db.Model):
    __tablename__ = "screenings"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Access follows the member (Member.can_view): no group or province kept here.
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_versions.id"))
    screened_on: Mapped[date] = mapped_column(index=True)  # a period's (reports)
    screened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[ScreeningStatus] = mapped_column(enum_column(ScreeningStatus))
    # Set on completion by support/scoring.py, from the answers and the version's weights.
    economic: Mapped[float | None]
    social: Mapped[float | None]
    psychosocial: Mapped[float | None]
    # Comma-separated SupportType values, in SupportType order.
    suggested: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    member: Mapped[Member] = relationship()
    questionnaire: Mapped[QuestionnaireVersion] = relationship()
    screened_by: Mapped[User | None] = relationship()
    answers: Mapped[list["ScreeningAnswer"]] = relationship(
        back_populates="screening", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        # One screening being filled in per member: a second "start" finds the first.
        Index(
            "uq_screenings_open_member",
            "member_id",
            unique=True,
            sqlite_where=text("status = 'draft'"),
            postgresql_where=text("status = 'draft'"),
        ),
    )

    @property
    def suggested_types(self) -> list[SupportType]:
        return [SupportType(s) for s in (self.suggested or "").split(",") if s]

    def score(self, dimension: Dimension) -> float | None:
        return getattr(self, dimension.value)

    def can_view(self, user) -> bool:
        """That it exists, when, by whom, its status: staff who may see the member."""
        return user.role != Role.MEMBER and self.member.can_view(user)

    def can_read_answers(self, user) -> bool:
        """Answers, scores and suggestions: coordinators of the member's current
        province and admins. Never a facilitator, even the one who entered it."""
        return user.role in Role.MANAGERS and self.member.can_view(user)

    def can_continue(self, user) -> bool:
        """Go on filling in a draft: staff who may edit the member now (a member who
        moved takes a half-done screening to the new facilitator). Once complete, only
        can_read_answers decides."""
        return (
            self.status == ScreeningStatus.DRAFT
            and user.role != Role.MEMBER
            and self.member.can_edit(user)
        )


class ScreeningAnswer(db.Model):
    __tablename__ = "screening_answers"

    screening_id: Mapped[int] = mapped_column(
        ForeignKey("screenings.id", ondelete="CASCADE"), primary_key=True
    )
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"), primary_key=True)
    option_id: Mapped[int] = mapped_column(ForeignKey("answer_options.id"))

    screening: Mapped[Screening] = relationship(back_populates="answers")
    question: Mapped[Question] = relationship()
    option: Mapped[AnswerOption] = relationship()
