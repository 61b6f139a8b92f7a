"""The demo's old register goes through check and import: every commune is resolved or
asked once, and 300 members in 12 groups come in with their phones and dates repaired."""

import random
import re
from collections import Counter

from sqlalchemy import func, select

from accounts.models import Role
from core.db import db
from demo.register import GROUPS, MEMBERS, PATH, rows, write
from groups.models import Group, Member
from imports.models import ImportBatch
from tests.imports.test_imports import batch_of, confirmed

SPLIT_OR_UNKNOWN = {"Phường Đại Nài", "Xã Kỳ Lợi", "Xã Diễn Hạnh"}


def test_committed_register_is_what_the_generator_writes(tmp_path):
    assert write(tmp_path / "again.xlsx").read_bytes() == PATH.read_bytes()


def test_demo_register_goes_through_check_and_import(app, client, login_as):
    login_as(Role.COORDINATOR, provinces=(46, 44, 42, 40))
    # Its groups are not in the app: the coordinator confirms creating them (F2).
    batch = confirmed(client, app, PATH.read_bytes(), filename=PATH.name)
    summary = batch.summary_dict
    places = {p["written"][0]: p for p in summary["places"]}
    assert set(places) == SPLIT_OR_UNKNOWN  # each asked once...
    assert all(p["rows"] == MEMBERS // len(GROUPS) for p in places.values())  # ...for its rows
    errors = {p["code"] for p in summary["problems"] if p["level"] == "error"}
    # The three groups whose every member's commune is asked wait for the answer.
    assert errors == {"split_commune", "unknown_commune", "group_needs_place"}

    answers = {}
    for i, place in enumerate(summary["places"]):
        answers[f"place_{i}"] = str(place["choices"][0])
    client.post(f"/imports/{batch.id}/places", data=answers)
    batch = batch_of(app, batch.id)
    assert batch.summary_dict["counts"]["new"] == MEMBERS
    assert batch.summary_dict["counts"]["errors"] == 0

    assert client.post(f"/imports/{batch.id}/import").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Member)) == MEMBERS
        assert db.session.scalar(select(func.count()).select_from(Group)) == len(GROUPS)
        phones = db.session.scalars(select(Member.phone).where(Member.phone.is_not(None))).all()
        assert phones and all(re.fullmatch(r"0[35789][0-9]{8}", p) for p in phones)
        written = Counter((r[1], int(float(r[2]))) for r in rows(random.Random(13)))
        stored = Counter(db.session.execute(select(Member.full_name, Member.birth_year)).all())
        assert stored == written
        assert db.session.scalar(select(ImportBatch.status)) == "imported"
