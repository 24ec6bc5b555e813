"""Russian number words to digits, tolerant of speech recognizer output.

The recognizer writes numbers as words («восемь девятьсот шестнадцать»), lower case, with
hesitations («э», «ну») between them. This module knows the cardinal words (0-999 and
thousands), composes them the way a listener does («сто сорок шесть» is 146, «тридцать ноль
девять» is 30, 0, 9) and recognises ordinals («пятый», «седьмого», «третьем») with their
gender and case, which the class extraction needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Literal

import pymorphy3

Kind = Literal["unit", "teen", "ten", "hundred", "digits"]

_UNITS = {
    "ноль": 0,
    "нуль": 0,
    "один": 1,
    "одна": 1,
    "одно": 1,
    "два": 2,
    "две": 2,
    "три": 3,
    "четыре": 4,
    "пять": 5,
    "шесть": 6,
    "семь": 7,
    "восемь": 8,
    "девять": 9,
}
_TEENS = {
    "десять": 10,
    "одиннадцать": 11,
    "одинадцать": 11,
    "двенадцать": 12,
    "тринадцать": 13,
    "четырнадцать": 14,
    "пятнадцать": 15,
    "шестнадцать": 16,
    "семнадцать": 17,
    "восемнадцать": 18,
    "девятнадцать": 19,
}
_TENS = {
    "двадцать": 20,
    "тридцать": 30,
    "сорок": 40,
    "пятьдесят": 50,
    "шестьдесят": 60,
    "семьдесят": 70,
    "восемьдесят": 80,
    "девяносто": 90,
}
_HUNDREDS = {
    "сто": 100,
    "двести": 200,
    "триста": 300,
    "четыреста": 400,
    "пятьсот": 500,
    "шестьсот": 600,
    "семьсот": 700,
    "восемьсот": 800,
    "девятьсот": 900,
}
_THOUSANDS = frozenset({"тысяча", "тысячи", "тысяч", "тысячу"})

NUMBER_WORDS: dict[str, tuple[int, Kind]] = {
    **{word: (value, "unit") for word, value in _UNITS.items()},
    **{word: (value, "teen") for word, value in _TEENS.items()},
    **{word: (value, "ten") for word, value in _TENS.items()},
    **{word: (value, "hundred") for word, value in _HUNDREDS.items()},
}

# Hesitations a caller drops between the groups of a number.
FILLERS = frozenset({"э", "ээ", "эээ", "эм", "м", "мм", "ммм", "а-а", "ну", "вот", "так", "значит"})
# Between two number words «и» is a breath, not a word («девятьсот и шестьдесят один»).
_JOINERS = frozenset({"и"})
# Words a number run passes over: they carry no digit.
SKIPPED_IN_NUMBERS = FILLERS | _JOINERS
# A recognizer's misspelling is read as a number word only inside a run of numbers, and only
# for words this long (short ones are too close to everyday words: «семь» / «семья»).
_FUZZY_MIN_LENGTH = 5


def normalise_word(word: str) -> str:
    """Lower case with «ё» written as «е», the way the tables here spell words."""
    return word.lower().replace("ё", "е")


@cache
def morph() -> pymorphy3.MorphAnalyzer:
    """The one Russian morphological analyzer of the process (loading it takes a second)."""
    return pymorphy3.MorphAnalyzer()


def number_word(word: str) -> tuple[int, Kind] | None:
    """The value and kind of one cardinal word (0-900), or None."""
    return NUMBER_WORDS.get(normalise_word(word))


def _one_edit_apart(a: str, b: str) -> bool:
    """True when a becomes b by one substitution, insertion or deletion (not when equal)."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1:] == b[i + 1:]
    return a[i:] == b[i + 1:]


def _near_number_word(word: str, min_length: int) -> tuple[int, Kind] | None:
    """The number word one edit away from word («двесть» is «двести»), if exactly one is."""
    if len(word) < min_length or not word.isalpha():
        return None
    near = {known for spelled, known in NUMBER_WORDS.items()
            if len(spelled) >= min_length and _one_edit_apart(word, spelled)}
    return near.pop() if len(near) == 1 else None


@lru_cache(maxsize=4096)
def misheard_number_words(word: str) -> list[tuple[int, Kind]]:
    """Number words a recognizer wrote misspelt or glued together, read inside a number run.

    «двесть» is «двести», «семдесят» «семьдесят»; «нальдва» is «ноль» + «два». A word of
    the dictionary is never a misspelling («шерсть» is not «шесть»). Returns [] for anything
    else. Callers use this only between number words, never on its own.
    """
    word = normalise_word(word)
    exact = NUMBER_WORDS.get(word)
    if exact is not None:
        return [exact]
    if not word.isalpha() or morph().word_is_known(word):
        return []
    near = _near_number_word(word, _FUZZY_MIN_LENGTH)
    if near is not None:
        return [near]
    for cut in range(3, len(word) - 2):
        head, tail = word[:cut], word[cut:]
        second = NUMBER_WORDS.get(tail)
        if second is None:
            continue
        first = NUMBER_WORDS.get(head) or _near_number_word(head, 4)
        if first is not None:
            return [first, second]
    return []


@dataclass(frozen=True)
class Group:
    """One spoken number as a listener writes it: «сто сорок шесть» is "146"."""

    digits: str
    start: int  # index of the first token
    end: int  # index after the last token


@dataclass(frozen=True)
class _Atom:
    value: int
    kind: Kind
    index: int
    text: str


def _compose(atoms: Sequence[_Atom]) -> list[Group]:
    """Greedy composition: hundred + ten + unit, hundred + teen, ten + unit; «ноль» stands alone."""
    groups: list[Group] = []
    i = 0
    while i < len(atoms):
        atom = atoms[i]
        if atom.kind == "digits":
            nxt = atoms[i + 1] if i + 1 < len(atoms) else None
            if (nxt is not None and nxt.kind == "digits" and _is_written_ten(atom.text)
                    and len(nxt.text) == 1 and nxt.text != "0"):
                # «40-2»: the recognizer wrote «сорок два» as two groups; a listener hears 42.
                groups.append(Group(str(atom.value + nxt.value), atom.index, nxt.index + 1))
                i += 2
                continue
            groups.append(Group(atom.text, atom.index, atom.index + 1))
            i += 1
            continue
        value, j = atom.value, i + 1
        nxt = atoms[j] if j < len(atoms) else None
        if atom.kind == "hundred" and nxt is not None:
            if nxt.kind == "ten":
                value += nxt.value
                j += 1
                after = atoms[j] if j < len(atoms) else None
                if after is not None and after.kind == "unit" and after.value > 0:
                    value += after.value
                    j += 1
            elif nxt.kind == "teen" or (nxt.kind == "unit" and nxt.value > 0):
                value += nxt.value
                j += 1
        elif atom.kind == "ten" and nxt is not None and nxt.kind == "unit" and nxt.value > 0:
            value += nxt.value
            j += 1
        groups.append(Group(str(value), atom.index, atoms[j - 1].index + 1))
        i = j
    return groups


def _is_written_ten(text: str) -> bool:
    return len(text) == 2 and text[0] in "23456789" and text[1] == "0"


def number_runs(
    tokens: Sequence[str], *, breaks: frozenset[int] = frozenset()
) -> list[list[Group]]:
    """Split a token sequence into runs of spoken numbers, each run a list of groups.

    A run is a stretch of number words (or digit tokens) interrupted only by fillers; any
    other word, or a token index in ``breaks``, ends it.
    """
    runs: list[list[Group]] = []
    atoms: list[_Atom] = []

    def flush() -> None:
        if atoms:
            runs.append(_compose(atoms))
            atoms.clear()

    for index, raw in enumerate(tokens):
        word = normalise_word(raw)
        if index in breaks:
            flush()
            continue
        if word.isdigit():
            atoms.append(_Atom(int(word), "digits", index, word))
            continue
        known = NUMBER_WORDS.get(word)
        if known is not None:
            atoms.append(_Atom(known[0], known[1], index, word))
        elif atoms and word in SKIPPED_IN_NUMBERS:
            continue
        elif atoms and (misheard := misheard_number_words(word)):
            atoms.extend(_Atom(value, kind, index, word) for value, kind in misheard)
        else:
            flush()
    flush()
    return runs


def words_to_number(text: str) -> int | None:
    """The value of a cardinal spoken as one number: «две тысячи двадцать четыре» is 2024.

    Returns None when the text holds anything but number words (fillers aside), or a
    sequence that is not one number («пять пять»).
    """
    total, current, last_kind = 0, 0, ""
    order = {"hundred": 3, "ten": 2, "teen": 1, "unit": 0}
    seen = False
    for raw in text.split():
        word = normalise_word(raw)
        if word in FILLERS:
            continue
        if word in _THOUSANDS:
            total += (current or 1) * 1000
            current, last_kind = 0, ""
            seen = True
            continue
        known = NUMBER_WORDS.get(word)
        if known is None:
            return None
        value, kind = known
        if last_kind:
            # Each place may follow only a larger place («сто пять», not «пять сто»).
            if order[kind] >= order[last_kind] or last_kind in {"teen", "unit"}:
                return None
            if last_kind == "ten" and kind != "unit":
                return None
            if kind == "unit" and value == 0:
                return None
        current += value
        last_kind = kind
        seen = True
    return total + current if seen else None


def spoken_digits(text: str) -> str:
    """The digits spoken in a text, one string per run: «восемь девятьсот ноль один» is "890001"."""
    runs = number_runs(text.split())
    return " ".join("".join(group.digits for group in run) for run in runs)


# --- ordinals ---------------------------------------------------------------------------

# The ordinals a class or a date is spoken with, by their dictionary form.
_ORDINAL_VALUES: dict[str, int] = {
    lemma: value
    for value, lemma in enumerate(
        ("первый второй третий четвертый пятый шестой седьмой восьмой девятый десятый "
         "одиннадцатый двенадцатый тринадцатый четырнадцатый пятнадцатый шестнадцатый "
         "семнадцатый восемнадцатый девятнадцатый двадцатый").split(),
        start=1,
    )
}
_GENDERS = ("masc", "femn", "neut")


@dataclass(frozen=True)
class Ordinal:
    """An ordinal word form: its value and the gender/case readings it allows."""

    value: int
    tags: frozenset[str]  # e.g. {"masc loct", "neut loct"}

    def allows(self, *tags: str) -> bool:
        """True when any reading has all the given tag words («masc», «loct»...)."""
        return any(all(tag in reading.split() for tag in tags) for reading in self.tags)


def ordinal(word: str) -> Ordinal | None:
    """The ordinal a word form spells («седьмого» is 7, masculine or neuter genitive), or None.

    pymorphy3 reads the form: every reading as a numeral adjective (``Anum``) of a known
    ordinal gives its gender (or plural) and case.
    """
    return _ordinal(normalise_word(word))


@lru_cache(maxsize=4096)
def _ordinal(word: str) -> Ordinal | None:
    if not word.isalpha():
        return None
    value = None
    readings: set[str] = set()
    for parse in morph().parse(word):
        tag = parse.tag
        lemma_value = _ORDINAL_VALUES.get(normalise_word(parse.normal_form))
        if "Anum" not in tag or lemma_value is None or tag.case is None:
            continue
        if value is not None and lemma_value != value:
            continue
        value = lemma_value
        gender = "plur" if tag.number == "plur" else next(
            (g for g in _GENDERS if g in tag), None)
        if gender is not None:
            readings.add(f"{gender} {tag.case}")
    return Ordinal(value, frozenset(readings)) if value is not None and readings else None
