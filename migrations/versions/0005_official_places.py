"""Official places of vietnam-provinces 2026.9.0: stored commune codes follow their commune

From 2026.1.0 the package uses the statistics office's list: 114 of the 3,321 commune codes of
2025.10.1 differ, and some codes now name another commune (226 was Phường Kim Liên and is now
Phường Văn Miếu - Quốc Tử Giám; Kim Liên is 229). Every column that refers to communes.code is
moved by (province, name) — never by keeping the number — then the reference tables are
reloaded. The names of the database's own communes table say what each stored code meant, so
the move is right whichever release loaded it. The downgrade moves back to the 2025.10.1 lists
kept in migrations/data.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 07:30:00

"""
import csv
import logging
import re
import unicodedata
from pathlib import Path

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

logger = logging.getLogger("alembic.runtime.migration")
DATA = Path(__file__).resolve().parent.parent / "data"
# Tone marks; their place in a syllable changed between spellings (Hoà/Hòa, Thuỷ/Thủy).
TONES = {"\u0300", "\u0301", "\u0309", "\u0303", "\u0323"}
provinces = sa.table(
    "provinces", sa.column("code", sa.Integer), sa.column("name", sa.String),
    sa.column("codename", sa.String), sa.column("division_type", sa.String),
)
communes = sa.table(
    "communes", sa.column("code", sa.Integer), sa.column("name", sa.String),
    sa.column("division_type", sa.String), sa.column("province_code", sa.Integer),
)


def name_key(name):
    """What two spellings of one commune name share: letters and the tone of each syllable.

    Case, apostrophes (’ or '), dashes (- – —), spacing and where the tone mark sits in the
    syllable do not count; "Xã Ea H’leo" and "Xã Ea H'Leo", "Xã Hoà Hội" and "Xã Hòa Hội" match.
    """
    text = unicodedata.normalize("NFD", name.casefold()).replace("’", "'").replace("‘", "'")
    words = []
    for word in re.split(r"[\s\-\u2013\u2014]+", text):
        if word:
            tones = "".join(ch for ch in word if ch in TONES)
            letters = "".join(ch for ch in word if ch not in TONES)
            words.append(unicodedata.normalize("NFC", letters) + tones)
    return " ".join(words)


def tidy(name):
    """Official names start with a capital ("xã Bắc Sơn" in 2026.9.0 is a slip)."""
    name = " ".join(unicodedata.normalize("NFC", name).split())
    return name[:1].upper() + name[1:]


def commune_type(name):
    return {"Phường": "phường", "Đặc": "đặc khu"}.get(name.split()[0], "xã")


def pinned_places():
    from vietnam_provinces import Province, Ward

    return (
        [{"code": int(p.code), "name": tidy(p.name), "codename": p.codename,
          "division_type": p.division_type.value} for p in Province.iter_all()],
        [{"code": int(w.code), "name": tidy(w.name), "division_type": w.division_type.value,
          "province_code": int(w.province_code)} for w in Ward.iter_all()],
    )


def places_2025():
    def read(name):
        with open(DATA / name, encoding="utf-8", newline="") as f:
            return list(csv.DictReader(f))

    return (
        [{"code": int(p["code"]), "name": p["name"], "codename": p["codename"],
          "division_type": p["division_type"]} for p in read("provinces-2025.10.1.csv")],
        [{"code": int(w["code"]), "name": w["name"], "division_type": commune_type(w["name"]),
          "province_code": int(w["province_code"])} for w in read("communes-2025.10.1.csv")],
    )


def referencing_columns(bind):
    """(table, column) of every foreign key to communes.code, whichever feature added it."""
    inspector = sa.inspect(bind)
    found = []
    for table in inspector.get_table_names():
        for fk in inspector.get_foreign_keys(table):
            if fk["referred_table"] == "communes" and fk["referred_columns"] == ["code"]:
                found.append((table, fk["constrained_columns"][0]))
    return found


def move_places(new_provinces, new_communes):
    bind = op.get_bind()
    stored = bind.execute(sa.select(communes.c.code, communes.c.province_code, communes.c.name))
    target = {(w["province_code"], name_key(w["name"])): w["code"] for w in new_communes}
    if len(target) != len(new_communes):
        raise RuntimeError("Two communes of one province share a name: cannot move by name.")
    moves, lost = {}, {}
    for code, province_code, name in stored:
        new_code = target.get((province_code, name_key(name)))
        if new_code is None:
            lost[code] = name
        elif new_code != code:
            moves[code] = new_code

    columns = referencing_columns(bind)
    for table, column in columns:
        col = sa.column(column, sa.Integer)
        used = set(bind.scalars(sa.select(col).select_from(sa.table(table)).distinct()))
        if used & lost.keys():
            names = ", ".join(f"{c} {lost[c]}" for c in sorted(used & lost.keys()))
            raise RuntimeError(
                f"{table}.{column} uses communes that the new list does not have: {names}. "
                "Nothing was changed."
            )

    _upsert(bind, provinces, new_provinces)
    _upsert(bind, communes, new_communes)
    for table, column in columns:
        col = sa.column(column, sa.Integer)
        moved = bind.execute(
            sa.table(table, col).update()
            .where(col.in_(moves))
            .values({column: sa.case(moves, value=col)})
        ).rowcount
        logger.info("Moved %s rows of %s.%s to their commune's new code.", moved, table, column)
    keep = {w["code"] for w in new_communes}
    bind.execute(communes.delete().where(communes.c.code.not_in(keep)))
    extra = set(bind.scalars(sa.select(provinces.c.code))) - {p["code"] for p in new_provinces}
    if extra:
        raise RuntimeError(f"Provinces {sorted(extra)} are not in the new list.")


def _upsert(bind, table, rows):
    """Insert missing rows, update the ones whose values changed."""
    fields = [c.name for c in table.columns if c.name != "code"]
    current = {row.code: row for row in bind.execute(sa.select(table))}
    inserts = [r for r in rows if r["code"] not in current]
    updates = [
        {"b_code": r["code"], **{f"b_{f}": r[f] for f in fields}}
        for r in rows
        if r["code"] in current and any(getattr(current[r["code"]], f) != r[f] for f in fields)
    ]
    if inserts:
        bind.execute(table.insert(), inserts)
    if updates:
        bind.execute(
            table.update()
            .where(table.c.code == sa.bindparam("b_code"))
            .values({f: sa.bindparam(f"b_{f}") for f in fields}),
            updates,
        )


def upgrade():
    move_places(*pinned_places())


def downgrade():
    move_places(*places_2025())
