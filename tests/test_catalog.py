"""The Vietnamese catalog is complete, not fuzzy, consistent and in step with the code."""

import os

from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from tests.conftest import ROOT

POT = os.path.join(ROOT, "translations", "messages.pot")
VI = os.path.join(ROOT, "translations", "vi", "LC_MESSAGES", "messages.po")


def load(path):
    with open(path, "rb") as f:
        return read_po(f, locale="vi" if path == VI else None)


def ids(catalog) -> set:
    return {m.id for m in catalog if m.id}


def test_every_vietnamese_message_is_translated_and_not_fuzzy():
    catalog = load(VI)
    untranslated = [
        m.id
        for m in catalog
        if m.id and not (all(m.string) if isinstance(m.string, tuple) else m.string)
    ]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert untranslated == []
    assert fuzzy == []


def test_placeholders_match_between_source_and_translation():
    problems = [(m.id, [str(e) for e in errors]) for m, errors in load(VI).check()]
    assert problems == []


def test_catalog_is_in_step_with_the_code(tmp_path, monkeypatch):
    fresh = tmp_path / "fresh.pot"
    monkeypatch.chdir(ROOT)
    CommandLineInterface().run(
        [
            "pybabel",
            "-q",
            "extract",
            "-F",
            "pyproject.toml",
            "-k",
            "_l",
            "-k",
            "ngettext",
            "-k",
            "lazy_ngettext",
            "-k",
            "ngettext_noop:1,2",
            "-o",
            str(fresh),
            ".",
        ]
    )
    in_code = ids(load(str(fresh)))
    assert in_code - ids(load(POT)) == set(), "run `make extract` and translate"
    assert ids(load(POT)) - in_code == set(), "run `make extract` to drop stale messages"
    assert ids(load(VI)) == in_code
