"""Template rules a phone depends on, read from the templates themselves.

A table wider than 360 px must scroll inside its own box, one a keyboard can reach
(templates/macros/layout.html); only tables of label–value pairs (class "pairs") and the
visits list that turns into blocks on a phone (class "due") may stand alone. The browser
crawl (tests/e2e/test_crawl_browser.py) measures the pages; this finds a bare table in a
template no page of the demo happens to show.
"""

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
STANDALONE = {"pairs", "due"}
TOKEN = re.compile(r"{%-?\s*call\s+scroll_box\b|{%-?\s*endcall\s*-?%}|{%-?\s*call\b|<table\b[^>]*>")


def bare_tables(text: str) -> list[str]:
    """Tables outside a scroll_box call, unless their class allows it."""
    stack, bare = [], []
    for match in TOKEN.finditer(text):
        token = match.group(0)
        if "scroll_box" in token:
            stack.append(True)
        elif "endcall" in token:
            stack.pop()
        elif token.startswith("{%"):
            stack.append(False)
        else:
            classes = set(re.search(r'class="([^"]*)"', token + 'class=""').group(1).split())
            if not any(stack) and not classes & STANDALONE:
                line = text.count("\n", 0, match.start()) + 1
                bare.append(f"line {line}: {token}")
    return bare


def test_every_table_scrolls_in_its_own_box_or_is_allowed_to_stand_alone():
    found = {
        str(path.relative_to(TEMPLATES)): bare
        for path in sorted(TEMPLATES.rglob("*.html"))
        if (bare := bare_tables(path.read_text(encoding="utf-8")))
    }
    assert not found, found


def test_the_rule_finds_a_bare_table_and_accepts_a_boxed_one():
    boxed = '{% call scroll_box(_("X")) %}<table class="figures"></table>{% endcall %}'
    assert bare_tables(boxed) == []
    assert bare_tables('<table class="figures pairs"></table>') == []
    assert bare_tables('{% call folded() %}{% endcall %}<table class="figures">') != []
    assert bare_tables('<div class="scroll"><table></table></div>') != []


def test_no_scroll_box_is_written_by_hand():
    """Every sideways-scrolling box comes from the macro, with its tabindex, role and name."""
    hand = [
        str(path.relative_to(TEMPLATES))
        for path in TEMPLATES.rglob("*.html")
        if path.name != "layout.html"
        and re.search(r'<div[^>]*class="(register-)?scroll"', path.read_text(encoding="utf-8"))
    ]
    assert not hand, hand


def test_every_phone_link_goes_through_the_tel_filter():
    """A tel: href holds digits only ("024 3825 0000" with its spaces is invalid HTML)."""
    from core.web import tel_link

    assert tel_link("024 3825 0000") == "02438250000"
    assert tel_link("+84 912.345.678") == "+84912345678"
    bare = {
        str(path.relative_to(TEMPLATES)): hits
        for path in TEMPLATES.rglob("*.html")
        if (hits := re.findall(r'href="tel:\{\{[^}]*\}\}"', path.read_text(encoding="utf-8")))
        and any("|tel" not in hit for hit in hits)
    }
    assert not bare, bare


def test_every_pager_is_one_of_the_pager_macros():
    """One look for every pager (code review d64d4a7 §5.9): lists call a macro of
    templates/macros/pager.html rather than writing their own `<nav class="pager">`."""
    own = [
        str(path.relative_to(TEMPLATES))
        for path in TEMPLATES.rglob("*.html")
        if path.name != "pager.html" and 'class="pager"' in path.read_text(encoding="utf-8")
    ]
    assert own == []
    assert not (TEMPLATES / "macros" / "keyset_pager.html").exists()
