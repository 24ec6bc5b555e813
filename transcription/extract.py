"""Facts from a voicemail transcript: callback phone number, child's class, topic, abuse.

The input is Russian text as the Vosk recognizer writes it: lower case, no punctuation,
numbers as words, recognition errors left in. Nothing here imports our other packages; the
topics and their keywords come in as a plain mapping ``{code: keywords}``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers

from transcription.numbers import (
    SKIPPED_IN_NUMBERS,
    Group,
    morph,
    normalise_word,
    number_runs,
    number_word,
    ordinal,
)

__all__ = ["Facts", "extract", "normalise_phone", "tokenise"]


@dataclass(frozen=True)
class Facts:
    """What a transcript says, as far as the rules can tell."""

    phone: str | None  # E.164, a valid Russian mobile or landline number
    klass: str | None  # "5Б", "9А", "11": number and Cyrillic capital letter
    topic: str | None  # a topic code
    abusive: bool
    low_confidence: tuple[str, ...] = ()  # recognised words under the confidence threshold

    def as_dict(self) -> dict:
        return {
            "phone": self.phone,
            "class": self.klass,
            "topic": self.topic,
            "abusive": self.abusive,
        }


# The endings Whisper writes after a digit ordinal: «7-м», «11-й», «10-го», «2-му».
_ORDINAL_SUFFIX = r"(?:ого|ому|ый|ой|ым|ом|ая|ую|ых|го|му|й|м|я|ю|е|х)"
_TOKEN_RE = re.compile(
    rf"[^\W\d_]*\*[\w*]*|\d+-{_ORDINAL_SUFFIX}(?![^\W\d_])|\d+|[^\W\d_]+"
)
_DIGIT_ORDINAL_RE = re.compile(rf"^(\d+)-({_ORDINAL_SUFFIX})$")
# What each ending allows of a class («класс» is masculine): case, or None (not a class).
_DIGIT_ORDINAL_CASES = {
    "м": "loct", "ом": "loct", "ым": "ablt",
    "й": "nomn", "ый": "nomn", "ой": "nomn",
    "го": "gent", "ого": "gent",
    "му": "datv", "ому": "datv",
}


def tokenise(text: str) -> list[str]:
    """Lower-case word and digit tokens, «ё» as «е»; masked words («б***») stay whole, and
    so do digit ordinals («7-м», «11-й»), whose ending is not a class letter."""
    return _TOKEN_RE.findall(normalise_word(text))


# --- morphology -------------------------------------------------------------------------


@lru_cache(maxsize=65536)
def _parses(word: str) -> tuple:
    """pymorphy3's readings of a word form, likeliest first."""
    return tuple(morph().parse(word))


@lru_cache(maxsize=65536)
def _lemmas(word: str) -> frozenset[str]:
    """Every dictionary form a word form may have, plus the form itself."""
    forms = {normalise_word(parse.normal_form) for parse in _parses(word)}
    forms.add(word)
    return frozenset(forms)


@lru_cache(maxsize=65536)
def _top_parse(word: str) -> tuple[str, frozenset[str]]:
    """The likeliest lemma and the grammemes seen in any parse (names, cases)."""
    parses = _parses(word)
    grammemes: set[str] = set()
    for parse in parses:
        grammemes.update(parse.tag.grammemes)
    return normalise_word(parses[0].normal_form), frozenset(grammemes)


@lru_cache(maxsize=65536)
def _is_locative_phrase_word(word: str) -> bool:
    """True when a word can be a noun phrase in the prepositional case («дневнике», «этом»)."""
    parses = _parses(word)
    if parses[0].tag.POS in {"PREP", "CONJ", "PRCL", "INTJ"}:
        return False
    for parse in parses:
        tag = parse.tag
        if "Abbr" in tag or tag.POS not in {"NOUN", "ADJF", "PRTF", "NPRO", "NUMR"}:
            continue
        if tag.case in {"loct", "loc2"}:
            return True
    return False


# --- phone numbers ----------------------------------------------------------------------

_ALLOWED_TYPES = frozenset(
    {
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    }
)


@lru_cache(maxsize=4096)
def normalise_phone(text_digits: str) -> str | None:
    """E.164 for a Russian mobile or landline number written with digits, else None.

    Accepts "+7XXXXXXXXXX", "8XXXXXXXXXX", "7XXXXXXXXXX" and ten digits without a prefix;
    spaces, brackets and dashes are ignored.
    """
    plus = text_digits.strip().startswith("+")
    digits = re.sub(r"\D", "", text_digits)
    if len(digits) == 11 and (digits[0] == "7" or (digits[0] == "8" and not plus)):
        national = digits[1:]
    elif len(digits) == 10 and not plus:
        national = digits
    else:
        return None
    try:
        number = phonenumbers.parse("+7" + national, "RU")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    if phonenumbers.region_code_for_number(number) != "RU":
        return None
    if phonenumbers.number_type(number) not in _ALLOWED_TYPES:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# Words after which a caller says the number to call back on.
_PHONE_CUES = frozenset(
    {
        "номер",
        "номеру",
        "телефон",
        "телефону",
        "тел",
        "перезвоните",
        "перезвонить",
        "позвоните",
        "позвонить",
        "звоните",
        "звонить",
        "наберите",
        "сотовый",
        "сотовому",
        "мобильный",
        "мобильному",
        "домашний",
        "рабочий",
        "связи",
        "плюс",
    }
)
# Words that single out the number to use when several are spoken...
_PREFERENCE_CUES = frozenset({"лучше", "удобнее", "предпочтительно"})
# ... and words that offer a fallback («если не дозвонитесь то на домашний ...»).
_FALLBACK_CUES = frozenset({"если", "или", "запасной", "запасного"})
# Words that retract what was just said.
_CORRECTION_CUES = frozenset(
    {
        "ой",
        "нет",
        "точнее",
        "вернее",
        "неправильно",
        "неверно",
        "ошибся",
        "ошиблась",
        "ошибка",
        "извините",
        "простите",
        "поправка",
        "исправляю",
        "подождите",
    }
)
# Words after which a number is a school, room or ticket number, not a phone.
_NOT_PHONE_CUES = frozenset(
    {"школа", "школы", "школе", "кабинет", "кабинета", "заявки", "заявка", "обращения", "дом"}
)
_CUE_WINDOW = 6


@dataclass(frozen=True)
class _PhoneCandidate:
    e164: str
    start: int  # token index where the (last part of the) number starts
    cue: bool  # a call cue comes shortly before
    preferred: bool  # «лучше ...» comes shortly before
    corrected: bool  # follows a retraction of an earlier number
    fallback: bool = False  # «если не дозвонитесь ...» comes shortly before
    span: tuple[int, int] = (0, 0)  # the tokens the number was read from


def _window(tokens: Sequence[str], start: int, size: int = _CUE_WINDOW) -> Sequence[str]:
    return tokens[max(0, start - size) : start]


def _best_span(
    groups: Sequence[Group], plus: bool, cue: bool, *, written: bool = False
) -> str | None:
    """The phone number in a run of spoken groups, choosing the span the way a listener would.

    A run may hold more than the number: a school number before it («школа номер сорок три
    восемь девятьсот ...») or a repeat after it. Spans start and end on group boundaries;
    a leading «восемь» / «плюс семь», then reaching the end of the run, win.

    A run the recognizer wrote in digits (``written``: «8 952 743 3901», «8-3-8-1-2-6-10»)
    has no such neighbours: it is one number as the recognizer heard it, so it counts only
    whole. Twelve digits there mean a digit heard twice or a group misheard, and any ten or
    eleven of them would be a guess: an operator would call a stranger.
    """
    best: tuple[tuple[int, int, int], str] | None = None
    for i in range(1 if written else len(groups)):
        digits = ""
        for j in range(i, len(groups)):
            digits += groups[j].digits
            if len(digits) > 11:
                break
            if len(digits) < 10 or (written and j < len(groups) - 1):
                continue
            prefixed = len(digits) == 11
            if prefixed:
                if digits[0] not in "78" or (plus and i == 0 and digits[0] != "7"):
                    continue
                e164 = normalise_phone(("+" if digits[0] == "7" else "") + digits)
            else:
                # Ten digits with no prefix: a mobile («девятьсот ...»), or a landline
                # only when the caller announced a number.
                if digits[0] != "9" and not cue:
                    continue
                e164 = normalise_phone(digits)
            if e164 is None:
                continue
            key = (int(prefixed), int(j == len(groups) - 1), -i)
            if best is None or key > best[0]:
                best = (key, e164)
    return best[1] if best else None


def _count_word_breaks(tokens: Sequence[str]) -> frozenset[int]:
    """Indices of count words in «последние две цифры»: they are not digits of the number."""
    breaks = set()
    for index in range(len(tokens) - 2):
        if tokens[index].startswith("последн") and tokens[index + 2].startswith("цифр"):
            breaks.add(index + 1)
    return frozenset(breaks)


def _replaced_count(tokens: Sequence[str], start: int, end: int) -> int | None:
    """How many final digits «последние две цифры» (between start and end) replaces."""
    for index in range(start, end):
        if tokens[index].startswith("последн"):
            if index + 1 < end:
                known = number_word(tokens[index + 1])
                if known is not None and known[1] == "unit":
                    return known[0]
            return 1 if tokens[index] in {"последняя", "последнюю"} else None
    return None


@lru_cache(maxsize=65536)
def _is_noun(word: str) -> bool:
    return _parses(word)[0].tag.POS == "NOUN"


def _retracts(tokens: Sequence[str], gap_start: int, start: int, end: int, negated: bool) -> bool:
    """True when the short number at start..end corrects the number that ended at gap_start.

    A retraction word («ой», «нет», «точнее», «последние ...») comes just before it, and
    the short number does not count something («... нет уже двадцать минут жду»).
    """
    gap = tokens[gap_start:start]
    if len(gap) > 8:
        return False
    cues = _CORRECTION_CUES | {"а"} if negated else _CORRECTION_CUES
    if not any(
        word in cues or word.startswith("последн")
        for word in tokens[max(gap_start, start - 5) : start]
    ):
        return False
    return end >= len(tokens) or not _is_noun(tokens[end])


def _corrections(groups: Sequence[Group], tail: Sequence[Group], count: int | None) -> list[str]:
    """Candidate digit strings when a short number replaces the end of a longer one.

    Either the last digits are replaced one for one («... двенадцать ой нет двадцать один»),
    or the last spoken groups are dropped and the new ones put in their place.
    """
    digits = "".join(group.digits for group in groups)
    new = "".join(group.digits for group in tail)
    options = []
    replace = count if count is not None else len(new)
    if len(new) == replace and replace < len(digits):
        options.append(digits[: len(digits) - replace] + new)
    for drop in range(1, min(3, len(groups)) + 1):
        options.append("".join(group.digits for group in groups[:-drop]) + new)
    return options


@dataclass
class _OpenNumber:
    """A phone-like run the next short number may still correct."""

    groups: list[Group]
    plus: bool
    end: int
    negated: bool = False  # «... ой не шестьдесят семь» was said: «а шестьдесят восемь» follows


def _extract_phone(tokens: Sequence[str]) -> _PhoneCandidate | None:
    runs = number_runs(tokens, breaks=_count_word_breaks(tokens))
    candidates: list[_PhoneCandidate] = []
    open_number: _OpenNumber | None = None
    for run in runs:
        start, end = run[0].start, run[-1].end
        digit_count = sum(len(group.digits) for group in run)

        if (
            open_number is not None
            and digit_count <= 4
            and _retracts(tokens, open_number.end, start, end, open_number.negated)
        ):
            old = "".join(group.digits for group in open_number.groups)
            count = _replaced_count(tokens, open_number.end, start)
            for option in _corrections(open_number.groups, run, count):
                if option == old:
                    open_number.negated = True  # the caller named the wrong part first
                    open_number.end = end
                    break
                e164 = _best_span([Group(option, start, end)], open_number.plus, True)
                if e164 is not None:
                    first = open_number.groups[0].start
                    candidates.append(_PhoneCandidate(e164, start, True, False, True,
                                                      span=(first, end)))
                    open_number = _OpenNumber([Group(option, start, end)], open_number.plus, end)
                    break
            continue

        before = _window(tokens, start)
        plus = start > 0 and tokens[start - 1] == "плюс"
        cue = any(word in _PHONE_CUES for word in before)
        if start > 0 and tokens[start - 1] in _NOT_PHONE_CUES:
            cue = False
        written = all(tokens[group.start].isdigit() for group in run)
        e164 = _best_span(run, plus, cue, written=written)
        if e164 is not None:
            preferred = any(word in _PREFERENCE_CUES for word in before)
            corrected = bool(candidates) and any(
                word in _CORRECTION_CUES for word in tokens[candidates[-1].start : start]
            )
            fallback = any(word in _FALLBACK_CUES for word in before)
            candidates.append(_PhoneCandidate(e164, start, cue, preferred, corrected, fallback,
                                              span=(start, end)))
        open_number = _OpenNumber(list(run), plus, end) if digit_count >= 7 else None

    # The last number wins (restarts, repeats), unless an earlier one was announced as the
    # number to call and the later one was not, the later one is offered as a fallback, or
    # the caller said which one is better.
    winner: _PhoneCandidate | None = None
    for candidate in candidates:
        if (
            winner is None
            or candidate.corrected
            or candidate.preferred
            or (
                not winner.preferred
                and not candidate.fallback
                and (candidate.cue or not winner.cue)
            )
        ):
            winner = candidate
    return winner


# --- the child's class ------------------------------------------------------------------

_LETTERS = {
    "а": "А",
    "б": "Б",
    "бэ": "Б",
    "в": "В",
    "вэ": "В",
    "г": "Г",
    "гэ": "Г",
    "д": "Д",
    "дэ": "Д",
    "е": "Е",
    "ж": "Ж",
    "жэ": "Ж",
    "з": "З",
    "зэ": "З",
    "и": "И",
    "к": "К",
    "ка": "К",
    "л": "Л",
    "эл": "Л",
    "эль": "Л",
    "м": "М",
    "эм": "М",
    "н": "Н",
    "эн": "Н",
}
# A letter's name as the recognizer mishears it right after an ordinal («пятом бы»).
_MISHEARD_LETTERS = {"бы": "Б", "вы": "В"}
# Letters that are more often a conjunction or preposition: need «класс» after them.
_WEAK_LETTERS = frozenset({"и", "к"})
# After «класс» these are read as a conjunction or preposition («в пятом классе а ...»).
_AMBIGUOUS_AFTER_CLASS = frozenset({"а", "в", "и", "к", "е"})
_CLASS_CONTEXT = frozenset(
    {
        "сын",
        "сына",
        "дочь",
        "дочка",
        "дочки",
        "дочери",
        "ребенок",
        "ребенка",
        "ребенку",
        "у",
        "внук",
        "внучка",
        "ученик",
        "ученика",
        "ученица",
        "ученицы",
        "учится",
        "учатся",
        "учимся",
        "мама",
        "папа",
        "отец",
        "мать",
        "руководитель",
        "классный",
        "класс",
        "из",
        "нас",
    }
)
_GRADER_RE = re.compile(
    r"^(перво|второ|третье|четверо|пяти|шести|семи|восьми|девяти|десяти|одиннадцати)"
    r"(?:класс?ни|клаш)"
)
_GRADER_VALUES = {
    "перво": 1,
    "второ": 2,
    "третье": 3,
    "четверо": 4,
    "пяти": 5,
    "шести": 6,
    "семи": 7,
    "восьми": 8,
    "девяти": 9,
    "десяти": 10,
    "одиннадцати": 11,
}


def _is_class_word(token: str) -> bool:
    return token.startswith("класс") and not token.startswith("классн")


def _head_after(tokens: Sequence[str], i: int) -> str | None:
    """The word after an ordinal, past a list of ordinals («пятом и шестом часу»)."""
    j = i + 1
    while j + 1 < len(tokens) and tokens[j] in {"и", "или"} and ordinal(tokens[j + 1]):
        j += 2
    return tokens[j] if j < len(tokens) else None


def _class_candidate(tokens: Sequence[str], i: int) -> tuple[int, str] | None:
    """Score and label of a class named at token i, or None."""
    token = tokens[i]
    ordinal_word = not token.isdigit()
    digit_ordinal = _DIGIT_ORDINAL_RE.match(token)
    if token.isdigit():
        value, loct = int(token), False
    elif digit_ordinal:
        case = _DIGIT_ORDINAL_CASES.get(digit_ordinal.group(2))
        if case is None:
            return None  # «7-я школа», «3-е число»: feminine, neuter or plural
        value, loct = int(digit_ordinal.group(1)), case == "loct"
    else:
        spelled = ordinal(token)
        if spelled is None or not (spelled.allows("masc") or spelled.allows("neut")):
            return None
        value = spelled.value
        loct = spelled.allows("masc", "loct") or spelled.allows("neut", "loct")
    if not 1 <= value <= 11:
        return None

    nxt = tokens[i + 1] if i + 1 < len(tokens) else None
    after = tokens[i + 2] if i + 2 < len(tokens) else None
    score, letter = 0, ""
    if ordinal_word and nxt in _MISHEARD_LETTERS:
        # «в пятом, бы» is the recognizer's «в пятом бэ»; «вы» needs «класс» after it.
        if nxt == "бы" or (after is not None and _is_class_word(after)):
            letter, score = _MISHEARD_LETTERS[nxt], 3
    elif nxt in _LETTERS:
        if after is not None and _is_class_word(after):
            letter, score = _LETTERS[nxt], 5
        elif nxt in _WEAK_LETTERS:
            pass
        elif nxt == "в" and after is not None and _is_locative_phrase_word(after):
            pass  # «в пятом в школе»: the preposition
        else:
            letter = _LETTERS[nxt]
            score = 2 if nxt == "а" else 3
    elif nxt is not None and _is_class_word(nxt):
        score = 3
        if after in _LETTERS and after not in _AMBIGUOUS_AFTER_CLASS:
            letter = _LETTERS[after]  # «седьмой класс бэ»
    if token.isdigit() and not score:
        return None

    previous = tokens[i - 1] if i > 0 else ""
    if previous in {"в", "во"} and loct:
        head = _head_after(tokens, i) if not letter else None
        if head is not None and not _is_class_word(head) and _is_locative_phrase_word(head):
            return None  # «в пятом часу», «во втором полугодии», «в пятом и шестом часу»
        score += 3
    if any(word in _CLASS_CONTEXT for word in tokens[max(0, i - 3) : i]):
        score += 1
    if score < 3:
        return None
    return score, f"{value}{letter}"


def _extract_class(tokens: Sequence[str]) -> str | None:
    best: tuple[int, str] | None = None
    for i, token in enumerate(tokens):
        grader = _GRADER_RE.match(token)
        found = (3, str(_GRADER_VALUES[grader.group(1)])) if grader else None
        found = found or _class_candidate(tokens, i)
        if found is not None and (best is None or found[0] > best[0]):
            best = found
    return best[1] if best else None


# --- topic ------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _keyword_forms(keyword: str) -> tuple[frozenset[str], ...]:
    """A keyword phrase as the forms each of its words matches: its lemma and itself.

    «учётная запись» gives ({"учетный", "учетная"}, {"запись"}). Words of one or two
    letters («е с и а», «в») stand for themselves only.
    """
    forms = []
    for word in tokenise(keyword):
        forms.append(frozenset({word} if len(word) <= 2 else {word, _top_parse(word)[0]}))
    return tuple(forms)


@dataclass(frozen=True)
class _Match:
    topic: str
    start: int
    end: int

    @property
    def weight(self) -> int:
        return self.end - self.start


# «отчёт по успеваемости», «обучение по журналу»: the noun before the preposition is what
# the caller wants; the keyword after it only says what about.
_GOVERNING_PREPOSITIONS = frozenset({"по", "об", "о", "про"})


# first word form: [(keyword, its forms, topic)], longest keyword first
_TopicIndex = dict[str, list[tuple[str, tuple[frozenset[str], ...], str]]]


@lru_cache(maxsize=32)
def _topic_index(topics: tuple[tuple[str, tuple[str, ...]], ...]) -> _TopicIndex:
    """Keyword phrases by the forms of their first word."""
    index: _TopicIndex = {}
    for code, keywords in topics:
        for keyword in keywords:
            phrase = _keyword_forms(keyword)
            if not phrase:
                continue
            for form in phrase[0]:
                entries = index.setdefault(form, [])
                if all(entry[1] != phrase or entry[2] != code for entry in entries):
                    entries.append((keyword, phrase, code))
    return index


def _topic_matches(tokens: Sequence[str], topics: Mapping[str, Iterable[str]]) -> list[_Match]:
    """Keyword matches per topic, longest phrase first, non-overlapping within a topic."""
    index = _topic_index(tuple((code, tuple(keywords)) for code, keywords in topics.items()))
    lemmas = [_lemmas(token) for token in tokens]
    matches: list[_Match] = []
    covered: dict[str, int] = {}  # topic: the token index its last match ends at
    for i, forms in enumerate(lemmas):
        entries = sorted(
            {entry for form in forms for entry in index.get(form, ())},
            key=lambda entry: (-len(entry[1]), entry[2], entry[0]),
        )
        for _keyword, phrase, code in entries:
            size = len(phrase)
            if covered.get(code, 0) > i or i + size > len(tokens):
                continue
            if all(phrase[k] & lemmas[i + k] for k in range(1, size)):
                matches.append(_Match(code, i, i + size))
                covered[code] = i + size
    return matches


def _topic_scores(tokens: Sequence[str], topics: Mapping[str, Iterable[str]]) -> dict[str, float]:
    """Each topic's score: matched keyword words, a governed keyword counting for its head."""
    matches = _topic_matches(tokens, topics)
    scores: dict[str, float] = {}
    for match in matches:
        owner = match.topic
        for head in matches:
            if (
                head.topic != match.topic
                and head.end < match.start <= head.end + 3
                and tokens[head.end] in _GOVERNING_PREPOSITIONS
            ):
                owner = head.topic
                break
        scores[owner] = scores.get(owner, 0.0) + match.weight
    if matches:
        # The first thing a caller names is usually what the call is about.
        first = min(matches, key=lambda match: match.start).topic
        scores[first] = scores.get(first, 0.0) + 0.5
    return scores


def _extract_topic(
    tokens: Sequence[str], topics: Mapping[str, Iterable[str]], default: str | None
) -> str | None:
    scores = _topic_scores(tokens, topics)
    if not scores:
        return default
    return max(scores, key=lambda code: scores[code])


# --- abusive language -------------------------------------------------------------------

_OBSCENE_RES = tuple(
    re.compile(pattern)
    for pattern in (
        r"^(?:на|по|ни|от|за|о|до|с)?ху[йяеию]",
        r"пизд",
        r"^(?:за|вы|на|от|отъ|у|по|раз|разъ|рас|до|при|объ|съ|под|подъ|про|пере|недо)?еб"
        r"(?:а|у|и|л|н|ок|ет|ыв|уч|ищ|ись)",
        r"^бля(?:$|[дт])",
        r"^сук(?:а|и|е|у|ой|ам|ами)$",
        r"^суч(?:ка|ки|ке|ку|кой|ар)",
        r"^муд(?:ак|ач|ил|оз|ень)",
        r"^(?:на|по|за|от)?хер(?:$|н|ов|ня)",
        r"^говн",
        r"^дерьм",
        r"^жоп",
        r"^залуп",
        r"^шлюх",
        r"^г[ао]ндон",
        r"^пид[оа]р",
    )
)
_INSULT_LEMMAS = frozenset(
    {
        "идиот",
        "идиотка",
        "дурак",
        "дура",
        "дебил",
        "дебилка",
        "кретин",
        "кретинка",
        "придурок",
        "урод",
        "уродка",
        "сволочь",
        "скотина",
        "тварь",
        "мразь",
        "ублюдок",
        "гнида",
        "падла",
        "паскуда",
        "дегенерат",
        "недоумок",
        "бестолочь",
        "болван",
        "тупица",
        "чмо",
        "имбецил",
        "козел",
        "быдло",
        "хамло",
        "мерзавец",
        "негодяй",
        "подонок",
        "выродок",
        "бездарь",
        "дармоед",
    }
)
_NAME_GRAMMEMES = frozenset({"Name", "Surn", "Patr"})


def _is_abusive(tokens: Sequence[str]) -> bool:
    for token in tokens:
        if "*" in token and token.strip("*"):
            return True  # the recognizer's masked obscenity: «б***», «х***ня»
        if any(pattern.search(token) for pattern in _OBSCENE_RES):
            return True
        lemma, grammemes = _top_parse(token)
        if lemma in _INSULT_LEMMAS and not grammemes & _NAME_GRAMMEMES:
            return True
    return False


# --- entry point ------------------------------------------------------------------------


# Under this word confidence a number is not suggested at all: the operator would call a
# stranger. Set on the synthetic voicemails' whisper-base transcripts (see README).
PHONE_MIN_CONFIDENCE = 0.2


def _token_confidences(words: Sequence[Mapping], tokens: Sequence[str]) -> list[float] | None:
    """Each token's word confidence, when the words spell the same tokens as the text."""
    spelled: list[str] = []
    confidences: list[float] = []
    for word in words:
        pieces = tokenise(str(word.get("word", "")))
        spelled.extend(pieces)
        confidences.extend([float(word.get("conf", 1.0))] * len(pieces))
    return confidences if spelled == list(tokens) else None


def extract(
    text: str,
    topics: Mapping[str, Iterable[str]],
    *,
    words: Sequence[Mapping] | None = None,
    threshold: float = 0.6,
    phone_threshold: float | None = None,
    default_topic: str | None = None,
) -> Facts:
    """Phone number, class, topic and abuse flag from one transcript.

    ``topics`` maps topic codes to keywords (lemmas or short phrases); the best-scoring
    topic wins, ``default_topic`` when no keyword matches. ``words`` are Vosk-style word
    results (``{"word", "conf", "start", "end"}``); those with ``conf`` under ``threshold``
    are listed in ``low_confidence``. When ``text`` is empty the words make up the text.
    """
    if not text.strip() and words:
        text = " ".join(str(word.get("word", "")) for word in words)
    tokens = tokenise(text)
    low: tuple[str, ...] = ()
    if words:
        low = tuple(
            str(word.get("word", "")) for word in words if float(word.get("conf", 1.0)) < threshold
        )
    candidate = _extract_phone(tokens)
    phone = candidate.e164 if candidate else None
    if phone and words and candidate is not None:
        confidences = _token_confidences(words, tokens)
        floor = PHONE_MIN_CONFIDENCE if phone_threshold is None else phone_threshold
        if confidences is not None:
            first, last = candidate.span
            # The words that carry digits: a mumbled «э» or «и» between them is no doubt.
            spoken = [conf for token, conf in zip(tokens[first:last], confidences[first:last],
                                                  strict=True)
                      if token not in SKIPPED_IN_NUMBERS]
            if spoken and min(spoken) < floor:
                phone = None  # unsure: no number rather than a wrong one
    return Facts(
        phone=phone,
        klass=_extract_class(tokens),
        topic=_extract_topic(tokens, topics, default_topic),
        abusive=_is_abusive(tokens),
        low_confidence=low,
    )


def match_keywords(text: str, options: Mapping[str, Iterable[str]]) -> str | None:
    """The option whose keywords (matched on lemmas) best fit a short phrase, or None.

    Serves speech input in the IVR menus with the same keywords and matching as topics.
    """
    return _extract_topic(tokenise(text), options, None)
