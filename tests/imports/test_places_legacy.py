"""Old addresses to today's communes: a table of real addresses, and every old ward."""

import pytest
from vietnam_provinces.legacy import District as LegacyDistrict
from vietnam_provinces.legacy import Province as LegacyProvince
from vietnam_provinces.legacy import Ward as LegacyWard

from core.text import fold
from imports.places_legacy import Outcome, Reason, resolve_old_address

RESOLVED, SPLIT, UNKNOWN = Outcome.RESOLVED, Outcome.SPLIT, Outcome.UNKNOWN

# (ward, district, province) as registers write them -> outcome, today's commune codes.
ADDRESSES = [
    # Huế: the province's old name, "TP", "P.", no diacritics, old tone placement.
    (("Phường Phú Hội", "Thành phố Huế", "Tỉnh Thừa Thiên Huế"), RESOLVED, (19789,)),
    (("P. Phú Hội", "TP Huế", "Thừa Thiên Huế"), RESOLVED, (19789,)),
    (("phu hoi", "tp hue", "thua thien hue"), RESOLVED, (19789,)),
    (("P.Vĩnh Ninh", "", "TT-Huế"), RESOLVED, (19789,)),
    (("P. Kim Long", "TP. Huế", "TT Huế"), RESOLVED, (19774,)),
    (("Phường Thuận Hoà", "Quận Phú Xuân", "Huế"), RESOLVED, (19753,)),
    (("Phường Hương Sơ", "", "Thành phố Huế"), RESOLVED, (19804,)),
    # Hà Nội: Kim Liên is 229 today (226 is Văn Miếu - Quốc Tử Giám).
    (("Phường Kim Liên", "Quận Đống Đa", "Thành phố Hà Nội"), RESOLVED, (229,)),
    (("Kim Lien", "Dong Da", "Ha Noi"), RESOLVED, (229,)),
    # Hà Tĩnh: townships ("TT.") became communes; a ward split in two.
    (("TT. Xuân An", "H. Nghi Xuân", "Hà Tĩnh"), RESOLVED, (18352,)),
    (("Thị trấn Cẩm Xuyên", "Huyện Cẩm Xuyên", "Tỉnh Hà Tĩnh"), RESOLVED, (18673,)),
    (("Phường Đại Nài", "TP Hà Tĩnh", "Hà Tĩnh"), SPLIT, (18073, 18652)),
    # Nghệ An: "X.", and a commune moved from Nghi Lộc to Vinh before 2025.
    (("X. Diễn Lâm", "H. Diễn Châu", "Nghệ An"), RESOLVED, (17395,)),
    (("Xã Nghi Phong", "Huyện Nghi Lộc", "Tỉnh Nghệ An"), RESOLVED, (16708,)),
    (("xa quynh thach", "huyen quynh luu", "nghe an"), RESOLVED, (17143,)),
    # Hồ Chí Minh: numbered wards need their district; one was split.
    (("P.1", "Q.3", "TP HCM"), RESOLVED, (27154,)),
    (("Phường 01", "Quận 10", "TP.HCM"), RESOLVED, (27190,)),
    (("P4", "Q3", "TPHCM"), SPLIT, (27139, 27154)),
    (("Phường 1", "", "Thành phố Hồ Chí Minh"), UNKNOWN, ()),
    # A register already written with today's commune.
    (("Phường Thuận Hóa", "", "Huế"), RESOLVED, (19789,)),
    # Never guessed: unknown names, partial diacritics, no province.
    (("Xã Không Có", "Huyện Nghi Lộc", "Nghệ An"), UNKNOWN, ()),
    (("Phường Phu Hoi", "Thành phố Huế", "Thừa Thiên Huế"), UNKNOWN, ()),
    (("Phường Phú Hội", "", "Tỉnh Atlantis"), UNKNOWN, ()),
    (("Phường Phú Hội", "", ""), UNKNOWN, ()),
]


@pytest.mark.parametrize(("address", "outcome", "communes"), ADDRESSES)
def test_real_old_addresses(address, outcome, communes):
    answer = resolve_old_address(*address)
    assert answer.outcome == outcome
    assert set(answer.communes) == set(communes)


def test_unknown_answers_say_why():
    assert resolve_old_address("Phường 1", "", "TP HCM").reason == Reason.AMBIGUOUS
    assert resolve_old_address("Phường 1", "", "TP HCM").candidates
    assert resolve_old_address("Xã Không Có", "", "Nghệ An").reason == Reason.WARD
    assert resolve_old_address("Phường Phú Hội", "", "Atlantis").reason == Reason.PROVINCE


def old_addresses():
    for ward in LegacyWard.iter_all():
        district = LegacyDistrict.from_code(ward.district_code)
        province = LegacyProvince.from_code(district.province_code)
        yield int(ward.code), (ward.name, district.name, province.name)


def official_successors(code: int) -> set[int]:
    from vietnam_provinces import Ward

    return {int(w.ward.code) for w in Ward.search_from_legacy(code=code)}


@pytest.mark.parametrize("plain", [False, True], ids=["as written", "without diacritics"])
def test_every_old_ward_resolves_only_to_its_official_successors(plain):
    counts = {outcome: 0 for outcome in Outcome}
    for code, address in old_addresses():
        if plain:
            address = tuple(fold(part) for part in address)
        answer = resolve_old_address(*address)
        counts[answer.outcome] += 1
        successors = official_successors(code)
        if answer.outcome == RESOLVED:
            assert len(answer.communes) == 1 and set(answer.communes) <= successors, address
        elif answer.outcome == SPLIT:
            assert set(answer.communes) == successors and len(successors) > 1, address
    total = sum(counts.values())
    rate = (counts[RESOLVED] + counts[SPLIT]) / total
    print(f"\n{total} old wards ({'without diacritics' if plain else 'as written'}): "
          f"{counts[RESOLVED]} resolved, {counts[SPLIT]} split, {counts[UNKNOWN]} unknown, "
          f"{rate:.2%} answered")
    assert total > 10_000
    assert rate >= (0.99 if plain else 0.995)
