"""Time the record action with a long callback queue in one school. Run by hand:

    .venv/bin/python benchmarks/planning.py [--database URL] [--waiting 2000] [--messages 30]
                                            [--profile]

Default database: SQLite in a temporary directory; --database postgresql://... (an empty
database you own: its tables are dropped and created). The Moscow demo school gets
--waiting planned callbacks (benchmarks/history.py), then --messages parents leave a
message out of hours through the signed webhooks (Flask's test client, in-process) while a
thread calls the Omsk school's /ivr/voice over and over (a second round, as the two share
the interpreter's lock). Printed: the record action's
median and p90 with an empty queue and with the long one, and the other school's /ivr/voice
latency meanwhile. Target (issue 13): the record action under 100 ms with 2,000 waiting.
--profile also prints where the record actions with the long queue spend their time
(pyinstrument; those timings then include the profiler's overhead).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import time_machine  # noqa: E402
from sqlalchemy import update  # noqa: E402

from benchmarks.history import seed_waiting  # noqa: E402
from tests.conftest import (  # noqa: E402
    AUTH_TOKEN,
    BASE_URL,
    OMSK_NUMBER,
    SCHOOL_NUMBER,
    TwilioCaller,
)

SATURDAY_NIGHT = datetime(2026, 11, 28, 19, 0, tzinfo=UTC)  # 22:00 in Moscow


def message(client, number: str) -> float:
    caller = TwilioCaller(client, from_=number)
    caller.post("/ivr/voice")
    caller.post("/ivr/role", Digits="1")
    caller.post("/ivr/topic?role=parent", Digits="2")
    started = time.perf_counter()
    response = caller.post("/ivr/recorded", RecordingDuration="9", Digits="#",
                           RecordingUrl="https://api.twilio.com/x/RE" + "7" * 32)
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200 and "зарегистрировано" in response.get_data(True)
    return elapsed


def summary(values: list[float]) -> str:
    values = sorted(values)
    return (f"median {statistics.median(values):7.1f} ms, "
            f"p90 {values[max(0, int(len(values) * 0.9) - 1)]:7.1f} ms ({len(values)})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database")
    parser.add_argument("--waiting", type=int, default=2000)
    parser.add_argument("--messages", type=int, default=30)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    from core import service as org_service
    from core.extensions import db
    from core.models import Organization
    from helpline.app import create_app
    from helpline.demo import load_demo

    data = tempfile.mkdtemp(prefix="helpline-plan-")
    url = args.database or f"sqlite:///{data}/bench.db"
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "DATABASE_URL": url,
                      "DATA_DIR": data, "SCHEDULER_ENABLED": False, "VOSK_MODEL": "",
                      "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "PUBLIC_URL": BASE_URL,
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    client = app.test_client()
    with time_machine.travel(SATURDAY_NIGHT, tick=True):
        with app.app_context():
            db.drop_all()
            db.create_all()
            load_demo("bench-password")
            school = org_service.find_by_number(SCHOOL_NUMBER)
            # A busy school: a callback every 3 minutes, so 2,000 fit in the 60-day horizon.
            db.session.execute(update(Organization).where(Organization.id == school.id)
                               .values(callback_capacity_per_hour=20))
            db.session.commit()
        empty = [message(client, f"+7916{i:07d}") for i in range(args.messages)]
        with app.app_context():
            seed_waiting(org_service.find_by_number(SCHOOL_NUMBER), args.waiting,
                         datetime.now(UTC))
        profiler = None
        if args.profile:
            from pyinstrument import Profiler
            profiler = Profiler(interval=0.0005)
            profiler.start()
        busy = [message(client, f"+7917{i:07d}") for i in range(args.messages)]
        if profiler is not None:
            profiler.stop()
        other: list[float] = []
        during: list[float] = []
        done = threading.Event()

        def other_school() -> None:
            own = app.test_client()
            while not done.is_set():
                caller = TwilioCaller(own, from_="+79169999999", to=OMSK_NUMBER)
                started = time.perf_counter()
                response = caller.post("/ivr/voice")
                assert response.status_code == 200 and b"<Gather" in response.data
                other.append((time.perf_counter() - started) * 1000)

        thread = threading.Thread(target=other_school)
        thread.start()  # the same process: the two share the GIL, so this is not the record
        during = [message(client, f"+7918{i:07d}") for i in range(args.messages)]  # figure
        done.set()
        thread.join()
    if profiler is not None:
        print(profiler.output_text(unicode=False, color=False, show_all=False)[:8000])
    print(f"database: {url.split(':')[0]}")
    print(f"record action, empty queue:          {summary(empty)}")
    print(f"record action, {args.waiting:5} waiting:       {summary(busy)}")
    print(f"other school's /ivr/voice meanwhile: {summary(other)}")
    print(f"  (record actions during those calls: {summary(during)})")
    ok = statistics.median(busy) < 100
    print("target: record action < 100 ms median with the long queue:", "met" if ok else "MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
