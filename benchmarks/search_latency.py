"""How long ticket search and the live-update snapshot take on a school with many tickets.

Run by hand from the repository root (SQLite in a temporary file by default; set
HELPLINE_TEST_DATABASE_URL to an empty PostgreSQL database to measure that instead):

    .venv/bin/python benchmarks/search_latency.py [tickets]

Creates the tickets (with a transcript each, indexed as the app indexes them), then times
each kind of query: words with morphology, a full phone number, a ticket number, the last
digits of a phone, and live.snapshot (the one query per live-update tick). Prints the median
and the worst of 20 runs of each, in milliseconds.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core import clock  # noqa: E402
from core.extensions import db  # noqa: E402
from core.models import Organization  # noqa: E402
from helpline import live  # noqa: E402
from helpline.app import create_app  # noqa: E402
from tickets import search  # noqa: E402
from tickets.models import Recording, Ticket, Transcript  # noqa: E402

WORDS = ("не могу войти в журнал", "не видим оценки сына в дневнике", "пароль не подходит",
         "как выставить итоговые оценки", "нужна помощь с расписанием", "меня зовут Иванова")
QUERIES = {
    "words": "оценок дневник",
    "name": "Ивановой",
    "phone": "8 (916) 000-12-34",
    "ticket number": "№ 1234",
    "last digits": "1234",
}


def main(count: int) -> None:
    url = os.environ.get("HELPLINE_TEST_DATABASE_URL")
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"TESTING": True, "SECRET_KEY": "x", "SCHEDULER_ENABLED": False,
                          "DATABASE_URL": url or f"sqlite:///{tmp}/bench.db",
                          "DATA_DIR": f"{tmp}/data", "VOSK_MODEL": ""})
        with app.app_context():
            db.drop_all()
            db.create_all()
            org = Organization(slug="bench", name="Школа", short_name="школа",
                               timezone="Europe/Moscow")
            db.session.add(org)
            db.session.commit()
            started = time.perf_counter()
            rng = random.Random(1)
            for i in range(1, count + 1):
                ticket = Ticket(organization_id=org.id, number=i, suggestions={},
                                caller_number=f"+7916{i:07d}")
                db.session.add(ticket)
                db.session.flush()
                recording = Recording(organization_id=org.id, ticket_id=ticket.id,
                                      call_sid=f"CA{i}", recording_sid=f"RE{i}")
                db.session.add(recording)
                db.session.flush()
                db.session.add(Transcript(recording_id=recording.id, ticket_id=ticket.id,
                                          text=" ".join(rng.sample(WORDS, 3)), words=[]))
                if i % 500 == 0:
                    db.session.commit()
            db.session.commit()
            print(f"{count} tickets created and indexed in {time.perf_counter() - started:.1f} s"
                  f" on {db.engine.dialect.name}")
            for name, query in QUERIES.items():
                _time(name, lambda q=query: search.search(org.id, q))
            _time("live snapshot", lambda: live.snapshot(org.id, clock.now()))
            db.session.remove()
            db.drop_all()


def _time(name: str, run) -> None:
    found = run()  # warm
    times = []
    for _ in range(20):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    shown = len(found) if isinstance(found, list) else "-"
    print(f"{name:>14}: median {statistics.median(times):6.1f} ms, worst {max(times):6.1f} ms"
          f" ({shown} found)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
