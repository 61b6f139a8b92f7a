"""A member row's consent to keep their programme records (issue 23), read from a
register's column as staff write it ("có", "x", "đã ký", "không"…). A word the check does
not know is asked about once for the file, never guessed (an error on its rows until
answered); a file without the column is asked once for all its people. Until answered,
or for a blank cell, no consent is recorded, and the dry run says for how many.
"""

from imports import cells
from imports.columns import Kind, header_key
from imports.services.vocabulary import CONSENT_WORDS

FIELD = "programme_consent"
# The answers: "pconsent:*" for a file without the column, "pconsent:<word>" for a word;
# each "yes" or "no".
FILE_ANSWER = "pconsent:*"
WORD_ANSWER = "pconsent:"
ANSWERS = ("yes", "no")


def programme(plan, row: dict, answers: dict, asked: dict) -> bool:
    """Whether the row records the member's consent to keep programme records."""
    if FIELD not in row:  # no such column: the answer for the whole file (asked: asks)
        return answers.get(FILE_ANSWER) == "yes"
    raw = row.get(FIELD)
    if raw is None:
        plan.add("consent_blank", FIELD)
        return False
    if cells.is_unknown(raw):
        plan.add("unknown_value", FIELD)
        return False
    found = cells.choice(raw, CONSENT_WORDS)
    if found is not None:
        return found
    key = header_key(cells.text(raw))
    if answers.get(WORD_ANSWER + key) in ANSWERS:
        return answers[WORD_ANSWER + key] == "yes"
    plan.add("unknown_consent", FIELD)
    entry = asked.setdefault(key, {"key": key, "written": cells.text(raw), "rows": 0})
    entry["rows"] += 1
    return False


def asks(batch) -> bool:
    """A members register without the column, not answered for the whole file yet: the
    dry run asks once (not a warning on every row)."""
    return (
        batch.kind == Kind.MEMBERS
        and FIELD not in batch.mapping_dict
        and batch.answer_dict.get(FILE_ANSWER) not in ANSWERS
    )
