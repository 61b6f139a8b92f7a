"""The livelihoods blueprint and what its page modules share: loading a grant, the
answer to a form opened on an earlier version of it."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from core.auth import load
from livelihoods.models import Grant

# The application was sent back, corrected, sent again or decided since the page was opened.
CHANGED_SINCE_OPENED = _l(
    "This application changed after you opened this page. Nothing was saved: "
    "check it as it is now, then send again."
)

bp = Blueprint("livelihoods", __name__)


def load_grant(grant_id: int) -> Grant:
    """A grant the current user may see; members get 404 for every grant page."""
    return load(Grant, grant_id)
