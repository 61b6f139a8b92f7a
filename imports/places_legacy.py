"""Old addresses (commune, district, province before 1 July 2025) to today's communes.

Registers kept before the 2025 reorganisation name a commune, its district and its province
("P. Phú Hội, TP Huế, Thừa Thiên Huế"). `resolve_old_address` finds the commune of today by
the package's pre-2025 lists and the official conversion table (vietnam-provinces), and
never guesses: a ward that was split, or a name it cannot pin down, is answered as such so
that a person chooses.
"""

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache, lru_cache

from vietnam_provinces import Province, Ward
from vietnam_provinces.legacy import District as LegacyDistrict
from vietnam_provinces.legacy import Province as LegacyProvince
from vietnam_provinces.legacy import Ward as LegacyWard

from core.text import fold


class Outcome(StrEnum):
    RESOLVED = "resolved"  # one commune of today
    SPLIT = "split"  # the old ward went to several communes: choose one of `communes`
    BOTH = "both"  # a commune of today and an old one have the name: choose one of `communes`
    UNKNOWN = "unknown"  # see `reason`


class Reason(StrEnum):
    PROVINCE = "province"  # the province is missing or not a province's name
    WARD = "ward"  # no commune of that name in the province
    AMBIGUOUS = "ambiguous"  # several old communes have that name; the district did not decide
    NO_SUCCESSOR = "no_successor"  # the conversion table gives the old commune no successor


@dataclass(frozen=True)
class Resolution:
    outcome: Outcome
    communes: tuple[int, ...] = ()  # today's commune codes: one, or the successors of a split
    legacy_ward: int | None = None  # the pre-2025 commune matched (code), if one was
    reason: Reason | None = None  # why the outcome is UNKNOWN
    candidates: tuple[int, ...] = field(default=(), compare=False)  # old codes, when ambiguous


# Types written before a name, as people abbreviate them; keys are case-folded words.
_WARD_TYPES = {
    "xã": "xã", "xa": "xã", "x": "xã",
    "phường": "phường", "phuong": "phường", "p": "phường",
    "thị trấn": "thị trấn", "thi tran": "thị trấn", "tt": "thị trấn",
}
_DISTRICT_TYPES = {
    "huyện": "huyện", "huyen": "huyện", "h": "huyện",
    "quận": "quận", "quan": "quận", "q": "quận",
    "thị xã": "thị xã", "thi xa": "thị xã", "tx": "thị xã",
    "thành phố": "thành phố", "thanh pho": "thành phố", "tp": "thành phố",
}
_PROVINCE_TYPES = {
    "tỉnh": "tỉnh", "tinh": "tỉnh", "t": "tỉnh",
    "thành phố": "thành phố", "thanh pho": "thành phố", "tp": "thành phố",
}
# Names people use for a province other than its own (legacy province codes).
_PROVINCE_ALIASES = {
    "hcm": 79, "tphcm": 79, "tp hcm": 79, "hồ chí minh": 79, "sài gòn": 79,
    "thừa thiên huế": 46, "thừa thiên - huế": 46, "tt huế": 46, "huế": 46,
    "brvt": 77, "br vt": 77, "hn": 1,
}
_TONES = {"\u0300", "\u0301", "\u0309", "\u0303", "\u0323"}


def resolve_old_address(ward: str, district: str | None, province: str) -> Resolution:
    """Find today's commune of a pre-2025 address; never guess.

    `ward` is the old commune, ward or township ("Phường Phú Hội", "P. Phú Hội", "phu hoi",
    "TT. Nghi Xuân", "P.1"), `district` the old district ("TP Huế", "Q.3", may be empty),
    `province` the old province ("Thừa Thiên Huế", "TP HCM", "Nghệ An"). Names are written
    with or without diacritics; without them, they match any spelling with them.

    The ward is looked for among the old communes of the province (and, if the province is
    one of today's, of the old provinces merged into it); the district and the type (xã,
    phường, thị trấn) only choose among several of the same name. One old commune found:
    its successors in the official conversion table give RESOLVED (one) or SPLIT (the two or
    more to choose from). Several old communes found that lead to different communes:
    UNKNOWN, AMBIGUOUS. No old commune of that name: a commune of today with exactly that
    name in the province is RESOLVED (a register already updated), else UNKNOWN, WARD.
    """
    data = _data()
    provinces = _match_province(province, data)
    if not provinces:
        return Resolution(Outcome.UNKNOWN, reason=Reason.PROVINCE)
    ward_parses = _parse(ward, _WARD_TYPES)
    today = {
        code
        for kind, key in ward_parses
        for new_province in set().union(*(data.new_provinces[p] for p in provinces))
        for code in data.current.get((new_province, key), ())
        if kind is None or data.current_types[code] == kind
    }
    old, by_district = _resolve_old(ward_parses, district, provinces, data)
    if old is None:
        if len(today) == 1:
            return Resolution(Outcome.RESOLVED, tuple(today))
        return Resolution(Outcome.UNKNOWN, reason=Reason.WARD)
    if not today or by_district:
        return old  # an old district written, and the old commune is in it: the old address
    # Today's names first: written exactly as one of today's communes (diacritics and
    # all), with no old district, it is that commune. Otherwise, when the old reading leads
    # elsewhere, both readings are offered.
    exact = fold(ward) != " ".join(ward.casefold().split())
    if exact and len(today) == 1 and not (district or "").strip():
        return Resolution(Outcome.RESOLVED, tuple(today))
    readings = set(old.communes) | {
        c for code in old.candidates for c in data.successors.get(code, ())
    }
    if not readings:  # the old commune's successor is not in the table
        return old if (district or "").strip() or len(today) > 1 else Resolution(
            Outcome.RESOLVED, tuple(today)
        )
    choices = tuple(sorted(today | readings))
    if len(choices) == 1:
        return Resolution(Outcome.RESOLVED, choices, legacy_ward=old.legacy_ward)
    if today <= readings and old.outcome != Outcome.RESOLVED:
        return old
    if old.outcome == Outcome.RESOLVED and set(old.communes) == today:
        return old
    return Resolution(Outcome.BOTH, choices, legacy_ward=old.legacy_ward)


def _resolve_old(ward_parses, district, provinces, data) -> tuple[Resolution | None, bool]:
    """The old-commune reading of a name (None if no old commune has it), and whether an
    old district was written that holds the old commune found."""
    found = _find_wards(ward_parses, provinces, data)
    if not found:
        wider = {p for code in provinces for p in data.merged_with.get(code, ())} - provinces
        found = _find_wards(ward_parses, wider, data)
    if not found:
        return None, False
    districts = set()
    if district:
        districts = {
            code
            for _, key in _parse(district, _DISTRICT_TYPES)
            for p in {w.province for w in found}
            for code in data.districts.get((p, key), ())
        }
        found = [w for w in found if w.district in districts] or found
    by_district = bool(districts) and all(w.district in districts for w in found)
    if len(found) > 1:
        kinds = {kind for kind, _ in ward_parses if kind}
        found = [w for w in found if w.kind in kinds] or found
    successors = {data.successors.get(w.code, ()) for w in found}
    if len(successors) > 1:
        return Resolution(
            Outcome.UNKNOWN,
            reason=Reason.AMBIGUOUS,
            candidates=tuple(sorted(w.code for w in found)),
        ), by_district
    (communes,) = successors
    legacy = found[0].code if len(found) == 1 else None
    if not communes:
        return Resolution(
            Outcome.UNKNOWN, legacy_ward=legacy, reason=Reason.NO_SUCCESSOR
        ), by_district
    outcome = Outcome.RESOLVED if len(communes) == 1 else Outcome.SPLIT
    return Resolution(outcome, communes, legacy_ward=legacy), by_district


@dataclass(frozen=True)
class _OldWard:
    code: int
    kind: str
    district: int
    province: int


@dataclass
class _Data:
    provinces: dict[str, set[int]]  # name key -> legacy province codes
    new_provinces: dict[int, set[int]]  # legacy province -> today's province(s)
    merged_with: dict[int, set[int]]  # legacy province -> the legacy provinces of its new one
    districts: dict[tuple[int, str], set[int]]  # (legacy province, name key) -> districts
    wards: dict[tuple[int, str], list[_OldWard]]  # (legacy province, name key) -> old wards
    successors: dict[int, tuple[int, ...]]  # old ward -> today's communes
    current: dict[tuple[int, str], set[int]]  # (province, name key) -> today's communes
    current_types: dict[int, str]


@cache
def _data() -> _Data:
    """Index the package's lists once per process (about a second)."""
    provinces: dict[str, set[int]] = defaultdict(set)
    new_provinces: dict[int, set[int]] = {}
    for p in LegacyProvince.iter_all():
        code = int(p.code)
        for name in _type_off(p.name, _PROVINCE_TYPES):
            for key in _keys(name):
                provinces[key].add(code)
        new_provinces[code] = {
            int(n.province.code) for n in Province.search_from_legacy(code=code)
        }
    for alias, code in _PROVINCE_ALIASES.items():
        for key in _keys(alias):
            provinces[key].add(code)
    merged: dict[int, set[int]] = defaultdict(set)
    for old, news in new_provinces.items():
        for new in news:
            merged[new].add(old)
    merged_with = {
        old: set().union(*(merged[n] for n in news)) for old, news in new_provinces.items()
    }

    districts: dict[tuple[int, str], set[int]] = defaultdict(set)
    district_province = {}
    for d in LegacyDistrict.iter_all():
        code, province = int(d.code), int(d.province_code)
        district_province[code] = province
        (name,) = _type_off(d.name, _DISTRICT_TYPES)
        for key in _keys(name):
            districts[(province, key)].add(code)

    wards: dict[tuple[int, str], list[_OldWard]] = defaultdict(list)
    successors = {}
    for w in LegacyWard.iter_all():
        code, district = int(w.code), int(w.district_code)
        old = _OldWard(code, w.division_type.value, district, district_province[district])
        (name,) = _type_off(w.name, _WARD_TYPES)
        for key in _keys(name):
            wards[(old.province, key)].append(old)
        successors[code] = tuple(int(n.ward.code) for n in Ward.search_from_legacy(code=code))

    current: dict[tuple[int, str], set[int]] = defaultdict(set)
    current_types = {}
    for w in Ward.iter_all():
        code = int(w.code)
        current_types[code] = w.division_type.value
        (name,) = _type_off(w.name, {"xã": "xã", "phường": "phường", "đặc khu": "đặc khu"})
        for key in _keys(name):
            current[(int(w.province_code), key)].add(code)
    return _Data(
        dict(provinces), new_provinces, merged_with, dict(districts), dict(wards), successors,
        dict(current), current_types,
    )


def _match_province(text: str | None, data: _Data) -> set[int]:
    found: set[int] = set()
    for _, key in _parse(text or "", _PROVINCE_TYPES):
        found |= data.provinces.get(key, set())
    return found


def _find_wards(parses, provinces, data: _Data) -> list[_OldWard]:
    found: dict[int, _OldWard] = {}
    for _, key in parses:
        for province in provinces:
            for w in data.wards.get((province, key), ()):
                found[w.code] = w
    return list(found.values())


def _type_off(official: str, types: dict[str, str]) -> tuple[str]:
    """An official name without its type: "Thị trấn Nghi Xuân" -> "nghi xuân"."""
    return (_readings(official, types)[0][1],)


def _parse(text: str, types: dict[str, str]) -> list[tuple[str | None, str]]:
    """(type, key) for each way to read what a person wrote (see `_readings`, `_key`).

    Text with any diacritic is compared exactly; text without any is compared with every
    name's diacritic-free form ("nga thanh" is Nga Thanh or Nga Thành; "Xã Nga Thanh" is not).
    """
    plain = fold(text) == " ".join(text.casefold().split())
    return [(kind, _key(name, plain=plain)) for kind, name in _readings(text, types)]


def _readings(text: str, types: dict[str, str]) -> list[tuple[str | None, str]]:
    """Ways to read "P. Phú Hội": (type, name) with a type prefix taken off, and as written.

    Without diacritics a first word may be a type or part of the name ("xa luong" is Xã
    Lương or Xá Lượng), so both readings are kept and the lists decide.
    """
    text = unicodedata.normalize("NFC", text).casefold()
    words = re.sub(r"[.,;:()\-\u2013\u2014_/]+", " ", text).split()
    readings: list[tuple[str | None, str]] = []
    for size in (2, 1):
        prefix = " ".join(words[:size])
        if len(words) > size and prefix in types:
            readings.append((types[prefix], " ".join(words[size:])))
    # "P1", "Q3": a one-letter type glued to a number.
    glued = re.fullmatch(r"([a-zđ]{1,2})(\d+)", words[0]) if len(words) == 1 else None
    if glued and glued.group(1) in types:
        readings.append((types[glued.group(1)], glued.group(2)))
    readings.append((None, " ".join(words)))
    return readings


def _keys(name: str) -> tuple[str, str]:
    """The keys a list's name is found under: as written, and without diacritics."""
    return _key(name, plain=False), _key(name, plain=True)


@lru_cache(maxsize=65536)
def _key(name: str, *, plain: bool) -> str:
    """Compare names: case, apostrophes, dashes, leading zeros and tone placement aside.

    Where a tone mark sits changed between spellings (Hoà/Hòa, Thuỷ/Thủy), so each word
    keeps its letters and its tone separately. `plain` keys drop every diacritic; the two
    kinds never meet ("=" and "~").
    """
    if plain:
        words = fold(name.replace("’", "'").replace("‘", "'")).split()
        return "~" + " ".join(str(int(w)) if w.isdecimal() else w for w in words)
    text = unicodedata.normalize("NFD", name.casefold()).replace("’", "'").replace("‘", "'")
    words = []
    for word in re.split(r"[\s\-\u2013\u2014.]+", text):
        if word:
            tones = "".join(ch for ch in word if ch in _TONES)
            letters = unicodedata.normalize("NFC", "".join(c for c in word if c not in _TONES))
            if letters.isdecimal():
                letters = str(int(letters))
            words.append(letters + tones)
    return "=" + " ".join(words)


def new_provinces_of(province: str | None) -> set[int]:
    """Today's province codes for a province as written, old or new ("Thừa Thiên Huế",
    "Hà Tây", "Nghệ An"); empty if it names none. Asking which commune an unknown name
    is offers the communes of these."""
    data = _data()
    old = _match_province(province, data)
    return set().union(*(data.new_provinces[p] for p in old)) if old else set()
