from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, Enum, ForeignKey, Index, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from core.db import db, utcnow
from core.enums import LabelledEnum
from core.places import Province
from core.text import sort_key


class Role(LabelledEnum):
    ADMIN = "admin", _l("Administrator")
    COORDINATOR = "coordinator", _l("Provincial coordinator")
    FACILITATOR = "facilitator", _l("Group facilitator")
    MEMBER = "member", _l("Member")
    # Staff of one service provider: its own referrals only (support/views/provider_pages.py).
    PROVIDER = "provider", _l("Service provider staff")


# Role groups, beside the roles (not members of the enum): who works with the records,
# and who manages a province (decides grants, keeps the provider directory).
Role.STAFF = (Role.ADMIN, Role.COORDINATOR, Role.FACILITATOR)
Role.MANAGERS = (Role.ADMIN, Role.COORDINATOR)


def enum_column(enum_class, length: int = 20):
    """A VARCHAR column holding the enum's values, the same on SQLite and PostgreSQL."""
    return Enum(
        enum_class,
        native_enum=False,
        length=length,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


user_provinces = Table(
    "user_provinces",
    db.metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("province_code", Integer, ForeignKey("provinces.code"), primary_key=True),
    # Jobs join follow-ups to coordinators by province.
    Index("ix_user_provinces_province_code", "province_code"),
)


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    full_name: Mapped[str] = mapped_column(String(120))
    # Derived from full_name whenever it is set: staff listed the Vietnamese way.
    sort_key: Mapped[str] = mapped_column(String(255), index=True, default="", server_default="")
    role: Mapped[Role] = mapped_column(enum_column(Role))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    must_change_password: Mapped[bool] = mapped_column(default=False)
    locale: Mapped[str | None] = mapped_column(String(5))
    # Where reminders go by email (if SMTP is set up), and the number members may call.
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(20))
    # A member's login: their code and a PIN set by their facilitator.
    member_id: Mapped[int | None] = mapped_column(
        # use_alter: members also points at users (created_by_id).
        ForeignKey("members.id", ondelete="CASCADE", use_alter=True),
        unique=True,
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # Two-factor sign-in (TOTP). The secret is kept from the first enrolment page on;
    # it counts only once confirmed with a code.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_confirmed_at: Mapped[datetime | None]
    # The last time step accepted: a code cannot be used twice.
    totp_last_step: Mapped[int | None]
    version: Mapped[int] = mapped_column(default=1)

    provinces: Mapped[list[Province]] = relationship(
        secondary=user_provinces, order_by=Province.code  # shown through place_order
    )

    __mapper_args__ = {"version_id_col": version}

    @validates("full_name")
    def _keep_sort_key(self, _key, value):
        self.sort_key = sort_key(value or "")
        return value

    # Set when loaded for a request: the server-side session this login belongs to.
    session_token = None
    auth_session = None

    # Flask-Login's user protocol. The id it keeps in the cookie is the session token,
    # so deleting the server-side record logs the cookie out.
    is_anonymous = False

    @property
    def is_authenticated(self) -> bool:
        return self.auth_session is not None

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str | None:
        return self.session_token

    @property
    def province_codes(self) -> set[int]:
        return {p.code for p in self.provinces}

    def covers_province(self, province_code: int) -> bool:
        """Admins cover every province; coordinators the ones assigned to them."""
        if self.role == Role.ADMIN:
            return True
        return self.role == Role.COORDINATOR and province_code in self.province_codes

    def can_manage_users(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def has_two_factor(self) -> bool:
        return self.totp_confirmed_at is not None

    def can_use_two_factor(self) -> bool:
        """Staff may sign in with a second factor; members have a PIN only."""
        return self.role != Role.MEMBER

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class AuthSession(db.Model):
    """A login. The cookie carries its token; deleting the row ends the login everywhere."""

    __tablename__ = "auth_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    # SHA-256 of the token: a copy of the database does not hand out live logins.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(200))

    user: Mapped[User] = relationship()


class RecoveryCode(db.Model):
    """A one-time code for signing in without the authenticator app. Stored hashed."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # SHA-256 of a random 64-bit code: high entropy, so no slow hash is needed.
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None]


class LoginFailure(db.Model):
    """A failed login, kept for throttling: by username (known or not) and by address."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), index=True)
    ip: Mapped[str | None] = mapped_column(String(45), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
