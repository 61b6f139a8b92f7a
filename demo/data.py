"""Demo data: accounts, and (as features land) groups, members, meetings and grants.

Loading is idempotent: what already exists is kept, so running the demo again keeps data.
"""

from accounts import services as accounts
from accounts.models import Role

DEMO_PASSWORD = "demo-tuluc"

# Provinces of the seed programme, by official code.
SEED_PROVINCES = {
    46: "Huế",
    44: "Quảng Trị",
    42: "Hà Tĩnh",
    40: "Nghệ An",
    80: "Tây Ninh",
    24: "Bắc Ninh",
}

DEMO_USERS = [
    # username, full name, role, provinces
    ("admin", "Trần Quốc Bảo", Role.ADMIN, ()),
    ("coordinator", "Lê Thị Thu Hà", Role.COORDINATOR, (46, 44, 42, 40)),
    ("coordinator2", "Phạm Minh Tuấn", Role.COORDINATOR, (80, 24)),
    ("facilitator", "Nguyễn Thị Lan", Role.FACILITATOR, ()),
    ("facilitator2", "Hồ Văn Dũng", Role.FACILITATOR, ()),
    ("facilitator3", "Đặng Thị Mai", Role.FACILITATOR, ()),
]


def seed_users() -> int:
    created = 0
    for username, full_name, role, provinces in DEMO_USERS:
        if accounts.get_user_by_username(username) is None:
            accounts.create_user(
                None,
                username=username,
                full_name=full_name,
                role=role,
                password=DEMO_PASSWORD,
                province_codes=provinces,
            )
            created += 1
    return created


def seed_demo() -> dict[str, int]:
    """Create whatever part of the demo data set is missing; return counts created."""
    return {"users": seed_users()}
