"""One Vietnamese term per concept: translations/GLOSSARY.md is the rule, the catalog obeys."""

import os
import re

import pytest

from tests.conftest import ROOT
from tests.test_catalog import VI, load

GLOSSARY = os.path.join(ROOT, "translations", "GLOSSARY.md")
ITEM = re.compile(r"`((?:[^`\\]|\\.)+)`(?:\s*→\s*([^,`|]+))?")


def glossary_rows() -> list[dict]:
    rows = []
    with open(GLOSSARY, encoding="utf-8") as f:
        for line in f:
            # Split on unescaped pipes only: "\|" belongs to a pattern.
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
            if len(cells) != 4 or cells[0] in ("Concept", "---") or set(cells[0]) <= {"-"}:
                continue
            concept, vietnamese, english, never = cells
            rows.append(
                {
                    "concept": concept,
                    "terms": [t.strip() for t in vietnamese.split(" / ")],
                    "english": [
                        (m[1], m[2].strip() if m[2] else None) for m in ITEM.finditer(english)
                    ],
                    "never": [m[1].replace("\\|", "|") for m in ITEM.finditer(never)],
                }
            )
    return rows


def translations() -> list[tuple[str, str, str]]:
    """(context, English, Vietnamese) for every form of every entry."""
    out = []
    for m in load(VI):
        if not m.id:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        out += [(m.context or "", ids[0], s) for s in strings]
    return out


def test_the_glossary_is_read():
    rows = glossary_rows()
    assert len(rows) >= 10
    facilitator = next(r for r in rows if r["concept"].startswith("facilitator"))
    assert facilitator["terms"] == ["cán bộ hỗ trợ nhóm"]
    assert ("Group facilitator", None) in facilitator["english"]
    assert "điều phối nhóm" in facilitator["never"]


def test_no_forbidden_variant_appears_in_the_vietnamese_catalog():
    found = []
    for row in glossary_rows():
        for pattern in row["never"]:
            rx = re.compile(pattern, re.IGNORECASE)
            found += [
                (row["concept"], pattern, english, vi)
                for _ctx, english, vi in translations()
                if rx.search(vi)
            ]
    assert found == []


def test_each_listed_message_uses_the_glossary_term():
    by_english: dict[str, list[str]] = {}
    for _ctx, english, vi in translations():
        by_english.setdefault(english, []).append(vi)
    problems = []
    for row in glossary_rows():
        for english, term in row["english"]:
            terms = [term] if term else row["terms"]
            if english not in by_english:
                problems.append((english, "not in the catalog"))
                continue
            for vi in by_english[english]:
                if not any(t.lower() in vi.lower() for t in terms):
                    problems.append((english, vi, terms))
    assert problems == []


def test_a_forbidden_variant_would_be_caught(monkeypatch):
    """The check itself works: a catalog that said "Người điều phối nhóm" fails."""
    import tests.test_glossary as me

    monkeypatch.setattr(
        me, "translations", lambda: [("", "Group facilitator", "Người điều phối nhóm")]
    )
    try:
        test_no_forbidden_variant_appears_in_the_vietnamese_catalog()
    except AssertionError:
        return
    raise AssertionError("the glossary test let a forbidden variant through")


@pytest.mark.parametrize(
    "english, vietnamese",
    [
        ("Referral letter", "Giấy chuyển tuyến"),
        ("Referrals", "Lượt chuyển tuyến"),
        ("Service providers", "Nơi cung cấp dịch vụ"),
        ("Provider", "Nơi nhận"),
        ("Groups behind on meetings", "Nhóm chậm sinh hoạt"),
        ("See all %(num)s groups overdue for a meeting", "Xem cả %(num)s nhóm quá hạn sinh hoạt"),
        ("Why do you need them?", "Vì sao anh/chị cần?"),
        ("Paused", "Tạm dừng"),
    ],
)
def test_each_variant_the_language_review_found_would_be_caught(monkeypatch, english, vietnamese):
    """The review of d64d4a7 found these in the catalog: each one fails the glossary now."""
    import tests.test_glossary as me

    monkeypatch.setattr(me, "translations", lambda: [("", english, vietnamese)])
    with pytest.raises(AssertionError):
        test_no_forbidden_variant_appears_in_the_vietnamese_catalog()


def test_a_listed_message_without_its_term_would_be_caught(monkeypatch):
    import tests.test_glossary as me

    real = translations()
    swapped = [(c, e, "Giới thiệu" if e == "Referrals" else v) for c, e, v in real]
    monkeypatch.setattr(me, "translations", lambda: swapped)
    with pytest.raises(AssertionError):
        test_each_listed_message_uses_the_glossary_term()
