"""The members list: search ignoring case and diacritics, Vietnamese order, filters."""

import re
from datetime import date

import pytest

from accounts.models import Role
from groups.models import MemberCategory
from tests.groups.helpers import positions, results


@pytest.fixture
def people(login_as, make_group, make_member, leave):
    """An admin looking at two Huế groups: four current members and one who left."""
    login_as(Role.ADMIN)
    east = make_group(name="Nhóm Thôn Đông")
    west = make_group(name="Nhóm Thôn Tây")
    people = {
        "lan": make_member(east, full_name="Nguyễn Thị Lan", category=MemberCategory.SURVIVOR),
        "anh_sac": make_member(east, full_name="Lê Thị Ánh"),
        "anh": make_member(west, full_name="Phạm Anh", category=MemberCategory.COMMUNITY),
        "an": make_member(west, full_name="Trần Văn An"),
        "gone": make_member(east, full_name="Đặng Thị Hoa"),
    }
    leave(people["gone"], date(2025, 3, 1))
    return east, west, people


def listed(client, query: str = "") -> str:
    response = client.get(f"/members?{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.mark.parametrize(
    "q",
    [
        "nguyen thi",
        "nguyen+thi",
        "NGUYEN THI LAN",
        "Nguyễn thị",
        "thi lan",
        "  nguyen   thi  ",
        "uyen",
    ],
)
def test_search_ignores_case_diacritics_and_spaces(client, people, q):
    page = listed(client, f"q={q}")
    assert "Nguyễn Thị Lan" in page
    assert "Phạm Anh" not in page and "Trần Văn An" not in page


def test_search_folds_d_with_stroke(client, people):
    page = listed(client, "q=dang&status=all")
    assert "Đặng Thị Hoa" in page
    assert "Nguyễn Thị Lan" not in page


def test_search_by_code_prefix_any_case(client, people):
    _east, _west, p = people
    page = listed(client, f"q={p['anh'].code}")
    assert "Phạm Anh" in page and "Nguyễn Thị Lan" not in page
    page = listed(client, "q=hue-2025-")
    for name in ("Nguyễn Thị Lan", "Lê Thị Ánh", "Phạm Anh", "Trần Văn An"):
        assert name in page


def test_search_with_no_match_lists_nobody(client, people):
    page = listed(client, "q=xyz")
    for name in ("Nguyễn Thị Lan", "Lê Thị Ánh", "Phạm Anh", "Trần Văn An"):
        assert name not in page


@pytest.mark.parametrize("url", ["/members?q=%25", "/members?q=_", "/groups?q=%25"])
def test_search_wildcards_are_taken_literally(client, people, url):
    page = results(client.get(url).get_data(as_text=True))
    for name in ("Nguyễn Thị Lan", "Lê Thị Ánh", "Phạm Anh", "Trần Văn An", "Nhóm Thôn"):
        assert name not in page


def test_list_is_in_vietnamese_name_order(client, people):
    page = listed(client)
    found = positions(page, "Trần Văn An", "Phạm Anh", "Lê Thị Ánh", "Nguyễn Thị Lan")
    assert found == sorted(found)


def test_filter_by_group_lists_its_current_members_only(client, people):
    east, west, _p = people
    page = listed(client, f"group={east.id}")
    assert "Nguyễn Thị Lan" in page and "Lê Thị Ánh" in page
    assert "Phạm Anh" not in page and "Trần Văn An" not in page
    assert "Đặng Thị Hoa" not in page
    page = listed(client, f"group={west.id}")
    assert "Phạm Anh" in page and "Nguyễn Thị Lan" not in page


def test_filter_by_category(client, people):
    page = listed(client, "category=survivor")
    assert "Nguyễn Thị Lan" in page
    assert "Phạm Anh" not in page and "Lê Thị Ánh" not in page
    page = listed(client, "category=community")
    assert "Phạm Anh" in page and "Nguyễn Thị Lan" not in page


def test_filter_by_status_separates_current_members_from_those_who_left(client, people):
    active = listed(client)  # the default is members in a group now
    assert "Nguyễn Thị Lan" in active and "Đặng Thị Hoa" not in active
    left = listed(client, "status=left")
    assert "Đặng Thị Hoa" in left and "Nguyễn Thị Lan" not in left
    everyone = listed(client, "status=all")
    assert "Đặng Thị Hoa" in everyone and "Nguyễn Thị Lan" in everyone


@pytest.mark.parametrize(
    "query", ["status=bogus", "category=bogus", "group=abc", "province=99999999999"]
)
def test_odd_filters_are_ignored_not_errors(client, people, query):
    assert "Nguyễn Thị Lan" in listed(client, query)


def test_very_long_search_is_cut_not_an_error(client, people):
    assert "Nguyễn Thị Lan" in listed(client, "q=nguyen" + "%20" * 600)
    listed(client, "q=" + "a" * 5000)


@pytest.mark.parametrize("url", ["/members?q=nguy%00en", "/groups?q=nh%00om"])
def test_search_with_a_nul_character_is_not_a_server_error(client, people, url):
    # PostgreSQL refuses NUL in text parameters; the search must not pass it on.
    assert client.get(url).status_code == 200


def test_groups_list_searches_by_code_and_name(client, people):
    east, _west, _p = people
    page = client.get(f"/groups?q={east.code}").get_data(as_text=True)
    assert "Nhóm Thôn Đông" in page and "Nhóm Thôn Tây" not in page
    page = client.get("/groups?q=Tây").get_data(as_text=True)
    assert "Nhóm Thôn Tây" in page and "Nhóm Thôn Đông" not in page


def _names(page: str) -> list[str]:
    return re.findall(r"<strong>([^<]+)</strong></a>", results(page))


def _links(page: str) -> dict[str, str]:
    return {
        rel: href.replace("&amp;", "&")
        for href, rel in re.findall(r'<a href="([^"]+)" rel="(\w+)"', page)
    }


def test_pages_walk_the_list_by_keyset_both_ways_keeping_filters(app, client, people):
    """Next from each page until the end, then Previous back: every member once, in
    order, the search and status kept in every link; no page number, no OFFSET."""
    app.config["PER_PAGE"] = 2
    east, _west, _p = people
    query = "q=thi&status=all"
    names, url, pages = [], f"/members?{query}", []
    while url:
        page = listed(client, url.split("?", 1)[1])
        pages.append(page)
        names += _names(page)
        url = _links(page).get("next")
        if url:
            assert "q=thi" in url and "status=all" in url and "page=" not in url
    assert len(pages) == 2
    assert len(names) == len(set(names)) == 3  # Lan, Ánh (Lê Thị), Hoa (left): once each
    assert "Phạm Anh" not in names
    # The last page is the list's last full page; Previous from it gives what is before.
    last = listed(client, f"{query}&last=1")
    assert _names(last) == names[-2:]
    assert "next" not in _links(last) and "last" not in _links(last)
    back = listed(client, _links(last)["prev"].split("?", 1)[1])
    assert _names(back) == names[:1]
    assert "next" in _links(back) and "prev" not in _links(back)


def test_a_cursor_outside_the_scope_only_positions_the_page(
    app, client, login_as, make_group, make_member
):
    """A facilitator given the id of a member of another group in ?after= sees only
    members of their own groups."""
    from tests.conftest import HUE

    fac = login_as(Role.FACILITATOR)
    mine = make_group(HUE, facilitators=[fac])
    other = make_group(HUE)
    make_member(mine, full_name="Nguyễn Thị Bích")
    stranger = make_member(other, full_name="Hồ Thị An")
    for cursor in (f"after={stranger.id}", f"before={stranger.id}", "after=99999", "last=1"):
        page = listed(client, cursor)
        assert "Hồ Thị An" not in page, cursor
    assert "Nguyễn Thị Bích" in listed(client, f"after={stranger.id}")
