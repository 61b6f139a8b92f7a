"""Questionnaires and screenings: starting, saving pages, completing."""

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, select
from sqlalchemy.orm import selectinload

from accounts.models import User
from core import audit
from core.dates import check_day
from core.db import db, utcnow
from core.errors import Conflict, DomainError
from core.saving import on_duplicate
from groups.models import Member
from support import scoring
from support.models.screening import (
    AnswerOption,
    QuestionnaireSection,
    QuestionnaireVersion,
    Screening,
    ScreeningAnswer,
    ScreeningStatus,
)

ALREADY_STARTED = _l(
    "A screening of this member is already being filled in. It was not started twice: "
    "go on with the one below."
)
on_duplicate("uq_screenings_open_member", ALREADY_STARTED)


def current_version() -> QuestionnaireVersion | None:
    """The newest version that is not retired: the one new screenings use."""
    return db.session.scalar(
        select(QuestionnaireVersion)
        .where(QuestionnaireVersion.retired_on.is_(None))
        .order_by(QuestionnaireVersion.number.desc())
        .limit(1)
    )


def open_screening(member: Member) -> Screening | None:
    return db.session.scalar(
        select(Screening).where(
            Screening.member_id == member.id, Screening.status == ScreeningStatus.DRAFT
        )
    )


def list_screenings(member: Member) -> list[Screening]:
    return list(
        db.session.scalars(
            select(Screening)
            .where(Screening.member_id == member.id)
            .options(selectinload(Screening.questionnaire), selectinload(Screening.screened_by))
            .order_by(Screening.screened_on.desc(), Screening.id.desc())
        )
    )


def start_screening(
    actor: User,
    member: Member,
    *,
    version: QuestionnaireVersion | None,
    screened_on: date,
    today: date,
) -> Screening:
    """Start a screening as a draft under a version that is in use."""
    if version is None:
        raise DomainError(_l("Choose a questionnaire."))
    if version.retired:
        raise DomainError(
            _l("This questionnaire is no longer in use. Start again with the current one.")
        )
    if not version.sections:
        raise DomainError(_l("This questionnaire has no questions."))
    check_day(screened_on, today, "screened_on")
    if open_screening(member) is not None:
        raise Conflict(ALREADY_STARTED)
    screening = Screening(
        member=member,
        questionnaire=version,
        screened_on=screened_on,
        screened_by_id=actor.id,
        status=ScreeningStatus.DRAFT,
    )
    db.session.add(screening)
    db.session.flush()
    audit.record(actor, "create", screening, detail=f"version={version.number}")
    return screening


def _require_draft(screening: Screening) -> None:
    if screening.status != ScreeningStatus.DRAFT:
        raise DomainError(
            _l("This screening is already complete. Nothing was changed: it stays as saved.")
        )


def save_section(
    actor: User, screening: Screening, section: QuestionnaireSection, chosen: dict[int, int | None]
) -> None:
    """Keep the answers to one page: question id -> option id. Every question of the
    page needs an answer from its own options; sending the same page twice changes
    nothing."""
    _require_draft(screening)
    if section.version_id != screening.version_id:
        raise DomainError(_l("This page is not part of the screening's questionnaire."))
    for question in section.questions:
        option_id = chosen.get(question.id)
        if option_id is None:
            raise DomainError(_l("Choose an answer."), f"q{question.id}")
        if option_id not in {o.id for o in question.options}:
            raise DomainError(_l("Choose one of the answers shown."), f"q{question.id}")
    kept = {a.question_id: a for a in screening.answers}
    for question in section.questions:
        option_id = chosen[question.id]
        if question.id in kept:
            kept[question.id].option_id = option_id
        else:
            screening.answers.append(ScreeningAnswer(question_id=question.id, option_id=option_id))
    db.session.flush()


def unanswered_section(screening: Screening) -> QuestionnaireSection | None:
    """The first page with a question not yet answered."""
    answered = {a.question_id for a in screening.answers}
    for section in screening.questionnaire.sections:
        if any(q.id not in answered for q in section.questions):
            return section
    return None


def complete_screening(actor: User, screening: Screening) -> Screening:
    """Score the screening (support/scoring.py) and close it; only once."""
    _require_draft(screening)
    missing = unanswered_section(screening)
    if missing is not None:
        raise DomainError(
            _l("Page %(page)s still has questions without an answer.", page=missing.position)
        )
    options = {
        o.id: o
        for o in db.session.scalars(
            select(AnswerOption).where(
                AnswerOption.id.in_([a.option_id for a in screening.answers])
            )
        )
    }
    result = scoring.score((a.question, options[a.option_id]) for a in screening.answers)
    for dimension, value in result.scores.items():
        setattr(screening, dimension.value, value)
    screening.suggested = ",".join(t.value for t in result.suggested) or None
    screening.status = ScreeningStatus.COMPLETE
    screening.completed_at = utcnow()
    db.session.flush()
    audit.record(actor, "update", screening, detail="complete")
    return screening


def previous_screening(screening: Screening) -> Screening | None:
    """The member's complete screening just before this one."""
    return db.session.scalar(
        select(Screening)
        .where(
            Screening.member_id == screening.member_id,
            Screening.status == ScreeningStatus.COMPLETE,
            Screening.id != screening.id,
            (Screening.screened_on < screening.screened_on)
            | and_(Screening.screened_on == screening.screened_on, Screening.id < screening.id),
        )
        .order_by(Screening.screened_on.desc(), Screening.id.desc())
        .limit(1)
    )
