"""Russian phrasing: number agreement, dates and times as spoken, phone numbers."""

# The expected phrases are Russian: their one- and two-letter words are Cyrillic on purpose.

from datetime import date, datetime, time, timedelta

import pytest

from core import russian


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (0, "0 рабочих дней"),
        (1, "1 рабочий день"),
        (2, "2 рабочих дня"),
        (3, "3 рабочих дня"),
        (4, "4 рабочих дня"),
        (5, "5 рабочих дней"),
        (10, "10 рабочих дней"),
        (11, "11 рабочих дней"),
        (12, "12 рабочих дней"),
        (14, "14 рабочих дней"),
        (15, "15 рабочих дней"),
        (21, "21 рабочий день"),
        (22, "22 рабочих дня"),
        (25, "25 рабочих дней"),
        (101, "101 рабочий день"),
        (111, "111 рабочих дней"),
        (112, "112 рабочих дней"),
        (122, "122 рабочих дня"),
    ],
)
def test_plural_agrees_with_the_number(n, expected):
    assert russian.plural(n, "рабочий день", "рабочих дня", "рабочих дней") == expected


@pytest.mark.parametrize(
    ("weekday", "nom", "gen", "acc", "dat_pl"),
    [
        (0, "понедельник", "понедельника", "понедельник", "понедельникам"),
        (1, "вторник", "вторника", "вторник", "вторникам"),
        (2, "среда", "среды", "среду", "средам"),
        (3, "четверг", "четверга", "четверг", "четвергам"),
        (4, "пятница", "пятницы", "пятницу", "пятницам"),
        (5, "суббота", "субботы", "субботу", "субботам"),
        (6, "воскресенье", "воскресенья", "воскресенье", "воскресеньям"),
    ],
)
def test_weekday_name_in_every_case(weekday, nom, gen, acc, dat_pl):
    day = date(2026, 11, 30) + timedelta(days=weekday)  # 30 Nov 2026 is a Monday
    assert russian.weekday_name(day) == nom
    assert russian.weekday_name(day, "acc") == acc
    assert russian.weekday_name(weekday, "gen") == gen
    assert russian.weekday_name(weekday, "dat_pl") == dat_pl


@pytest.mark.parametrize(("value", "case"), [(date(2026, 11, 30), "dative"), (7, "nom")])
def test_weekday_name_rejects_unknown_case_or_index(value, case):
    with pytest.raises(ValueError):
        russian.weekday_name(value, case)


TODAY = date(2026, 11, 27)  # a Friday


@pytest.mark.parametrize(
    ("day", "today", "expected"),
    [
        (date(2026, 11, 27), TODAY, "сегодня"),
        (date(2026, 11, 28), TODAY, "завтра"),
        (date(2026, 11, 30), TODAY, "в понедельник, 30 ноября"),
        (date(2026, 12, 1), TODAY, "во вторник, 1 декабря"),
        (date(2026, 12, 2), TODAY, "в среду, 2 декабря"),
        (date(2026, 11, 26), TODAY, "в четверг, 26 ноября"),
        (date(2026, 11, 27), None, "в пятницу, 27 ноября"),
        (date(2026, 11, 28), None, "в субботу, 28 ноября"),
        (date(2026, 11, 29), TODAY, "в воскресенье, 29 ноября"),
    ],
)
def test_say_date(day, today, expected):
    assert russian.say_date(day, today) == expected


@pytest.mark.parametrize(
    ("month", "genitive"),
    [
        (1, "января"),
        (2, "февраля"),
        (3, "марта"),
        (4, "апреля"),
        (5, "мая"),
        (6, "июня"),
        (7, "июля"),
        (8, "августа"),
        (9, "сентября"),
        (10, "октября"),
        (11, "ноября"),
        (12, "декабря"),
    ],
)
def test_say_date_uses_genitive_month_names(month, genitive):
    assert russian.say_date(date(2027, month, 15)).endswith(f", 15 {genitive}")


@pytest.mark.parametrize(
    ("clock", "expected"),
    [
        (time(0), "0 часов"),
        (time(1), "1 час"),
        (time(2), "2 часа"),
        (time(4), "4 часа"),
        (time(5), "5 часов"),
        (time(9), "9 часов"),
        (time(11), "11 часов"),
        (time(13, 30), "13 часов 30 минут"),
        (time(20), "20 часов"),
        (time(21), "21 час"),
        (time(22), "22 часа"),
        (time(23, 59), "23 часа 59 минут"),
        (time(9, 1), "9 часов 1 минута"),
        (time(9, 2), "9 часов 2 минуты"),
        (time(9, 5), "9 часов 5 минут"),
        (time(9, 11), "9 часов 11 минут"),
        (time(9, 21), "9 часов 21 минута"),
        (time(9, 45, 30), "9 часов 45 минут"),
    ],
)
def test_say_time_nominative(clock, expected):
    assert russian.say_time(clock) == expected


@pytest.mark.parametrize(
    ("clock", "expected"),
    [
        (time(1), "1 часа"),
        (time(2), "2 часов"),
        (time(9), "9 часов"),
        (time(11), "11 часов"),
        (time(21), "21 часа"),
        (time(22), "22 часов"),
        (time(14, 30), "14 часов 30 минут"),
        (time(14, 1), "14 часов 1 минуты"),
        (time(14, 21), "14 часов 21 минуты"),
        (time(14, 22), "14 часов 22 минут"),
    ],
)
def test_say_time_genitive_after_posle(clock, expected):
    assert russian.say_time(clock, "gen") == expected


def test_say_time_rejects_unknown_case():
    with pytest.raises(ValueError):
        russian.say_time(time(9), "acc")


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 11, 27, 14, 30), "сегодня после 14 часов 30 минут"),
        (datetime(2026, 11, 28, 9), "завтра после 9 часов"),
        (datetime(2026, 11, 30, 9), "в понедельник, 30 ноября, после 9 часов"),
        (datetime(2026, 12, 1, 21), "во вторник, 1 декабря, после 21 часа"),
    ],
)
def test_say_when(moment, expected):
    assert russian.say_when(moment, TODAY) == expected


@pytest.mark.parametrize(
    ("digits", "expected"),
    [
        ("9162431708", "916, 243, 17, 08"),
        ("2431708", "243, 17, 08"),
        ("1234", "12, 34"),
        ("12345", "123, 45"),
        ("123456", "123, 456"),
        ("123", "123"),
        ("42", "42"),
        ("7", "7"),
    ],
)
def test_say_digits_grouped_by_default(digits, expected):
    assert russian.say_digits_grouped(digits) == expected


def test_say_digits_grouped_with_groups_and_separator():
    assert russian.say_digits_grouped("123456", [2, 2, 2]) == "12, 34, 56"
    assert russian.say_digits_grouped("1234", sep=" ") == "12 34"


@pytest.mark.parametrize(
    ("digits", "groups"),
    [("12a4", None), ("", None), ("1234", [2, 3]), ("1234", [4, 0]), ("١٢٣", None)],
)
def test_say_digits_grouped_rejects_bad_input(digits, groups):
    with pytest.raises(ValueError):
        russian.say_digits_grouped(digits, groups)


@pytest.mark.parametrize(
    ("e164", "spoken", "shown"),
    [
        ("+79162431708", "плюс 7, 916, 243, 17, 08", "+7 916 243-17-08"),
        ("+78043338485", "8, 804, 333, 84, 85", "8 804 333-84-85"),  # free phone keeps 8
        ("+78001234567", "8, 800, 123, 45, 67", "8 800 123-45-67"),
        ("+78124907033", "плюс 7, 812, 490, 70, 33", "+7 812 490-70-33"),
    ],
)
def test_phone_numbers_spoken_and_shown(e164, spoken, shown):
    assert russian.say_phone(e164) == spoken
    assert russian.format_phone(e164) == shown


@pytest.mark.parametrize("bad", ["anonymous", "89162431708", ""])
def test_phone_helpers_reject_non_e164(bad):
    with pytest.raises(ValueError):
        russian.say_phone(bad)
    with pytest.raises(ValueError):
        russian.format_phone(bad)


@pytest.mark.parametrize(
    ("weekdays", "expected"),
    [
        (range(7), "ежедневно"),
        (range(5), "по будням"),
        ([0, 1, 2, 3], "с понедельника по четверг"),
        ([1, 2, 3], "со вторника по четверг"),
        ([2, 3, 4, 5], "со среды по субботу"),
        ([3, 4, 5, 6], "с четверга по воскресенье"),
        ([0, 2], "по понедельникам и средам"),
        ([0, 2, 4], "по понедельникам, средам и пятницам"),
        ([5, 6], "по субботам и воскресеньям"),
        ([4], "по пятницам"),
    ],
)
def test_weekdays_phrase(weekdays, expected):
    assert russian.weekdays_phrase(weekdays) == expected


@pytest.mark.parametrize(
    ("zone", "offset", "expected"),
    [
        ("Europe/Moscow", 3, "по московскому времени"),
        ("Asia/Omsk", 6, "по омскому времени"),
        ("Europe/Kaliningrad", 2, "по калининградскому времени"),
        ("Asia/Kamchatka", 12, "по камчатскому времени"),
        ("Asia/Tbilisi", 4, "по времени UTC+4"),
        ("Asia/Kolkata", 5.5, "по времени UTC+5:30"),
        ("America/Sao_Paulo", -3, "по времени UTC-3"),
        ("Etc/UTC", 0, "по времени UTC"),
    ],
)
def test_timezone_phrase(zone, offset, expected):
    assert russian.timezone_phrase(zone, timedelta(hours=offset)) == expected
