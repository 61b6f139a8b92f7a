"""Statements per support page at two sizes: a member with a few, then many, screenings
and referrals. The same count at both sizes means no query per row.

    .venv/bin/python -m bench.support [--database-url postgresql://…/bench_x] [--many 40]

Pages: the member's support list, a screening's answers, a referral, the letter, the
provider directory; then the daily referral job on every overdue referral (time).
"""

import argparse
import tempfile
import time
from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import event

from accounts import services as account_services
from accounts.models import Role, User
from app import create_app
from core.clock import today
from core.db import db
from core.schema import upgrade_schema
from groups.models import (
    Cadence,
    ConsentPurpose,
    Gender,
    GroupRole,
    GroupStatus,
    MemberCategory,
)
from groups.services import groups as group_services
from groups.services import members as member_services
from support import questionnaire
from support.jobs import open_referral_checks
from support.models.referrals import ProviderType, ServiceProvider
from support.models.screening import SupportType
from support.services import directory as directory_services
from support.services import referrals as referral_services
from support.services import screenings as screening_services

HUE = 46
ADMIN = SimpleNamespace(id=None, role=Role.ADMIN, covers_province=lambda code: True)


def build(app, count: int) -> dict:
    """A coordinator, a member with `count` screenings and `count` referrals (each to
    its own provider, half of them overdue)."""
    from sqlalchemy import select

    from core.places import Commune

    coordinator = account_services.create_user(
        None, username=f"coord{count}", full_name="Lê Thị Hà", role=Role.COORDINATOR,
        password="bench-password-1", province_codes=(HUE,), must_change_password=False,
    )  # fmt: skip
    commune = db.session.scalar(select(Commune.code).where(Commune.province_code == HUE))
    group = group_services.create_group(
        ADMIN, name=f"Nhóm {count}", province_code=HUE, commune_code=commune, village=None,
        founded_on=today() - timedelta(days=900), status=GroupStatus.ACTIVE,
        cadence=Cadence.WEEKLY, meeting_weekday=0, partner=None, facilitator_ids=[],
    )  # fmt: skip
    member = member_services.create_member(
        ADMIN, group, full_name="Trần Thị Mai", gender=Gender.FEMALE, birth_year=1990,
        phone=None, category=MemberCategory.MIGRANT, notes=None,
        joined_on=today() - timedelta(days=800), role=GroupRole.MEMBER,
        consents=[ConsentPurpose.PROGRAMME_DATA],
    )  # fmt: skip
    version = questionnaire.install(questionnaire.V1)
    actor = db.session.get(User, coordinator.id)
    first = None
    for i in range(count):
        s = screening_services.start_screening(
            actor, member, version=version, screened_on=today() - timedelta(days=10 * i + 1),
            today=today(),
        )  # fmt: skip
        for section in version.sections:
            chosen = {q.id: q.options[i % len(q.options)].id for q in section.questions}
            screening_services.save_section(actor, s, section, chosen)
        screening_services.complete_screening(actor, s)
        first = first or s
        provider = ServiceProvider(name=f"Nơi {count}-{i}", kind=ProviderType.HEALTH,
                                   province_code=HUE, active=True)  # fmt: skip
        db.session.add(provider)
        db.session.flush()
        day = today() - timedelta(days=30 if i % 2 else 1)
        directory_services.record_sharing_consent(
            actor, member, provider, given_on=day, today=today()
        )
        r = referral_services.refer(
            actor, member, provider=provider, service=SupportType.HEALTH, reason="Khám",
            expected_on=day + timedelta(days=7), today=day,
        )  # fmt: skip
    db.session.commit()
    return {
        "user": coordinator.username,
        "member": member.id,
        "screening": first.id,
        "referral": r.id,
    }


def measure(app, client, paths) -> dict[str, int]:
    counts = {}
    statements = []

    def count(*_args):
        statements.append(1)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        for name, path in paths.items():
            statements.clear()
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            counts[name] = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default: SQLite)")
    parser.add_argument("--many", type=int, default=40)
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    app = create_app(
        {"ENV": "test", "TESTING": True, "SECRET_KEY": "bench", "DATABASE_URL": url,
         "SESSION_COOKIE_SECURE": False, "TWO_FACTOR_SKIP": True, "WTF_CSRF_ENABLED": False}
    )  # fmt: skip
    rows = {}
    with app.app_context():
        upgrade_schema()
    for size in (2, args.many):
        with app.app_context():
            ids = build(app, size)
        client = app.test_client()
        client.post("/login", data={"username": ids["user"],
                                    "password": "bench-password-1"})  # fmt: skip
        paths = {
            "member support list": f"/members/{ids['member']}/support",
            "screening answers": f"/screenings/{ids['screening']}",
            "referral": f"/referrals/{ids['referral']}",
            "letter": f"/referrals/{ids['referral']}/letter",
            "providers": "/providers",
        }
        rows[size] = measure(app, client, paths)
    print(f"{'page':24} {'statements at 2':>16} {f'at {args.many}':>8}")
    for name in rows[2]:
        print(f"{name:24} {rows[2][name]:>16} {rows[args.many][name]:>8}")
    with app.app_context():
        started = time.perf_counter()
        result = open_referral_checks(today())
        took = time.perf_counter() - started
    print(f"referral job: {result} in {took * 1000:.0f} ms")


if __name__ == "__main__":
    main()
