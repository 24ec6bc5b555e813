"""The application's clock.

Everything that asks "what time is it" calls ``now()``. Tests move it with time-machine;
the simulator's ``helpline call --at`` shifts it for one in-process call.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

_offset = timedelta(0)


def now() -> datetime:
    """Return the current instant, aware, in UTC."""
    return datetime.now(UTC) + _offset


@contextmanager
def shifted_to(instant: datetime) -> Iterator[None]:
    """Make ``now()`` read as ``instant`` (and run on from there) inside the block."""
    global _offset
    if instant.tzinfo is None:
        raise ValueError("shifted_to needs an aware datetime")
    previous = _offset
    _offset = instant - datetime.now(UTC)
    try:
        yield
    finally:
        _offset = previous
