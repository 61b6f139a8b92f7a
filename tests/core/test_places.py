"""Place names as people write them, in Vietnamese order, the same on every page."""

import html

from accounts.models import Role
from core.db import db
from core.places import Commune, Province, list_communes, list_provinces
from tests.conftest import HUE, NGHE_AN

THUAN_HOA = 19789


def test_official_and_short_names(app):
    with app.app_context():
        names = {
            code: (p.full_name, p.short_name)
            for code, p in ((c, db.session.get(Province, c)) for c in (NGHE_AN, HUE, 79, 24))
        }
        assert names == {
            NGHE_AN: ("Tỉnh Nghệ An", "Nghệ An"),
            HUE: ("Thành phố Huế", "Huế"),
            79: ("Thành phố Hồ Chí Minh", "TP. Hồ Chí Minh"),
            24: ("Thành phố Bắc Ninh", "Bắc Ninh"),  # a city since the 2026.9.0 list
        }
        ward = db.session.get(Commune, THUAN_HOA)
        assert (ward.full_name, ward.short_name) == ("Phường Thuận Hóa", "Thuận Hóa")
        special = db.session.get(Commune, 6994)  # an island zone, Vân Đồn
        assert special.full_name.startswith("Đặc khu ")
        assert special.short_name == special.full_name.removeprefix("Đặc khu ")


def test_provinces_and_communes_are_listed_in_vietnamese_order(app):
    with app.app_context():
        provinces = [p.short_name for p in list_provinces()]
        assert len(provinces) == 34
        # Đ after C and before G; Hà before Hải; "TP. Hồ Chí Minh" under H (ô before u, ư).
        assert provinces.index("Cao Bằng") < provinces.index("Đà Nẵng")
        assert provinces.index("Đồng Tháp") < provinces.index("Gia Lai")
        assert provinces.index("Hà Nội") < provinces.index("Hà Tĩnh") < provinces.index("Hải Phòng")
        assert provinces.index("Hải Phòng") < provinces.index("TP. Hồ Chí Minh")
        hcm = provinces.index("TP. Hồ Chí Minh")
        assert hcm < provinces.index("Huế") < provinces.index("Hưng Yên")
        communes = [c.short_name for c in list_communes(HUE)]
        # By name, whatever the type: Phường and Xã mix.
        assert communes.index("A Lưới 1") == 0
        assert communes.index("Phú Xuân") < communes.index("Thuận Hóa") < communes.index("Vỹ Dạ")


def test_group_page_names_its_place_in_full_and_the_list_in_short(
    client, login_as, make_group
):
    group = make_group(HUE, commune_code=THUAN_HOA, name="Nhóm Hoa Sen")
    login_as(Role.ADMIN)
    page = html.unescape(client.get(f"/groups/{group.id}").get_data(as_text=True))
    assert "Phường Thuận Hóa, Thành phố Huế" in page
    listing = html.unescape(client.get("/groups?q=Hoa+Sen").get_data(as_text=True))
    assert "Thuận Hóa, Huế" in listing and "Phường Thuận Hóa" not in listing
    picker = html.unescape(client.get(f"/groups?province={HUE}").get_data(as_text=True))
    assert ">Huế</option>" in picker and ">Nghệ An</option>" in picker
    assert ">Thuận Hóa</option>" in picker
