"""A required day sent as spaces is a missing day (review of session 11: a plan opened with
`opened_on=" "` reached the service as None and answered 500). Held for DayField itself, so
every form that requires a day gets its "Enter the date." message, never None."""

import pytest
from werkzeug.datastructures import MultiDict
from wtforms import Form
from wtforms.validators import InputRequired

from core.dates import DayField


class OneDay(Form):
    on = DayField("On", validators=[InputRequired("Enter the date.")])


@pytest.mark.parametrize("sent", ["", " ", "   ", "\t", "\u00a0 "])
def test_a_required_day_sent_blank_is_refused_with_its_message(app, sent):
    with app.test_request_context():
        form = OneDay(MultiDict({"on": sent}))
        assert not form.validate()
        assert form.on.data is None
        assert form.on.errors == ["Enter the date."]


def test_a_required_day_sent_is_read(app):
    with app.test_request_context():
        form = OneDay(MultiDict({"on": "2026-03-02"}))
        assert form.validate(), form.errors
        assert form.on.data.isoformat() == "2026-03-02"
