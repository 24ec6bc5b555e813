"""Russian phrasing helpers: number agreement, dates, times and phone numbers as spoken.

Pure functions: no Flask, no database. The words live here so that every surface (IVR
prompts, operator pages) says dates, times and numbers the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta

import phonenumbers

__all__ = [
    "NO_HOURS",
    "format_phone",
    "hours_phrase",
    "plural",
    "say_date",
    "say_digits_grouped",
    "say_phone",
    "say_time",
    "say_when",
    "timezone_phrase",
    "weekday_name",
    "weekdays_phrase",
]

# Indexed by date.weekday(): 0 = Monday.
_WEEKDAYS: dict[str, tuple[str, ...]] = {
    "nom": ("понедельник", "вторник", "среда", "четверг", "пятница", "суббота", "воскресенье"),
    "gen": ("понедельника", "вторника", "среды", "четверга", "пятницы", "субботы", "воскресенья"),
    "acc": ("понедельник", "вторник", "среду", "четверг", "пятницу", "субботу", "воскресенье"),
    "dat_pl": (
        "понедельникам",
        "вторникам",
        "средам",
        "четвергам",
        "пятницам",
        "субботам",
        "воскресеньям",
    ),
}

_MONTHS_GEN = (
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
)

# «по московскому времени»: the zones Russian regions use, by IANA name.
_ZONE_ADJECTIVES = {
    "Europe/Kaliningrad": "калининградскому",
    "Europe/Moscow": "московскому",
    "Europe/Samara": "самарскому",
    "Asia/Yekaterinburg": "екатеринбургскому",
    "Asia/Omsk": "омскому",
    "Asia/Novosibirsk": "новосибирскому",
    "Asia/Krasnoyarsk": "красноярскому",
    "Asia/Irkutsk": "иркутскому",
    "Asia/Yakutsk": "якутскому",
    "Asia/Vladivostok": "владивостокскому",
    "Asia/Magadan": "магаданскому",
    "Asia/Kamchatka": "камчатскому",
}

NO_HOURS = "в настоящее время часы приёма не назначены"


def _form(n: int, one: str, few: str, many: str) -> str:
    """Pick the word form that agrees with the number n."""
    n = abs(n)
    if n % 100 in range(11, 15):
        return many
    if n % 10 == 1:
        return one
    if n % 10 in (2, 3, 4):
        return few
    return many


def plural(n: int, one: str, few: str, many: str) -> str:
    """Return n with the agreeing noun form: «1 рабочий день», «2 рабочих дня», «5 рабочих дней»."""
    return f"{n} {_form(n, one, few, many)}"


def weekday_name(d: date | int, case: str = "nom") -> str:
    """Name the weekday of d (a date or 0 = Monday … 6 = Sunday) in the given case.

    Cases: "nom" (понедельник), "gen" (понедельника, the start of a range), "acc" (среду:
    «в среду»), "dat_pl" (средам: «по средам»).
    """
    try:
        forms = _WEEKDAYS[case]
    except KeyError:
        raise ValueError(f"unknown case {case!r}; use one of {sorted(_WEEKDAYS)}") from None
    index = d if isinstance(d, int) else d.weekday()
    if not 0 <= index <= 6:
        raise ValueError(f"weekday must be 0..6, got {index}")
    return forms[index]


def _on_weekday(index: int) -> str:
    """«в понедельник», «во вторник», «в среду»: the preposition follows pronunciation."""
    preposition = "во" if index == 1 else "в"
    return f"{preposition} {weekday_name(index, 'acc')}"


def _from_weekday(index: int) -> str:
    """Start a range of days (from Monday); the preposition gains a vowel before two weekdays."""
    preposition = "со" if index in (1, 2) else "с"
    return f"{preposition} {weekday_name(index, 'gen')}"


def say_date(d: date, today: date | None = None) -> str:
    """Say a date: «сегодня», «завтра», else «в понедельник, 30 ноября»."""
    if today is not None:
        if d == today:
            return "сегодня"
        if d == today + timedelta(days=1):
            return "завтра"
    return f"{_on_weekday(d.weekday())}, {d.day} {_MONTHS_GEN[d.month - 1]}"


def say_time(t: time, case: str = "nom") -> str:
    """Say a clock time: «9 часов», «1 час», «13 часов 30 минут»; case "gen" after «после».

    Genitive: «после 1 часа», «после 21 часа», «после 9 часов», «после 14 часов 1 минуты».
    Minutes are left out on the hour; seconds are ignored.
    """
    if case == "nom":
        hours = plural(t.hour, "час", "часа", "часов")
        minutes = plural(t.minute, "минута", "минуты", "минут")
    elif case == "gen":
        hours = plural(t.hour, "часа", "часов", "часов")
        minutes = plural(t.minute, "минуты", "минут", "минут")
    else:
        raise ValueError(f"unknown case {case!r}; use 'nom' or 'gen'")
    return hours if t.minute == 0 else f"{hours} {minutes}"


def say_when(dt_local: datetime, today: date | None = None) -> str:
    """Say when something happens: «сегодня после 14 часов 30 минут».

    Else «в понедельник, 30 ноября, после 9 часов». dt_local must already be in the listener's
    zone; only its date and clock time are read.
    """
    day = say_date(dt_local.date(), today)
    after = f"после {say_time(dt_local.time(), 'gen')}"
    if day in ("сегодня", "завтра"):
        return f"{day} {after}"
    return f"{day}, {after}"


def _default_groups(n: int) -> list[int]:
    """Group lengths for n digits, as Russians say numbers: 916 243 17 08, 12 34, 243 17 08."""
    if n <= 3:
        return [n] if n else []
    if n == 4:
        return [2, 2]
    if n == 5:
        return [3, 2]
    return [3, *_default_groups(n - 3)]


def say_digits_grouped(digits: str, groups: Sequence[int] | None = None, *, sep: str = ", ") -> str:
    """Split digits into groups a TTS voice reads as numbers: "9162431708" -> "916, 243, 17, 08".

    Without groups: up to 3 digits stay whole ("123"), 4 become 2+2 ("12, 34"), longer ones
    start with triples and end in pairs. With groups, their lengths must add up to len(digits).
    The separator (", " by default) makes the voice pause between groups.
    """
    if not digits.isdigit() or not digits.isascii():
        raise ValueError(f"expected ASCII digits, got {digits!r}")
    lengths = list(groups) if groups is not None else _default_groups(len(digits))
    if sum(lengths) != len(digits) or any(length <= 0 for length in lengths):
        raise ValueError(f"groups {lengths} do not split {len(digits)} digits")
    parts, position = [], 0
    for length in lengths:
        parts.append(digits[position : position + length])
        position += length
    return sep.join(parts)


def _parse(e164: str) -> phonenumbers.PhoneNumber:
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException as error:
        raise ValueError(f"not an E.164 phone number: {e164!r}") from error
    return number


def say_phone(e164: str) -> str:
    """Say a phone number for TTS: "+79162431708" -> «плюс 7, 916, 243, 17, 08».

    A free-phone number is said as it is written: «8, 800, ...»."""
    number = _parse(e164)
    national = phonenumbers.national_significant_number(number)
    if _free_phone(number, national):
        return f"8, {say_digits_grouped(national)}"
    return f"плюс {number.country_code}, {say_digits_grouped(national)}"


def _free_phone(number: phonenumbers.PhoneNumber, national: str) -> bool:
    """Russia's 8 800 (8 80x) numbers are written and said with 8, never with +7."""
    return number.country_code == 7 and national.startswith("80") and len(national) == 10


def format_phone(e164: str) -> str:
    """Format a phone number for display: "+79162431708" -> "+7 916 243-17-08".

    Free-phone numbers keep their 8: "+78001234567" -> "8 800 123-45-67"."""
    number = _parse(e164)
    shown = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    if _free_phone(number, phonenumbers.national_significant_number(number)):
        return "8 " + shown.removeprefix("+7 ")
    return shown


def weekdays_phrase(weekdays: Iterable[int]) -> str:
    """Say a set of weekdays with recurring hours: «ежедневно», «по будням», «по средам».

    A run of three or more days is said as a range (from Monday to Thursday); other sets are
    listed: «по субботам и воскресеньям», «по понедельникам, средам и пятницам».
    """
    days = sorted(set(weekdays))
    if not days or not all(0 <= day <= 6 for day in days):
        raise ValueError(f"expected weekdays 0..6, got {days}")
    if len(days) == 7:
        return "ежедневно"
    if days == [0, 1, 2, 3, 4]:
        return "по будням"
    if len(days) >= 3 and days == list(range(days[0], days[-1] + 1)):
        return f"{_from_weekday(days[0])} по {weekday_name(days[-1], 'acc')}"
    names = [weekday_name(day, "dat_pl") for day in days]
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} и {names[-1]}"
    return f"по {listed}"


def _clock(t: time) -> str:
    return f"{t.hour}:{t.minute:02d}"


def hours_phrase(intervals: Iterable[tuple[time, time]]) -> str:
    """Say clock intervals in Russian: from 9:00 to 12:00 and from 13:00 to 18:00."""
    parts = [f"с {_clock(start)} до {_clock(end)}" for start, end in intervals]
    if not parts:
        raise ValueError("no intervals to say")
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} и {parts[-1]}"


def timezone_phrase(timezone: str, utc_offset: timedelta) -> str:
    """Name a time zone: «по московскому времени», else «по времени UTC+7»."""
    if adjective := _ZONE_ADJECTIVES.get(timezone):
        return f"по {adjective} времени"
    if not utc_offset:
        return "по времени UTC"
    sign = "+" if utc_offset > timedelta(0) else "-"
    minutes = abs(int(utc_offset.total_seconds())) // 60
    hours, minutes = divmod(minutes, 60)
    offset = f"{hours}" if not minutes else f"{hours}:{minutes:02d}"
    return f"по времени UTC{sign}{offset}"
