"""The app, `helpline worker` and `helpline scheduler` on a compressed clock (region_day.py).

    HELPLINE_BENCH_CLOCK="2026-09-01T18:00:00+00:00,1767300000.0,144" \\
        gunicorn benchmarks.compressed_clock:app          # a web node
    HELPLINE_BENCH_CLOCK=... python -m benchmarks.compressed_clock worker   # any helpline command

The variable holds a simulated start instant, the real Unix time it corresponds to, and the
factor: ``core.clock.now()`` then reads start + (real now - real start) x factor in every
process that imports this module first, so all of them agree on the simulated time. Only
the application's clock moves; APScheduler's triggers, timeouts and sleeps stay in real
time (a scheduler tick of 2 s is 2 x factor simulated seconds).
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core import clock  # noqa: E402


def parse(value: str) -> tuple[datetime, datetime, float]:
    start, real, factor = value.split(",")
    return (datetime.fromisoformat(start), datetime.fromtimestamp(float(real), UTC),
            float(factor))


def install(value: str) -> None:
    """Make core.clock read the compressed time described by value (see the module's doc)."""
    start, real, factor = parse(value)
    real_now = datetime.now

    class Compressed(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
            instant = start + (real_now(UTC) - real) * factor
            return instant.astimezone(tz) if tz else instant.replace(tzinfo=None)

    clock.datetime = Compressed  # type: ignore[attr-defined,misc]
    clock._offset = timedelta(0)


if os.environ.get("HELPLINE_BENCH_CLOCK"):
    install(os.environ["HELPLINE_BENCH_CLOCK"])


def __getattr__(name: str):
    if name == "app":  # gunicorn benchmarks.compressed_clock:app
        from wsgi import app

        return app
    raise AttributeError(name)


if __name__ == "__main__":
    from helpline.cli import main

    sys.argv[0] = "helpline"
    main()
