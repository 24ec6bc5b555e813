"""`helpline call --at`: absolute and relative moments in the school's zone."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from helpline.simulation import SimulationError, parse_moment

MOSCOW = ZoneInfo("Europe/Moscow")
OMSK = ZoneInfo("Asia/Omsk")
NOW = datetime(2026, 11, 30, 20, 30, tzinfo=UTC)  # Mon 23:30 in Moscow, Tue 02:30 in Omsk


@pytest.mark.parametrize(
    ("text", "zone", "expected"),
    [
        ("2026-11-28 22:00", "Europe/Moscow", datetime(2026, 11, 28, 22, tzinfo=MOSCOW)),
        ("2026-11-28T22:00+00:00", "Europe/Moscow", datetime(2026, 11, 28, 22, tzinfo=UTC)),
        ("завтра 22:00", "Europe/Moscow", datetime(2026, 12, 1, 22, tzinfo=MOSCOW)),
        ("Завтра  9:30", "Europe/Moscow", datetime(2026, 12, 1, 9, 30, tzinfo=MOSCOW)),
        ("tomorrow 09:30", "Europe/Moscow", datetime(2026, 12, 1, 9, 30, tzinfo=MOSCOW)),
        ("сегодня 13:30", "Europe/Moscow", datetime(2026, 11, 30, 13, 30, tzinfo=MOSCOW)),
        ("послезавтра 10:00", "Europe/Moscow", datetime(2026, 12, 2, 10, tzinfo=MOSCOW)),
        ("22:00", "Europe/Moscow", datetime(2026, 11, 30, 22, tzinfo=MOSCOW)),
        # "today" is the school's today: already Tuesday in Omsk.
        ("сегодня 13:30", "Asia/Omsk", datetime(2026, 12, 1, 13, 30, tzinfo=OMSK)),
    ],
)
def test_moments(text, zone, expected):
    moment = parse_moment(text, zone, now=NOW)
    assert moment == expected and moment.tzinfo is not None


@pytest.mark.parametrize("text", ["next friday", "завтра", "завтра 25:00", "вчера 10:00", ""])
def test_bad_moments_say_what_is_expected(text):
    with pytest.raises(SimulationError, match="завтра 22:00"):
        parse_moment(text, "Europe/Moscow", now=NOW)
