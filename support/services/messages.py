"""The message thread on a referral (issue 26): the provider asks, the case team answers.

A message is plain text, at most MAX_MESSAGE characters, shown escaped. Each one is a
step of the referral's timeline, an audit event that names the message but never its
words, and, when the provider wrote it, a notice in the case team's inbox (neutral
words: the member's code only). The provider reads and writes the thread only while the
referral is open and the consent it relies on is in force (and, through the letter,
while the link works: support/services/provider_links.py). Services flush, never commit.
"""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from accounts.models import User
from core import audit
from core.db import db
from core.errors import DomainError
from core.forms import at_most
from groups.models import Member
from groups.services import anonymise
from inbox import services as notify
from support.models.referrals import Referral, ReferralMessage
from support.services.provider_answers import case_team_ids
from support.services.provider_links import consent_in_force

MAX_MESSAGE = 1000
VIAS = ("link", "account", "staff")
KIND = "referral_message"
CLOSED = _l("This referral is closed, so messages can no longer be sent. Nothing was sent.")


def provider_thread_open(referral: Referral) -> bool:
    """Whether the provider may read and write the thread now."""
    return referral.is_open and consent_in_force(referral)


def post_message(
    actor: User | None, referral: Referral, *, body: str, via: str, ip: str | None = None
) -> ReferralMessage:
    """Add a message to the referral's thread; the provider's reach the case team's inbox."""
    if via not in VIAS:
        raise ValueError(via)
    text = (body or "").strip()
    if not text:
        raise DomainError(_l("Write your message first. Nothing was sent."), "body")
    if len(text) > MAX_MESSAGE:
        raise DomainError(at_most(MAX_MESSAGE).message, "body")
    if not provider_thread_open(referral):
        raise DomainError(CLOSED)
    message = ReferralMessage(
        referral=referral, author_id=getattr(actor, "id", None), via=via, body=text
    )
    db.session.add(message)
    db.session.flush()
    # The words stay in the thread: the audit names the message, never what it says.
    audit.record(actor, "message", referral, detail=f"message={message.id};via={via}", ip=ip)
    if message.from_provider:
        for user_id in sorted(case_team_ids(referral)):
            notify.notify(
                user_id, f"provmsg:{message.id}:{user_id}", KIND, object_id=referral.id, data={}
            )
    return message


def clear_message_texts(member: Member) -> None:
    """On anonymisation: the words of the threads on the member's referrals."""
    ids = select(Referral.id).where(Referral.member_id == member.id)
    db.session.execute(
        update(ReferralMessage).where(ReferralMessage.referral_id.in_(ids)).values(body="")
    )


anonymise.ANONYMISERS.append(clear_message_texts)
