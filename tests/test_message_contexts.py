"""A short English word that means two things gets a message context for each meaning.

"To" was one message for the date filters ("Đến ngày") and the referral letter's addressee,
so the letter went out as "Đến ngày: Văn phòng …". Now each short message (3 words or
fewer) used in more than one file either carries a context (pgettext / lazy_pgettext) or is
listed in translations/SAME_EVERYWHERE.txt as meaning the same thing everywhere.
"""

import os

from tests.conftest import ROOT
from tests.test_catalog import POT, VI, load

SAME_EVERYWHERE = os.path.join(ROOT, "translations", "SAME_EVERYWHERE.txt")
SHORT = 3  # words


def same_everywhere() -> set[str]:
    with open(SAME_EVERYWHERE, encoding="utf-8") as f:
        return {line.rstrip("\n") for line in f if line.strip() and not line.startswith("#")}


def shared_short_messages(catalog) -> dict[str, list[str]]:
    """Short messages without a context that more than one file uses, with the files."""
    shared = {}
    for m in catalog:
        if not m.id or isinstance(m.id, tuple) or m.context or len(m.id.split()) > SHORT:
            continue
        files = sorted({path for path, _line in m.locations})
        if len(files) > 1:
            shared[m.id] = files
    return shared


def test_a_short_message_shared_by_several_files_has_a_context_or_means_the_same():
    unlisted = {
        msgid: files
        for msgid, files in shared_short_messages(load(POT)).items()
        if msgid not in same_everywhere()
    }
    assert unlisted == {}, (
        "give each meaning its own context (pgettext), or add the message to "
        "translations/SAME_EVERYWHERE.txt if it truly means the same in every file"
    )


def test_the_check_catches_a_word_used_in_two_meanings(monkeypatch):
    """A catalog where the letter and a date filter share "To" without a context fails."""
    from babel.messages.catalog import Catalog

    catalog = Catalog()
    catalog.add("To", locations=[("templates/support/letter.html", 10)])
    catalog.add("To", locations=[("templates/reports/donor.html", 22)])
    assert "To" not in same_everywhere()
    assert shared_short_messages(catalog) == {
        "To": ["templates/reports/donor.html", "templates/support/letter.html"]
    }
    catalog = Catalog()
    catalog.add("To", context="letter", locations=[("templates/support/letter.html", 10)])
    catalog.add("To", context="date range", locations=[("templates/reports/donor.html", 22)])
    assert shared_short_messages(catalog) == {}


def test_the_words_of_two_meanings_have_their_own_translations():
    catalog = load(VI)

    def vi(msgid, context=None):
        return catalog.get(msgid, context=context).string

    assert vi("To", "letter") == "Kính gửi"
    assert vi("To", "date range") == "Đến ngày"
    assert vi("From", "date range") == "Từ ngày"
    # Nothing is left to fall back on: a bare "To" or "From" would be English.
    assert catalog.get("To") is None and catalog.get("From") is None
    assert "người được chuyển gửi" in vi("Consent", "letter")
