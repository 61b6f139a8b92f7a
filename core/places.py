"""Administrative units since 1 July 2025: 34 provinces and 3,321 communes.

The rows come from the vietnam-provinces package, loaded by the first migration;
codes are the official ones.
"""

from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import db


class Province(db.Model):
    __tablename__ = "provinces"

    code: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(80))
    codename: Mapped[str] = mapped_column(String(80), unique=True)
    division_type: Mapped[str] = mapped_column(String(40))
    # Vietnamese alphabetical order of the short name (Huế under H), set by the migrations.
    sort_key: Mapped[str] = mapped_column(String(255), default="", server_default="")

    communes: Mapped[list["Commune"]] = relationship(
        back_populates="province", order_by="Commune.sort_key"
    )

    @property
    def short_name(self) -> str:
        return self.name.removeprefix("Thành phố ")

    @property
    def abbreviation(self) -> str:
        """Three letters for codes such as HUE-2026-0042: HUE, NAN (Nghệ An), HCM…"""
        return abbreviate(self.codename)


class Commune(db.Model):
    __tablename__ = "communes"

    code: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(80))
    division_type: Mapped[str] = mapped_column(String(40))
    province_code: Mapped[int] = mapped_column(ForeignKey("provinces.code"), index=True)
    # Vietnamese alphabetical order of the name, set by the migrations.
    sort_key: Mapped[str] = mapped_column(String(255), default="", server_default="")

    province: Mapped[Province] = relationship(back_populates="communes")


_ABBREVIATION_CLASHES = {"da_nang": "DNG"}  # Đồng Nai keeps DNA


def abbreviate(codename: str) -> str:
    if codename in _ABBREVIATION_CLASHES:
        return _ABBREVIATION_CLASHES[codename]
    words = codename.split("_")
    if len(words) == 1:
        return words[0][:3].upper()
    if len(words) == 2:
        return (words[0][0] + words[1][:2]).upper()
    return "".join(w[0] for w in words).upper()


def list_provinces() -> list[Province]:
    return list(db.session.scalars(select(Province).order_by(Province.sort_key)))


def list_communes(province_code: int) -> list[Commune]:
    return list(
        db.session.scalars(
            select(Commune)
            .where(Commune.province_code == province_code)
            .order_by(Commune.sort_key)
        )
    )
