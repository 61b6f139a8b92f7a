"""The members import writes a chunk at a time in bulk (issue 23: ≥ 2,000 rows/s): the
codes, memberships and audit are those create_member gives, across chunks too."""

from datetime import date

import pytest
from sqlalchemy import select

from accounts.models import Role
from core.audit import AuditEvent
from core.db import db
from groups.models import DatePrecision, Group, Member, Membership
from imports import job_runner
from tests.imports.test_imports import HA_TINH, batch_of, checked
from tests.imports.test_register_again import person, register


@pytest.fixture
def coordinator(login_as):
    return login_as(Role.COORDINATOR, provinces=(HA_TINH,))


def test_chunks_continue_the_codes_and_audit_each_member(
    app, client, coordinator, make_group, make_member, monkeypatch
):
    monkeypatch.setattr(job_runner, "CHUNK", 2)  # three chunks for five rows
    group = make_group(HA_TINH, name="Nhóm Xóm Giếng", founded_on=date(2018, 1, 1))
    before = make_member(group, joined_on=date(2019, 3, 1))
    prefix, number = before.code.rsplit("-", 1)
    rows = [
        person("Lê Thị Hồng"),
        person("Phan Thị Đào", year=1990),
        person("Trần Thị Bé", group="Nhóm Bến Đò", joined="05/2023"),
        person("Hồ Thị Na", year=1970),
        person("Võ Thị Mai", year=1971),
    ]
    batch = checked(client, app, register(rows), filename="so.xlsx")
    client.post(f"/imports/{batch.id}/groups", data={"unknown_0": "new"})
    assert client.post(f"/imports/{batch.id}/import").status_code == 302
    assert batch_of(app, batch.id).summary_dict["imported"] == 5

    with app.app_context():
        members = {
            m.full_name: m for m in db.session.scalars(select(Member).where(Member.id != before.id))
        }
        assert len(members) == 5
        # The 2019 prefix goes on from the member already there, across the chunks.
        following = [f"{prefix}-{int(number) + k:04d}" for k in (1, 2, 3, 4)]
        names = ["Lê Thị Hồng", "Phan Thị Đào", "Hồ Thị Na", "Võ Thị Mai"]
        assert [members[n].code for n in names] == following
        be = members["Trần Thị Bé"]
        assert be.code.rsplit("-", 2)[1] == "2023"
        made = db.session.scalar(select(Group).where(Group.name == "Nhóm Bến Đò"))
        membership = db.session.scalar(select(Membership).where(Membership.member_id == be.id))
        assert membership.group_id == made.id and membership.joined_on == date(2023, 5, 1)
        assert membership.joined_precision == DatePrecision.MONTH
        for member in members.values():
            # The home group, set by the triggers on memberships, and one audit event.
            home = db.session.scalar(select(Member.home_group_id).where(Member.id == member.id))
            assert home == (made.id if member is be else group.id)
            events = db.session.execute(
                select(
                    AuditEvent.action,
                    AuditEvent.object_type,
                    AuditEvent.group_id,
                    AuditEvent.province_code,
                    AuditEvent.actor_id,
                ).where(AuditEvent.member_id == member.id)
            ).all()
            assert events == [("create", "members", home, HA_TINH, coordinator.id)]
            assert member.search_name and member.sort_key
