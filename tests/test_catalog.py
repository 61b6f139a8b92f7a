"""The Vietnamese catalog is complete, not fuzzy, consistent and in step with the code."""

import os
import re

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


def makefile_keywords() -> list[str]:
    """The extraction keywords `make extract` uses, so the test checks that very command."""
    with open(os.path.join(ROOT, "Makefile"), encoding="utf-8") as f:
        found = re.search(r"^KEYWORDS := (.+)$", f.read(), re.MULTILINE)
    assert found, "the Makefile names its extraction keywords in KEYWORDS"
    return found.group(1).split()


def test_catalog_is_in_step_with_the_code(tmp_path, monkeypatch):
    fresh = tmp_path / "fresh.pot"
    monkeypatch.chdir(ROOT)
    CommandLineInterface().run(
        ["pybabel", "-q", "extract", "-F", "pyproject.toml", *makefile_keywords()]
        + ["-o", str(fresh), "."]
    )
    in_code = ids(load(str(fresh)))
    assert in_code - ids(load(POT)) == set(), "run `make extract` and translate"
    assert ids(load(POT)) - in_code == set(), "run `make extract` to drop stale messages"
    assert ids(load(VI)) == in_code


# ngettext("one", "many", n), lazy_ngettext(…), ngettext_noop(…) in Python and templates.
PLURAL_CALL = re.compile(
    r"""\b(?:lazy_)?ngettext(?:_noop)?\(\s*(?P<q1>["'])(?P<one>.+?)(?P=q1)\s*,"""
    r"""\s*(?P<q2>["'])(?P<many>.+?)(?P=q2)\s*[,)]""",
    re.DOTALL,
)
SOURCE_DIRS = (
    "accounts",
    "core",
    "groups",
    "livelihoods",
    "support",
    "reports",
    "templates",
    "demo",
)


def plural_calls() -> set[tuple[str, str]]:
    """Every (singular, plural) pair written in the code, found without Babel."""
    found = set()
    for folder in SOURCE_DIRS:
        for dirpath, _dirs, files in os.walk(os.path.join(ROOT, folder)):
            for name in files:
                if name.endswith((".py", ".html")):
                    with open(os.path.join(dirpath, name), encoding="utf-8") as f:
                        text = f.read()
                    found |= {(m["one"], m["many"]) for m in PLURAL_CALL.finditer(text)}
    return found


def test_every_plural_in_the_code_has_a_plural_entry_with_every_form_translated():
    catalog = load(VI)
    assert catalog.num_plurals == 1  # Vietnamese has one form: "1 thành viên", "20 thành viên"
    calls = plural_calls()
    assert len(calls) >= 8  # the finder itself works (templates, jobs, WTForms messages)
    problems = []
    for one, many in sorted(calls):
        entry = catalog.get((one, many))
        if entry is None or not isinstance(entry.string, tuple):
            problems.append((one, "no plural entry"))
        elif len(entry.string) != catalog.num_plurals or not all(entry.string):
            problems.append((one, "a form is not translated"))
    assert problems == []
    singulars = {m.id for m in catalog if isinstance(m.id, str)}
    twins = {one for one, _many in calls} & singulars
    assert twins == set(), "a plural message was extracted as a singular one"


# "%(num)d members", "Wait %(minutes)d minutes": a count before an English plural noun.
COUNT_BEFORE_PLURAL = re.compile(r"%\((?:\w+\)d|limit\)s) [a-z]+s\b")
# WTForms' own message: its min and max are never 1.
FIXED_BY_WTFORMS = {"Field must be between %(min)d and %(max)d characters long."}


def test_a_count_before_a_plural_noun_is_a_plural_message():
    """Else English reads "1 months" and Vietnamese has no entry to put the count in."""
    singular = {
        m.id for m in load(POT) if isinstance(m.id, str) and COUNT_BEFORE_PLURAL.search(m.id)
    }
    assert singular - FIXED_BY_WTFORMS == set()
