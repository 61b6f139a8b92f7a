"""Decimals are written the user's way: "0,47" in Vietnamese, where "0.47" reads as a
thousands separator. Every fraction shown to a person goes through Babel (the `fixed`,
`number` and `share` filters), never through '%.2f', str() or round() in a template or view.
"""

import os
import re

import pytest

from core.i18n import format_fixed
from tests.conftest import ROOT

# Code that renders for people. CLI commands and the backup tool speak English on a console.
SOURCE_DIRS = ("accounts", "core", "groups", "livelihoods", "support", "reports", "imports")
CONSOLE_ONLY = {os.path.join("core", "backup.py"), os.path.join("core", "scheduler.py")}
# '%.2f', "%+.1f", f"{x:.2f}", format(x, ".2f"), str(round(x, 2)).
PYTHON_FLOAT_TEXT = re.compile(
    r"""[\"']%[+ ]?\.\d+f|:[+ ]?\.\d+f\}|format\([^)]*[\"'][+ ]?\.\d+f|str\(round\("""
)
# In a template: a printf-style float format anywhere, or round() whose result is printed
# as is ({{ x|round(2) }}; a {% set %} that rounds is SVG geometry, written into attributes).
PRINTF_FLOAT = re.compile(r"%[+ ]?\.\d+f")
PRINTED_ROUND = re.compile(r"^\{\{.*\|\s*round\b(?:\([^)]*\))?(?!\s*\|\s*int)", re.DOTALL)
EXPRESSION = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)


# A value written for other programs (the CSV exports: "." decimals, README "Exports"),
# marked on its line, is not for a person to read.
FOR_MACHINES = "# for machines"


def python_offences(text: str) -> list[str]:
    return [
        m.group(0)
        for line in text.splitlines()
        if FOR_MACHINES not in line
        for m in PYTHON_FLOAT_TEXT.finditer(line)
    ]


def template_offences(text: str) -> list[str]:
    """Float formatting printed into the page's text. Inside a tag (an SVG coordinate, an
    input's value) a decimal point is what the browser needs, so that is left alone."""
    found = []
    for m in EXPRESSION.finditer(text):
        before = text[: m.start()]
        inside_a_tag = before.rfind("<") > before.rfind(">")
        expression = m.group(0)
        floating = PRINTF_FLOAT.search(expression) or PRINTED_ROUND.search(expression)
        if floating and not inside_a_tag:
            found.append(m.group(0))
    return found


def sources(suffix: str):
    for folder in (*SOURCE_DIRS, "templates") if suffix == ".html" else SOURCE_DIRS:
        for dirpath, _dirs, files in os.walk(os.path.join(ROOT, folder)):
            for name in files:
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, ROOT)
                if name.endswith(suffix) and name != "cli.py" and rel not in CONSOLE_ONLY:
                    with open(path, encoding="utf-8") as f:
                        yield rel, f.read()


def test_no_template_or_view_writes_a_decimal_without_babel():
    found = {rel: hits for rel, text in sources(".html") if (hits := template_offences(text))}
    found |= {rel: hits for rel, text in sources(".py") if (hits := python_offences(text))}
    assert found == {}, "use |fixed, |number or |share (core/i18n.py), not '%.2f' or round"


@pytest.mark.parametrize(
    "snippet",
    [
        "<td>{{ '%.2f'|format(score) }}</td>",
        '<td>{{ "%+.2f"|format(change) }}</td>',
        "<td>{{ score|round(2) }}</td>",
        "{% set t = '%.1f'|format(x) %}<td>{{ t }}</td>",
    ],
)
def test_the_template_scan_catches_each_way_of_writing_a_float(snippet):
    assert template_offences(snippet)


def test_the_python_scan_leaves_a_line_marked_for_machines_alone():
    assert python_offences('x = f"{v:.4f}"') == [":.4f}"]
    assert python_offences('x = f"{v:.4f}"  # for machines: CSV') == []


def test_the_template_scan_leaves_machine_values_and_whole_numbers_alone():
    assert template_offences('<rect width="{{ (250 * v)|round(1) }}"/>') == []
    assert template_offences("<td>{{ (100 * p)|round|int }}</td>") == []
    assert template_offences("<td>{{ score|fixed }}</td>") == []


@pytest.mark.parametrize(
    "line",
    ['f"{score:.2f}"', '"%.2f" % score', 'format(score, ".2f")', "str(round(score, 2))"],
)
def test_the_python_scan_catches_each_way_of_writing_a_float(line):
    assert python_offences(line)


def test_fixed_writes_a_decimal_comma_in_vietnamese_and_a_point_in_english(app):
    with app.test_request_context():
        from flask_babel import force_locale

        with force_locale("vi"):
            assert format_fixed(0.4666) == "0,47"
            assert format_fixed(0.1, sign=True) == "+0,10"
            assert format_fixed(-0.05, sign=True) == "-0,05"
            assert format_fixed(1234.5, 1) == "1.234,5"
        with force_locale("en"):
            assert format_fixed(0.4666) == "0.47"
        assert format_fixed(None) == ""
