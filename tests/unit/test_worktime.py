"""Working time against the real Russian production calendar (the installed `holidays`)."""

# The expected phrases are Russian: their one- and two-letter words are Cyrillic on purpose.

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from core import worktime
from core.worktime import (
    ClosedReason,
    DateException,
    ProductionCalendar,
    Schedule,
    Slot,
    Window,
    describe_hours,
    due_instant,
    is_open,
    next_opening,
    windows,
)

MSK = ZoneInfo("Europe/Moscow")
OMSK = ZoneInfo("Asia/Omsk")
CONSULTANT = 7
DEPUTY = 8


def msk(*args: int) -> datetime:
    return datetime(*args, tzinfo=MSK)


def omsk(*args: int) -> datetime:
    return datetime(*args, tzinfo=OMSK)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def weekly(days, start, end, **kwargs) -> tuple[Slot, ...]:
    return tuple(Slot(day, start, end, **kwargs) for day in days)


def school(*slots: Slot, exceptions=(), calendar=None, zone="Europe/Moscow") -> Schedule:
    extra = {} if calendar is None else {"calendar": calendar}
    return Schedule(zone, slots, tuple(exceptions), **extra)


# The deputy head helps on weekdays 13:00-15:00, as in the regulation.
WEEKDAYS_13_15 = school(*weekly(range(5), time(13), time(15), user_id=CONSULTANT))
# Dnevnik.ru: 9:00-21:00 Moscow time, daily, holidays included.
VENDOR = Schedule("Europe/Moscow", weekly(range(7), time(9), time(21)), working_days_only=False)


# --- the production calendar ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "working", "schedule_weekday", "reason"),
    [
        (date(2025, 11, 1), True, 0, None),  # working Saturday for Mon 3 Nov
        (date(2025, 11, 3), False, None, ClosedReason.HOLIDAY),  # its day off
        (date(2025, 11, 4), False, None, ClosedReason.HOLIDAY),  # Unity Day
        (date(2026, 1, 9), False, None, ClosedReason.HOLIDAY),  # moved from Sat 3 Jan
        (date(2026, 12, 31), False, None, ClosedReason.HOLIDAY),  # moved from Sun 4 Jan
        (date(2027, 2, 20), True, 0, None),  # working Saturday for Mon 22 Feb
        (date(2027, 2, 22), False, None, ClosedReason.HOLIDAY),
        (date(2024, 11, 2), True, 1, None),  # working Saturday for Tue 30 Apr 2024
        (date(2026, 5, 9), False, None, ClosedReason.HOLIDAY),  # Victory Day on a Saturday
        (date(2026, 5, 11), False, None, ClosedReason.HOLIDAY),  # ... observed on Monday
        (date(2026, 11, 28), False, None, ClosedReason.WEEKEND),  # a plain Saturday
        (date(2026, 11, 30), True, 0, None),  # a plain Monday
        (date(2026, 11, 27), True, 4, None),  # a plain Friday
    ],
)
def test_production_calendar_days(day, working, schedule_weekday, reason):
    calendar = ProductionCalendar()
    info = calendar.day_info(day)
    assert calendar.is_working_day(day) is working
    assert info.working is working
    assert info.schedule_weekday == schedule_weekday
    assert worktime.schedule_weekday(calendar, day) == schedule_weekday
    assert info.reason == reason


def test_holiday_names_come_from_the_library_in_russian():
    calendar = ProductionCalendar()
    assert calendar.day_info(date(2026, 11, 4)).holiday_name == "День народного единства"
    assert "01.11.2025" in calendar.day_info(date(2025, 11, 3)).holiday_name
    assert calendar.day_info(date(2026, 11, 30)).holiday_name is None


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2026, 12, 30), 2, date(2027, 1, 12)),
        (date(2026, 12, 30), 1, date(2027, 1, 11)),
        (date(2026, 12, 30), 0, date(2026, 12, 30)),
        (date(2025, 10, 31), 1, date(2025, 11, 1)),  # the working Saturday counts
        (date(2025, 10, 31), 2, date(2025, 11, 5)),
        (date(2026, 11, 27), 2, date(2026, 12, 1)),
        (date(2026, 11, 3), 1, date(2026, 11, 5)),
    ],
)
def test_add_working_days(start, n, expected):
    assert ProductionCalendar().add_working_days(start, n) == expected


def test_add_working_days_rejects_negative():
    with pytest.raises(ValueError):
        ProductionCalendar().add_working_days(date(2026, 11, 30), -1)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 12, 30), date(2027, 1, 11)),
        (date(2026, 11, 27), date(2026, 11, 30)),
        (date(2026, 11, 30), date(2026, 12, 1)),  # strictly after
        (date(2025, 10, 31), date(2025, 11, 1)),
    ],
)
def test_next_working_day(day, expected):
    assert ProductionCalendar().next_working_day(day) == expected


@pytest.mark.parametrize(
    ("year", "known"), [(2025, True), (2026, True), (2027, True), (2040, False)]
)
def test_has_data_for(year, known):
    assert ProductionCalendar().has_data_for(year) is known


def test_override_keys_must_be_dates():
    with pytest.raises(TypeError):
        ProductionCalendar({datetime(2026, 11, 30, tzinfo=UTC): False})


def test_calendars_with_equal_overrides_are_equal():
    assert ProductionCalendar({date(2026, 11, 30): False}) == ProductionCalendar(
        {date(2026, 11, 30): False}
    )
    assert ProductionCalendar() != ProductionCalendar({date(2026, 11, 30): False})
    assert WEEKDAYS_13_15 == school(*weekly(range(5), time(13), time(15), user_id=CONSULTANT))


# --- working Saturdays ---------------------------------------------------------------------


def test_working_saturday_follows_mondays_schedule():
    monday_only = school(Slot(0, time(13), time(15), user_id=CONSULTANT))
    answer = is_open(monday_only, msk(2025, 11, 1, 13, 30))
    assert answer.open
    assert answer.user_ids == (CONSULTANT,)
    # An ordinary Saturday a week later stays shut.
    assert is_open(monday_only, msk(2025, 11, 8, 13, 30)).reason is ClosedReason.WEEKEND


def test_working_saturday_ignores_saturday_slots():
    saturday_only = school(Slot(5, time(10), time(12), user_id=CONSULTANT))
    answer = is_open(saturday_only, msk(2025, 11, 1, 11))
    assert not answer.open
    assert answer.reason is ClosedReason.OUTSIDE_HOURS
    assert is_open(saturday_only, msk(2025, 11, 8, 11)).open


@pytest.mark.parametrize(
    ("calendar", "at", "reason"),
    [
        (None, msk(2026, 11, 28, 11), None),  # an ordinary Saturday: its own slots
        (None, msk(2026, 11, 28, 15), ClosedReason.OUTSIDE_HOURS),
        (None, msk(2026, 5, 9, 11), ClosedReason.HOLIDAY),  # Victory Day on a Saturday
        (None, msk(2026, 3, 7, 13, 30), ClosedReason.OUTSIDE_HOURS),  # eve of Sunday 8 Mar
        (None, msk(2026, 3, 7, 12, 30), None),
        ({date(2026, 11, 28): False}, msk(2026, 11, 28, 11), ClosedReason.WEEKEND),
    ],
)
def test_six_day_school_keeps_its_saturday_slots(calendar, at, reason):
    schedule = school(
        *weekly(range(6), time(9), time(14), user_id=CONSULTANT),
        calendar=ProductionCalendar(calendar),
    )
    answer = is_open(schedule, at)
    assert (answer.open, answer.reason) == (reason is None, reason)


def test_working_saturday_for_a_tuesday_uses_tuesdays_slots():
    tuesday_only = school(Slot(1, time(10), time(12), user_id=CONSULTANT))
    # It pays for Tue 30 Apr 2024, the eve of 1 May, so it is also an hour shorter.
    assert is_open(tuesday_only, msk(2024, 11, 2, 10, 30)).until == utc(2024, 11, 2, 8)


# --- time zones ------------------------------------------------------------------------------

OMSK_SCHOOL = school(*weekly(range(5), time(14), time(16), user_id=CONSULTANT), zone="Asia/Omsk")


@pytest.mark.parametrize(
    ("schedule", "at", "expected"),
    [
        (OMSK_SCHOOL, omsk(2026, 11, 30, 15), True),
        (OMSK_SCHOOL, omsk(2026, 11, 30, 17), False),
        (OMSK_SCHOOL, msk(2026, 11, 30, 12), True),  # 15:00 in Omsk
        (OMSK_SCHOOL, msk(2026, 11, 30, 14), False),  # 17:00 in Omsk
        (VENDOR, omsk(2026, 11, 30, 23, 30), True),  # 20:30 Moscow
        (VENDOR, omsk(2026, 12, 1, 1, 30), False),  # 22:30 Moscow
        (VENDOR, omsk(2026, 12, 1, 11, 59), False),  # 8:59 Moscow
        (VENDOR, omsk(2026, 12, 1, 12), True),  # 9:00 Moscow
    ],
)
def test_school_in_omsk_and_vendor_on_moscow_time(schedule, at, expected):
    assert is_open(schedule, at).open is expected


def test_vendor_described_to_an_omsk_listener():
    assert (
        describe_hours(VENDOR, listener_timezone="Asia/Omsk")
        == "ежедневно с 9:00 до 21:00 по московскому времени"
    )


def test_vendor_open_on_holidays_when_not_working_days_only():
    assert is_open(VENDOR, msk(2027, 1, 1, 12)).open
    assert not is_open(
        Schedule("Europe/Moscow", VENDOR.slots), msk(2027, 1, 1, 12)
    ).open  # the same hours on working days only


def test_instants_returned_are_utc():
    answer = is_open(WEEKDAYS_13_15, msk(2026, 11, 30, 14))
    assert answer.until == utc(2026, 11, 30, 12)
    assert answer.until.tzinfo is UTC
    opening = next_opening(WEEKDAYS_13_15, msk(2026, 11, 30, 9))
    assert opening == utc(2026, 11, 30, 10)
    assert opening.tzinfo is UTC
    window = windows(WEEKDAYS_13_15, msk(2026, 11, 30), msk(2026, 12, 1))[0]
    assert (window.start.tzinfo, window.end.tzinfo) == (UTC, UTC)
    due = due_instant(ProductionCalendar(), msk(2026, 11, 30, 9), 2, "Europe/Moscow")
    assert due.tzinfo is UTC


NAIVE = datetime(2026, 11, 30, 14)


@pytest.mark.parametrize(
    "call",
    [
        lambda: is_open(WEEKDAYS_13_15, NAIVE),
        lambda: next_opening(WEEKDAYS_13_15, NAIVE),
        lambda: windows(WEEKDAYS_13_15, NAIVE, msk(2026, 12, 1)),
        lambda: windows(WEEKDAYS_13_15, msk(2026, 11, 30), NAIVE),
        lambda: due_instant(ProductionCalendar(), NAIVE, 2, "Europe/Moscow"),
    ],
)
def test_naive_datetimes_are_rejected(call):
    with pytest.raises(ValueError, match="timezone-aware"):
        call()


# --- next opening and due dates ------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (msk(2026, 11, 27, 20), utc(2026, 11, 30, 10)),  # Friday evening -> Monday 13:00
        (msk(2026, 12, 30, 20), utc(2027, 1, 11, 10)),  # over the New Year holidays
        (msk(2026, 11, 30, 9), utc(2026, 11, 30, 10)),  # later the same day
        (msk(2026, 11, 30, 14, 15), utc(2026, 11, 30, 11, 15)),  # open now: at itself
        (msk(2026, 11, 3, 14, 30), utc(2026, 11, 5, 10)),  # shortened day already over
        (omsk(2026, 11, 30, 17, 30), utc(2026, 11, 30, 11, 30)),  # 14:30 Moscow: open now
        (omsk(2026, 11, 30, 18, 30), utc(2026, 12, 1, 10)),  # 15:30 Moscow: tomorrow
    ],
)
def test_next_opening(at, expected):
    assert next_opening(WEEKDAYS_13_15, at) == expected


def test_next_opening_gives_up_after_the_horizon():
    assert next_opening(school(), msk(2026, 11, 30)) is None
    assert next_opening(WEEKDAYS_13_15, msk(2026, 12, 30, 20), horizon_days=5) is None


@pytest.mark.parametrize(
    ("at", "days", "zone", "expected"),
    [
        (msk(2026, 12, 30, 10), 2, "Europe/Moscow", utc(2027, 1, 12, 20, 59, 59)),
        (omsk(2026, 12, 30, 10), 2, "Asia/Omsk", utc(2027, 1, 12, 17, 59, 59)),
        # 23:00 on Thursday in Moscow is already Friday 02:00 in Omsk.
        (utc(2026, 11, 26, 20), 2, "Europe/Moscow", utc(2026, 11, 30, 20, 59, 59)),
        (utc(2026, 11, 26, 20), 2, "Asia/Omsk", utc(2026, 12, 1, 17, 59, 59)),
        (msk(2026, 11, 30, 10), 0, "Europe/Moscow", utc(2026, 11, 30, 20, 59, 59)),
    ],
)
def test_due_instant(at, days, zone, expected):
    assert due_instant(ProductionCalendar(), at, days, zone) == expected


# --- overrides -------------------------------------------------------------------------------


def test_override_day_off_closes_a_working_day():
    calendar = ProductionCalendar({date(2026, 11, 30): False})
    schedule = school(*WEEKDAYS_13_15.slots, calendar=calendar)
    answer = is_open(schedule, msk(2026, 11, 30, 14))
    assert (answer.open, answer.reason) == (False, ClosedReason.HOLIDAY)
    assert next_opening(schedule, msk(2026, 11, 27, 20)) == utc(2026, 12, 1, 10)
    assert calendar.add_working_days(date(2026, 11, 27), 1) == date(2026, 12, 1)


def test_override_working_day_opens_a_weekend_with_mondays_hours():
    calendar = ProductionCalendar({date(2026, 11, 28): True})
    schedule = school(Slot(0, time(13), time(15), user_id=CONSULTANT), calendar=calendar)
    assert calendar.day_info(date(2026, 11, 28)).schedule_weekday == 0
    assert is_open(schedule, msk(2026, 11, 28, 14)).open
    assert not is_open(WEEKDAYS_13_15, msk(2026, 11, 28, 14)).open


def test_override_working_holiday_uses_its_own_weekday_and_unshortens_the_eve():
    calendar = ProductionCalendar({date(2026, 11, 4): True})  # a Wednesday
    schedule = school(Slot(2, time(13), time(15), user_id=CONSULTANT), calendar=calendar)
    assert is_open(schedule, msk(2026, 11, 4, 14)).open
    assert not calendar.day_info(date(2026, 11, 3)).shortened
    assert ProductionCalendar().day_info(date(2026, 11, 3)).shortened


def test_override_can_cancel_a_working_saturday():
    calendar = ProductionCalendar({date(2025, 11, 1): False})
    schedule = school(Slot(0, time(13), time(15), user_id=CONSULTANT), calendar=calendar)
    assert is_open(schedule, msk(2025, 11, 1, 14)).reason is ClosedReason.WEEKEND


# --- date exceptions and closed reasons -----------------------------------------------------


def test_sole_consultant_on_leave_means_nobody_on_duty():
    schedule = school(
        *WEEKDAYS_13_15.slots,
        exceptions=[DateException(date(2026, 11, 30), "leave", user_id=CONSULTANT)],
    )
    answer = is_open(schedule, msk(2026, 11, 30, 14))
    assert (answer.open, answer.reason) == (False, ClosedReason.NOBODY_ON_DUTY)
    assert is_open(schedule, msk(2026, 12, 1, 14)).open
    assert next_opening(schedule, msk(2026, 11, 30, 9)) == utc(2026, 12, 1, 10)


def test_partial_leave_cuts_a_hole():
    schedule = school(
        *WEEKDAYS_13_15.slots,
        exceptions=[
            DateException(date(2026, 11, 30), "leave", CONSULTANT, time(13), time(14)),
        ],
    )
    assert is_open(schedule, msk(2026, 11, 30, 13, 30)).reason is ClosedReason.NOBODY_ON_DUTY
    assert is_open(schedule, msk(2026, 11, 30, 14, 30)).open
    assert windows(schedule, msk(2026, 11, 30), msk(2026, 12, 1)) == [
        Window(utc(2026, 11, 30, 11), utc(2026, 11, 30, 12), (CONSULTANT,))
    ]


def test_leave_of_one_of_two_leaves_the_other_on_duty():
    schedule = school(
        *WEEKDAYS_13_15.slots,
        *weekly(range(5), time(13), time(15), user_id=DEPUTY),
        exceptions=[DateException(date(2026, 11, 30), "leave", user_id=CONSULTANT)],
    )
    assert is_open(schedule, msk(2026, 11, 30, 14)).user_ids == (DEPUTY,)
    assert is_open(schedule, msk(2026, 12, 1, 14)).user_ids == (CONSULTANT, DEPUTY)


def test_closed_day_wins_over_everything():
    schedule = school(
        *WEEKDAYS_13_15.slots,
        exceptions=[
            DateException(date(2026, 11, 30), "closed"),
            DateException(date(2026, 11, 30), "extra", CONSULTANT, time(9), time(12)),
            DateException(date(2026, 11, 4), "closed"),
        ],
    )
    assert is_open(schedule, msk(2026, 11, 30, 14)).reason is ClosedReason.CLOSED_DAY
    assert is_open(schedule, msk(2026, 11, 30, 10)).reason is ClosedReason.CLOSED_DAY
    assert is_open(schedule, msk(2026, 11, 4, 14)).reason is ClosedReason.CLOSED_DAY


def test_extra_duty_opens_a_saturday():
    schedule = school(
        *WEEKDAYS_13_15.slots,
        exceptions=[DateException(date(2026, 11, 28), "extra", DEPUTY, time(10), time(12))],
    )
    answer = is_open(schedule, msk(2026, 11, 28, 11))
    assert (answer.open, answer.user_ids) == (True, (DEPUTY,))
    assert answer.until == utc(2026, 11, 28, 9)
    assert is_open(schedule, msk(2026, 11, 28, 15)).reason is ClosedReason.OUTSIDE_HOURS
    assert is_open(schedule, msk(2026, 12, 5, 11)).reason is ClosedReason.WEEKEND
    assert next_opening(schedule, msk(2026, 11, 27, 20)) == utc(2026, 11, 28, 7)


def test_extra_duty_of_another_kind_does_not_open_consultations():
    schedule = school(
        exceptions=[
            DateException(
                date(2026, 11, 28), "extra", DEPUTY, time(10), time(12), duty_kind="callbacks"
            )
        ],
    )
    assert not is_open(schedule, msk(2026, 11, 28, 11)).open
    assert is_open(schedule, msk(2026, 11, 28, 11), kind="callbacks").open


MIXED = school(
    *weekly(range(5), time(13), time(15), user_id=CONSULTANT, roles=frozenset({"teacher"})),
    Slot(5, time(10), time(12), user_id=DEPUTY, kind="callbacks"),
)


@pytest.mark.parametrize(
    ("schedule", "at", "kwargs", "reason"),
    [
        (WEEKDAYS_13_15, msk(2026, 11, 4, 14), {}, ClosedReason.HOLIDAY),  # Wednesday holiday
        (WEEKDAYS_13_15, msk(2026, 5, 9, 14), {}, ClosedReason.HOLIDAY),  # Saturday holiday
        (WEEKDAYS_13_15, msk(2027, 1, 4, 14), {}, ClosedReason.HOLIDAY),  # New Year holidays
        (WEEKDAYS_13_15, msk(2026, 11, 28, 14), {}, ClosedReason.WEEKEND),
        (WEEKDAYS_13_15, msk(2026, 11, 30, 9), {}, ClosedReason.OUTSIDE_HOURS),
        (WEEKDAYS_13_15, msk(2026, 11, 30, 15), {}, ClosedReason.OUTSIDE_HOURS),  # end excluded
        (WEEKDAYS_13_15, msk(2026, 11, 30, 14), {"kind": "callbacks"}, ClosedReason.OUTSIDE_HOURS),
        (MIXED, msk(2026, 11, 30, 14), {"role": "parent"}, ClosedReason.NOBODY_ON_DUTY),
        (MIXED, msk(2026, 11, 30, 16), {"role": "parent"}, ClosedReason.OUTSIDE_HOURS),
        (MIXED, msk(2026, 11, 28, 11), {}, ClosedReason.WEEKEND),  # callbacks only
        (VENDOR, msk(2026, 11, 28, 22), {}, ClosedReason.OUTSIDE_HOURS),
        (
            Schedule("Europe/Moscow", weekly(range(5), time(9), time(21)), working_days_only=False),
            msk(2026, 11, 28, 12),
            {},
            ClosedReason.WEEKEND,
        ),
    ],
)
def test_closed_reasons(schedule, at, kwargs, reason):
    answer = is_open(schedule, at, **kwargs)
    assert (answer.open, answer.reason, answer.until) == (False, reason, None)


# --- roles and topics ------------------------------------------------------------------------

ROLES_TOPICS = school(
    Slot(0, time(9), time(12), user_id=CONSULTANT, roles=frozenset({"teacher"})),
    Slot(0, time(10), time(13), user_id=DEPUTY, topics=frozenset({"marks", "attendance"})),
    Slot(0, time(14), time(16), roles=frozenset({"parent"}), topics=frozenset({"login"})),
)


@pytest.mark.parametrize(
    ("at", "role", "topic", "user_ids"),
    [
        (msk(2026, 11, 30, 11), None, None, (CONSULTANT, DEPUTY)),
        (msk(2026, 11, 30, 11), "teacher", None, (CONSULTANT, DEPUTY)),
        (msk(2026, 11, 30, 11), "parent", None, (DEPUTY,)),
        (msk(2026, 11, 30, 11), "parent", "marks", (DEPUTY,)),
        (msk(2026, 11, 30, 11), "teacher", "login", (CONSULTANT,)),
        (msk(2026, 11, 30, 11), "parent", "login", None),
        (msk(2026, 11, 30, 9, 30), "parent", None, None),
        (msk(2026, 11, 30, 15), "parent", "login", ()),  # the service itself
        (msk(2026, 11, 30, 15), "teacher", None, None),
    ],
)
def test_role_and_topic_filtering(at, role, topic, user_ids):
    answer = is_open(ROLES_TOPICS, at, role=role, topic=topic)
    if user_ids is None:
        assert (answer.open, answer.reason) == (False, ClosedReason.NOBODY_ON_DUTY)
    else:
        assert (answer.open, answer.user_ids) == (True, user_ids)


@pytest.mark.parametrize(
    ("role", "topic", "expected"),
    [
        (None, None, utc(2026, 11, 30, 6)),  # the consultant at 9:00
        ("parent", None, utc(2026, 11, 30, 7)),  # the deputy at 10:00
        ("parent", "marks", utc(2026, 11, 30, 7)),
        ("parent", "login", utc(2026, 11, 30, 11)),  # the service at 14:00
        ("director", "cpt", None),  # nobody ever serves it
    ],
)
def test_next_opening_respects_role_and_topic(role, topic, expected):
    at = msk(2026, 11, 30, 8)
    assert next_opening(ROLES_TOPICS, at, role=role, topic=topic, horizon_days=30) == expected


# --- pre-holiday days --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "shortened"),
    [
        (date(2026, 11, 3), True),  # before Unity Day
        (date(2026, 5, 8), True),  # Friday before Victory Day on Saturday
        (date(2026, 12, 30), False),  # before 31 Dec, a transferred day off, not a holiday
        (date(2026, 3, 6), False),  # Saturday 7 Mar comes between it and 8 Mar
        (date(2025, 11, 1), True),  # working Saturday standing in for Mon 3 Nov
        (date(2027, 2, 20), True),  # working Saturday standing in for Mon 22 Feb
        (date(2024, 11, 2), True),  # stands in for Tue 30 Apr 2024, the eve of 1 May
        (date(2024, 4, 27), False),  # stands in for Mon 29 Apr 2024, before a day off
        (date(2026, 11, 2), False),
    ],
)
def test_pre_holiday_days(day, shortened):
    assert ProductionCalendar().day_info(day).shortened is shortened


@pytest.mark.parametrize(
    ("day", "public"),
    [
        (date(2026, 11, 4), True),  # Unity Day
        (date(2026, 3, 8), True),  # on a Sunday: still the holiday itself
        (date(2026, 1, 8), True),  # New Year holidays
        (date(2026, 3, 9), False),  # observed day off for 8 Mar
        (date(2026, 5, 11), False),  # observed day off for 9 May
        (date(2025, 11, 3), False),  # transferred day off
        (date(2026, 12, 31), False),  # transferred day off
        (date(2026, 11, 28), False),  # a plain Saturday
    ],
)
def test_public_holidays_of_article_112(day, public):
    assert ProductionCalendar().is_public_holiday(day) is public


def test_the_eve_of_an_observed_day_off_is_not_shortened():
    # Made a working day, Sunday 10 May 2026 comes right before the observed 11 May.
    info = ProductionCalendar({date(2026, 5, 10): True}).day_info(date(2026, 5, 10))
    assert (info.working, info.schedule_weekday, info.shortened) == (True, 0, False)


def test_override_working_new_years_eve_is_shortened():
    assert ProductionCalendar({date(2026, 12, 31): True}).day_info(date(2026, 12, 31)).shortened


NINE_TO_SIX = school(*weekly(range(5), time(9), time(18), user_id=CONSULTANT))


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (msk(2026, 11, 3, 16, 59), True),
        (msk(2026, 11, 3, 17), False),  # shortened by an hour
        (msk(2026, 11, 2, 17, 30), True),  # an ordinary day
        (msk(2025, 11, 1, 17, 30), False),  # a shortened working Saturday
        (msk(2025, 11, 1, 16, 30), True),
    ],
)
def test_pre_holiday_day_ends_an_hour_earlier(at, expected):
    assert is_open(NINE_TO_SIX, at).open is expected


def test_pre_holiday_until_and_reason():
    assert is_open(NINE_TO_SIX, msk(2026, 11, 3, 16)).until == utc(2026, 11, 3, 14)
    assert is_open(NINE_TO_SIX, msk(2026, 11, 3, 17, 30)).reason is ClosedReason.OUTSIDE_HOURS


def test_pre_holiday_clips_the_days_latest_end_per_kind():
    schedule = school(
        Slot(1, time(9), time(13), user_id=CONSULTANT),
        Slot(1, time(13), time(18), user_id=DEPUTY),
        Slot(1, time(17, 30), time(18), user_id=CONSULTANT),
        Slot(1, time(9), time(20), user_id=DEPUTY, kind="callbacks"),
    )
    day = (msk(2026, 11, 3), msk(2026, 11, 4))
    assert windows(schedule, *day) == [
        Window(utc(2026, 11, 3, 6), utc(2026, 11, 3, 10), (CONSULTANT,)),
        Window(utc(2026, 11, 3, 10), utc(2026, 11, 3, 14), (DEPUTY,)),
    ]
    assert windows(schedule, *day, kind="callbacks") == [
        Window(utc(2026, 11, 3, 6), utc(2026, 11, 3, 16), (DEPUTY,)),
    ]


def test_extra_duty_on_a_pre_holiday_day_is_not_clipped():
    schedule = school(
        *NINE_TO_SIX.slots,
        exceptions=[DateException(date(2026, 11, 3), "extra", DEPUTY, time(17), time(19))],
    )
    assert is_open(schedule, msk(2026, 11, 3, 18, 30)).user_ids == (DEPUTY,)
    assert is_open(schedule, msk(2026, 11, 3, 16, 30)).until == utc(2026, 11, 3, 16)


def test_daily_vendor_ignores_pre_holiday_days():
    assert is_open(VENDOR, msk(2026, 11, 3, 20, 30)).open


# --- windows --------------------------------------------------------------------------------


def test_windows_over_a_week_with_a_holiday_and_its_eve():
    assert windows(WEEKDAYS_13_15, msk(2026, 11, 2), msk(2026, 11, 9)) == [
        Window(utc(2026, 11, 2, 10), utc(2026, 11, 2, 12), (CONSULTANT,)),
        Window(utc(2026, 11, 3, 10), utc(2026, 11, 3, 11), (CONSULTANT,)),  # shortened
        Window(utc(2026, 11, 5, 10), utc(2026, 11, 5, 12), (CONSULTANT,)),
        Window(utc(2026, 11, 6, 10), utc(2026, 11, 6, 12), (CONSULTANT,)),
    ]


def test_windows_are_clipped_to_the_range():
    assert windows(WEEKDAYS_13_15, msk(2026, 11, 30, 14), msk(2026, 12, 1, 13, 30)) == [
        Window(utc(2026, 11, 30, 11), utc(2026, 11, 30, 12), (CONSULTANT,)),
        Window(utc(2026, 12, 1, 10), utc(2026, 12, 1, 10, 30), (CONSULTANT,)),
    ]
    assert windows(WEEKDAYS_13_15, msk(2026, 12, 1), msk(2026, 11, 30)) == []


def test_windows_merge_the_same_people_and_split_on_change():
    schedule = school(
        Slot(0, time(9), time(12), user_id=CONSULTANT),
        Slot(0, time(12), time(14), user_id=CONSULTANT),  # contiguous: one window
        Slot(0, time(13), time(16), user_id=DEPUTY),  # overlap: a window with both
    )
    assert windows(schedule, msk(2026, 11, 30), msk(2026, 12, 1)) == [
        Window(utc(2026, 11, 30, 6), utc(2026, 11, 30, 10), (CONSULTANT,)),
        Window(utc(2026, 11, 30, 10), utc(2026, 11, 30, 11), (CONSULTANT, DEPUTY)),
        Window(utc(2026, 11, 30, 11), utc(2026, 11, 30, 13), (DEPUTY,)),
    ]
    # While anyone is on duty the line stays open: until is the end of the whole stretch.
    answer = is_open(schedule, msk(2026, 11, 30, 10))
    assert (answer.user_ids, answer.until) == ((CONSULTANT,), utc(2026, 11, 30, 13))


def test_windows_of_a_vendor_in_another_zone():
    # An Omsk day, midnight to midnight, holds one Moscow 9:00-21:00 window.
    assert windows(VENDOR, omsk(2026, 11, 30), omsk(2026, 12, 1)) == [
        Window(utc(2026, 11, 30, 6), utc(2026, 11, 30, 18), ()),
    ]


# --- describe_hours ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("slots", "kwargs", "expected"),
    [
        (WEEKDAYS_13_15.slots, {}, "по будням с 13:00 до 15:00"),
        (VENDOR.slots, {}, "ежедневно с 9:00 до 21:00"),
        (
            (Slot(0, time(14), time(16)), Slot(2, time(14), time(16))),
            {},
            "по понедельникам и средам с 14:00 до 16:00",
        ),
        (
            (*NINE_TO_SIX.slots, Slot(5, time(10), time(14))),
            {},
            "по будням с 9:00 до 18:00, по субботам с 10:00 до 14:00",
        ),
        (
            (*weekly(range(4), time(9), time(18)), Slot(4, time(9), time(16, 45))),
            {},
            "с понедельника по четверг с 9:00 до 18:00, по пятницам с 9:00 до 16:45",
        ),
        (
            weekly([1, 2, 3], time(9, 30), time(11)),
            {},
            "со вторника по четверг с 9:30 до 11:00",
        ),
        (
            weekly([0, 2, 4], time(9), time(12)) + weekly([0, 2, 4], time(13), time(18)),
            {},
            "по понедельникам, средам и пятницам с 9:00 до 12:00 и с 13:00 до 18:00",
        ),
        (
            (Slot(0, time(9), time(13), user_id=1), Slot(0, time(12), time(15), user_id=2)),
            {},
            "по понедельникам с 9:00 до 15:00",
        ),
        ((), {}, "в настоящее время часы приёма не назначены"),
        (MIXED.slots, {"kind": "callbacks"}, "по субботам с 10:00 до 12:00"),
        (MIXED.slots, {"role": "parent"}, "в настоящее время часы приёма не назначены"),
        (
            ROLES_TOPICS.slots,
            {"role": "parent"},
            "по понедельникам с 10:00 до 13:00 и с 14:00 до 16:00",
        ),
    ],
)
def test_describe_hours(slots, kwargs, expected):
    assert describe_hours(school(*slots), **kwargs) == expected


@pytest.mark.parametrize(
    ("zone", "listener", "suffix"),
    [
        ("Europe/Moscow", None, ""),
        ("Europe/Moscow", "Europe/Moscow", ""),
        ("Europe/Moscow", "Asia/Omsk", " по московскому времени"),
        ("Asia/Omsk", "Europe/Moscow", " по омскому времени"),
        ("Asia/Novosibirsk", "Europe/Moscow", " по новосибирскому времени"),
        ("Asia/Krasnoyarsk", "Europe/Moscow", " по красноярскому времени"),
        ("Asia/Vladivostok", "Europe/Moscow", " по владивостокскому времени"),
        ("Europe/Samara", "Europe/Moscow", " по самарскому времени"),
        ("Asia/Yekaterinburg", "Europe/Moscow", " по екатеринбургскому времени"),
        ("Asia/Tbilisi", "Europe/Moscow", " по времени UTC+4"),
    ],
)
def test_describe_hours_names_the_zone_for_a_listener_elsewhere(zone, listener, suffix):
    schedule = school(*WEEKDAYS_13_15.slots, zone=zone)
    assert describe_hours(schedule, listener_timezone=listener) == (
        "по будням с 13:00 до 15:00" + suffix
    )


# --- validation and speed -------------------------------------------------------------------


@pytest.mark.parametrize(
    "build",
    [
        lambda: Slot(0, time(15), time(13)),
        lambda: Slot(0, time(13), time(13)),
        lambda: Slot(7, time(13), time(15)),
        lambda: Slot(0, time(13), time(15), kind="lunch"),
        lambda: Slot(0, time(13, tzinfo=UTC), time(15)),
        lambda: DateException(date(2026, 11, 30), "leave"),
        lambda: DateException(date(2026, 11, 30), "closed", user_id=CONSULTANT),
        lambda: DateException(date(2026, 11, 30), "extra", CONSULTANT),
        lambda: DateException(date(2026, 11, 30), "extra", CONSULTANT, time(10), None),
        lambda: DateException(date(2026, 11, 30), "holiday"),
        lambda: Schedule("Europe/Mosco", ()),
    ],
)
def test_invalid_values_are_rejected(build):
    with pytest.raises(ValueError):
        build()


def test_unknown_duty_kind_is_rejected():
    with pytest.raises(ValueError):
        is_open(WEEKDAYS_13_15, msk(2026, 11, 30, 14), kind="lunch")


def test_the_library_calendar_is_built_once():
    is_open(WEEKDAYS_13_15, msk(2026, 11, 30, 14))
    before = worktime._russian_holidays.cache_info().misses
    for hour in range(24):
        is_open(WEEKDAYS_13_15, msk(2026, 11, 30, hour))
        is_open(school(*WEEKDAYS_13_15.slots), msk(2026, 12, 1, hour))
    assert worktime._russian_holidays.cache_info().misses == before
    assert is_open(WEEKDAYS_13_15, msk(2026, 11, 30, 14)).open


@pytest.fixture
def decree_table(monkeypatch):
    """The library's table of transfer decrees, editable for one test."""
    table = dict(worktime._RussianDecrees.special_public_holidays)
    monkeypatch.setattr(worktime._RussianDecrees, "special_public_holidays", table)
    worktime._decree_years.cache_clear()
    yield table
    worktime._decree_years.cache_clear()


def test_a_year_without_its_decree_has_no_data_though_the_library_guesses_its_days(decree_table):
    # An older library still builds 2027 from its general rules (and an "observed" day can
    # look like a transfer); only its table of decrees tells a decreed year from a guess.
    del decree_table[2027]
    assert ProductionCalendar().has_data_for(2026) is True
    assert ProductionCalendar().has_data_for(2027) is False
