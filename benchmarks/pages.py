"""Time the workspace pages and the reports over a long history. Run by hand:

    .venv/bin/python benchmarks/pages.py [--database URL] [--tickets 10000] [--repeat 15]

Default database: a throw-away PostgreSQL database on 127.0.0.1:5432 (created and dropped),
or --database sqlite:///path. The demo schools are loaded and the Moscow school gets
--tickets tickets (voice messages, transcripts, callbacks in every state, audit events; see
benchmarks/history.py). Each page is fetched in-process (Flask's test client, signed in)
--repeat times; printed: median and p90 milliseconds, SQL statements per fetch, bytes.
Targets (issue 13): workspace pages <= 150 ms median and <= 20 statements; reports <= 300 ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import time_machine  # noqa: E402
from sqlalchemy import event, select  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from benchmarks.history import seed  # noqa: E402
from tests.browser.support import MONDAY_0905, login  # noqa: E402

ADMIN_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
WORKSPACE = {
    "operator": ["/operator/?tab=due", "/operator/?tab=later", "/operator/?tab=tomorrow",
                 "/operator/?tab=planned", "/operator/?tab=overdue",
                 "/operator/?tab=active", "/operator/?tab=done", "/operator/queue-fragment",
                 "/operator/?tab=due&page=20", "/operator/callbacks/{callback}"],
    "consultant": ["/tickets/?tab=new", "/tickets/?tab=in_progress", "/tickets/?tab=overdue",
                   "/tickets/?tab=closed", "/tickets/?tab=closed&page=40", "/tickets/{ticket}"],
}
REPORTS = ["/admin/reports?from={first}&to={last}",
           "/admin/reports/chart/{chart}.svg?from={first}&to={last}",
           "/admin/reports/all.csv?from={first}&to={last}"]


class Counter:
    def __init__(self) -> None:
        self.n = 0

    def __call__(self, *args) -> None:
        self.n += 1


def measure(client, url: str, repeat: int, counter: Counter) -> tuple[float, float, int, int]:
    times, size, statements = [], 0, 0
    for i in range(repeat + 1):
        counter.n = 0
        started = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, (url, response.status_code)
        if i:  # the first fetch warms the caches of Jinja and SQLAlchemy
            times.append(elapsed * 1000)
        size, statements = len(response.get_data()), counter.n
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.9) - 1], statements, size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", help="a database URL (default: a throw-away PostgreSQL)")
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()

    dropped = None
    url = args.database
    if url is None:
        import psycopg

        name = "helpline_bench_" + uuid.uuid4().hex[:8]
        admin = psycopg.connect(ADMIN_PG, autocommit=True)
        admin.execute(f'CREATE DATABASE "{name}"')
        url, dropped = ADMIN_PG.rsplit("/", 1)[0] + "/" + name, name
    try:
        return run(url, args)
    finally:
        if dropped:
            admin.execute(f'DROP DATABASE IF EXISTS "{dropped}" WITH (FORCE)')


def run(url: str, args) -> int:
    from flask_migrate import upgrade

    from callbacks.models import Callback, CallbackStatus
    from core import service as org_service
    from core.extensions import db
    from helpline import reports
    from helpline.app import create_app
    from helpline.demo import load_demo

    data = tempfile.mkdtemp(prefix="helpline-bench-")
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "DATABASE_URL": url,
                      "DATA_DIR": data, "SCHEDULER_ENABLED": False, "VOSK_MODEL": "",
                      "TWILIO_AUTH_TOKEN": "bench-token", "PUBLIC_URL": "https://bench.test",
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    counter = Counter()
    with time_machine.travel(MONDAY_0905, tick=True):
        with app.app_context():
            upgrade()
            load_demo("demo-password")
            school = org_service.find_by_number("+74950000019")
            started = time.perf_counter()
            seed(school, args.tickets, MONDAY_0905)
            print(f"seeded {args.tickets} tickets in {time.perf_counter() - started:.1f} s "
                  f"({db.engine.dialect.name})")
            callback = db.session.scalars(select(Callback).where(
                Callback.organization_id == school.id, Callback.status == CallbackStatus.PLANNED)
                .order_by(Callback.id)).first()
            ids = {"callback": callback.id, "ticket": callback.ticket_id}
            period = reports.this_month(MONDAY_0905.date(), school.timezone)
            chart = "days"
        event.listen(Engine, "before_cursor_execute", counter)
        print(f"{'page':58} {'median':>8} {'p90':>8} {'SQL':>5} {'bytes':>9}")
        failed = False
        for role, pages in WORKSPACE.items():
            client = app.test_client()
            login(client, role)
            for page in pages:
                median, p90, statements, size = measure(client, page.format(**ids), args.repeat,
                                                        counter)
                bad = median > 150 or statements > 20
                failed |= bad
                print(f"{page.format(**ids):58} {median:8.1f} {p90:8.1f} {statements:5} "
                      f"{size:9}{'  OVER' if bad else ''}")
        client = app.test_client()
        login(client, "admin")
        for page in REPORTS:
            target = page.format(first=period.first, last=period.last, chart=chart)
            median, p90, statements, size = measure(client, target, args.repeat, counter)
            bad = median > 300
            failed |= bad
            print(f"{target[:58]:58} {median:8.1f} {p90:8.1f} {statements:5} {size:9}"
                  f"{'  OVER' if bad else ''}")
        event.remove(Engine, "before_cursor_execute", counter)
    print("targets: workspace <= 150 ms median and <= 20 statements; reports <= 300 ms:",
          "MISSED" if failed else "met")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
