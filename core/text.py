"""Vietnamese text: diacritic-free search keys and Vietnamese alphabetical sort keys."""

import unicodedata

# Letters in Vietnamese alphabetical order; f, j, w, z (foreign names) go after y.
ALPHABET = "aăâbcdđeêghiklmnoôơpqrstuưvxyfjwz"
_LETTER_INDEX = {ch: i + 1 for i, ch in enumerate(ALPHABET)}
# Tone marks in dictionary order: ngang (none), huyền, sắc, hỏi, ngã, nặng.
_TONES = {"\u0300": 1, "\u0301": 2, "\u0309": 3, "\u0303": 4, "\u0323": 5}


def fold(text: str) -> str:
    """Lower-case text without diacritics, for search: "Nguyễn Thị" -> "nguyen thi"."""
    text = unicodedata.normalize("NFD", text.lower().replace("đ", "d").replace("Đ", "d"))
    folded = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(folded.split())


def _letters(word: str) -> list[tuple[int, int]]:
    """(letter index, tone) per letter; tone marks are split from vowel marks."""
    out: list[tuple[int, int]] = []
    for ch in unicodedata.normalize("NFD", word.lower()):
        if unicodedata.combining(ch):
            if ch in _TONES:
                if out:
                    out[-1] = (out[-1][0], _TONES[ch])
            elif out:
                base = ALPHABET[out[-1][0] - 1] if 0 < out[-1][0] <= len(ALPHABET) else ""
                composed = unicodedata.normalize("NFC", base + ch)
                out[-1] = (_LETTER_INDEX.get(composed, out[-1][0]), out[-1][1])
        elif ch in _LETTER_INDEX:
            out.append((_LETTER_INDEX[ch], 0))
        elif "0" <= ch <= "9":  # ASCII only: "²".isdigit() is true but int("²") fails
            out.append((40 + ord(ch) - ord("0"), 0))
    return out


def _words_key(words: list[str]) -> str:
    # Per word: letter codes, "00", then one tone digit per letter. Syllables compare
    # letter by letter first, tone second, before the next word is looked at.
    parts = []
    for word in words:
        letters = _letters(word)
        parts.append(
            "".join(f"{i:02d}" for i, _ in letters) + "00" + "".join(str(t) for _, t in letters)
        )
    return "".join(parts)[:255]


def sort_key(full_name: str) -> str:
    """A key that orders names the Vietnamese way: given name first, then the rest.

    Letters compare in Vietnamese order (a ă â b c d đ …); within a syllable the tone
    breaks ties (ngang, huyền, sắc, hỏi, ngã, nặng). Digits only, so every database
    orders it the same.
    """
    words = full_name.split()
    return collation_key([*words[-1:], *words[:-1]])


def collation_key(words: list[str] | str) -> str:
    """The words in the order given (a text is split into its words), Vietnamese
    alphabetical (see `sort_key`): "Hà Huy Tập" before "Hoành Sơn", "Đ…" after "D…"."""
    if isinstance(words, str):
        words = words.split()
    # Per word: letter codes, "00", then one tone digit per letter. Syllables compare
    # letter by letter first, tone second, before the next word is looked at.
    parts = []
    for word in words:
        letters = _letters(word)
        parts.append(
            "".join(f"{i:02d}" for i, _ in letters) + "00" + "".join(str(t) for _, t in letters)
        )
    return "".join(parts)[:255]
