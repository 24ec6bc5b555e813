"""The one scheduler: when it starts, its database lock, its persistent jobs, restarts.

The PostgreSQL tests run real `helpline scheduler` processes (with a travelled clock) against
a throw-away database: the second one waits, and no callback is ever rung twice.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import click
import pytest
import time_machine
from sqlalchemy import func, inspect, select, text

from callbacks import jobs
from callbacks import service as callbacks
from callbacks.models import Callback, CallbackAttempt, CallbackPlanState, CallbackStatus
from core import service as org_service
from core.extensions import db
from core.models import DutyKind, DutySlot, User
from helpline import scheduler
from tests.conftest import AUTH_TOKEN, BASE_URL
from tickets import service as tickets

MSK = ZoneInfo("Europe/Moscow")
FRIDAY_EVENING = datetime(2026, 11, 27, 20, 0, tzinfo=MSK)
MONDAY_0930 = datetime(2026, 11, 30, 9, 30, tzinfo=MSK)
REPO = Path(__file__).resolve().parents[2]
_sids = itertools.count(1)


# --- helpers ------------------------------------------------------------------------------------


def add_operators(org, count: int, first: int) -> list[User]:
    """More operators on callback duty, Monday to Friday 9:00-18:00."""
    people = []
    for n in range(first, first + count):
        user = User(organization_id=org.id, username=f"op{n}", name=f"Оператор {n}",
                    phone=f"+7999100{n:04d}", roles=["operator"])
        db.session.add(user)
        db.session.flush()
        for weekday in range(5):
            org.slots.append(DutySlot(user_id=user.id, weekday=weekday, start=datetime.min.time()
                                      .replace(hour=9), end=datetime.min.time().replace(hour=18),
                                      kind=DutyKind.CALLBACKS))
        people.append(user)
    db.session.commit()
    return people


def messages(org, count: int) -> list[int]:
    """Voice messages left on Friday evening: their callbacks are due on Monday morning."""
    ids = []
    with time_machine.travel(FRIDAY_EVENING, tick=False):
        for _ in range(count):
            sid = f"CAp{next(_sids):031d}"
            tickets.record_call(sid, org=org, from_number="+79161234567", to_number=None)
            ticket = tickets.open_ticket(org=org, call_sid=sid, caller_number="+79161234567",
                                         role="parent", topic="grades")
            ids.append(callbacks.request_callback(ticket, policy=policy()).id)
    return ids


def statuses(app) -> dict[int, str]:
    with app.app_context():
        return {cb.id: str(cb.status) for cb in db.session.scalars(select(Callback))}


def wait_for(condition, timeout: float = 30, every: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {condition.__name__}")


# --- when a scheduler starts ------------------------------------------------------------------------


@pytest.fixture
def live(app):
    """The app as a server would run it (not TESTING, the scheduler enabled)."""
    app.config.update(TESTING=False, SCHEDULER_ENABLED=True)
    yield app
    app.config.update(TESTING=True, SCHEDULER_ENABLED=False)


def test_no_scheduler_in_tests_or_when_disabled(app, live):
    assert scheduler.should_start(live)  # a WSGI server: no CLI around
    live.config["SCHEDULER_ENABLED"] = False
    assert not scheduler.should_start(live)
    live.config.update(SCHEDULER_ENABLED=True, TESTING=True)
    assert not scheduler.should_start(live)


@pytest.mark.parametrize("command", ["db", "shell", "scheduler", "demo", "call"])
def test_no_embedded_scheduler_for_other_commands(live, command):
    with click.Context(click.Command(command), info_name=command):
        assert not scheduler.should_start(live)


def test_helpline_run_starts_one_scheduler_also_under_the_reloader(live, monkeypatch):
    monkeypatch.delenv("WERKZEUG_RUN_MAIN", raising=False)
    with click.Context(click.Command("run"), info_name="run") as context:
        context.params["reload"] = False
        assert scheduler.should_start(live)
        context.params["reload"] = True  # the reloader's watcher process: not here
        assert not scheduler.should_start(live)
        monkeypatch.setenv("WERKZEUG_RUN_MAIN", "true")  # the child that serves: here
        assert scheduler.should_start(live)


def test_job_specs_use_coalesce_and_a_grace_time(app):
    specs = {spec.id: spec for spec in scheduler.job_specs(app)}
    assert set(specs) >= {"callbacks.dial_due", "callbacks.retries", "tickets.sla_watch",
                          "digest.nightly", "retention.nightly"}
    assert scheduler.JOB_DEFAULTS == {"coalesce": True, "max_instances": 1,
                                      "misfire_grace_time": 300}
    assert all(spec.misfire_grace_time >= 60 for spec in specs.values())


def test_the_retention_hook_runs_registered_tasks(app):
    seen = []

    def purge(the_app):
        seen.append(the_app)

    scheduler.retention_task(purge)
    try:
        assert scheduler.run_retention(app) >= 1 and seen == [app]
    finally:
        scheduler.RETENTION_TASKS.remove(purge)


# --- the SQLite lease ---------------------------------------------------------------------------


def test_the_lease_lets_one_holder_at_a_time(app):
    with app.app_context():
        engine = db.engine
    one = scheduler.LeaseLock(engine, "one", timedelta(seconds=30))
    two = scheduler.LeaseLock(engine, "two", timedelta(seconds=30))
    with time_machine.travel(MONDAY_0930, tick=False):
        assert one.acquire()
        assert not two.acquire()
        assert one.renew() and one.acquire()
        one.release()
        assert two.acquire()
        assert not one.acquire()
    # The holder died without a word: after the lease runs out the other takes over.
    with time_machine.travel(MONDAY_0930 + timedelta(seconds=31), tick=False):
        assert one.acquire()
        assert not two.renew()


def test_lock_for_picks_the_lease_on_sqlite(app):
    with app.app_context():
        lock = scheduler.lock_for(db.engine, "x", timedelta(seconds=5))
        postgres = db.engine.dialect.name == "postgresql"
    expected = scheduler.AdvisoryLock if postgres else scheduler.LeaseLock
    assert isinstance(lock, expected)


# --- the scheduler restarted mid-way loses nothing -----------------------------------------------


def test_a_restarted_scheduler_loses_nothing_and_rings_nothing_twice(app, demo):
    app.config.update(SCHEDULER_TICK_SECONDS=1, SCHEDULER_LOCK_RETRY_SECONDS=0.2,
                      SCHEDULER_LEASE_SECONDS=2, SCHEDULER_TRANSCRIBE=False)
    with app.app_context():
        org = org_service.find_by_number("+74950000019")
        add_operators(org, 3, first=1)
        before = messages(org, 4)  # four operators: all four rung in one tick
    traveller = time_machine.travel(MONDAY_0930, tick=True)
    traveller.start()
    first = second = None
    try:
        first = scheduler.Runner(app).start()
        wait_for(lambda: set(statuses(app).values()) == {"dialing"})
        with app.app_context():
            stored = db.session.execute(text(
                f"SELECT id FROM {scheduler.JOBSTORE_TABLE} ORDER BY id")).scalars().all()
        assert "callbacks.dial_due" in stored and "tickets.transcribe" not in stored
        crash(first)
        # Meanwhile: new messages whose callbacks are due, and operators to take them.
        with app.app_context():
            org = org_service.find_by_number("+74950000019")
            add_operators(org, 3, first=10)
            after = messages(org, 3)
        second = scheduler.Runner(app).start()
        if isinstance(second.lock, scheduler.LeaseLock):
            time.sleep(0.5)
            assert second.state == "waiting"  # the dead one's lease has not run out yet
        wait_for(lambda: all(statuses(app)[i] == "dialing" for i in after))
        with app.app_context():
            jobs_now = db.session.execute(text(
                f"SELECT id FROM {scheduler.JOBSTORE_TABLE} ORDER BY id")).scalars().all()
            assert jobs_now == stored  # rebuilt from the store, not duplicated
            school = org_service.find_by_number("+74950000019")
            assert db.session.get(CallbackPlanState, school.id) is not None  # caught up
    finally:
        for runner in (first, second):
            if runner is not None:
                runner.stop()
        traveller.stop()
    rung = [call.url for call in app.extensions["telephony"].placed]
    assert len(rung) == len(set(rung)) == 7
    with app.app_context():
        per_callback = db.session.execute(
            select(CallbackAttempt.callback_id, func.count()).group_by(CallbackAttempt.callback_id)
        ).all()
    assert sorted(per_callback) == [(i, 1) for i in sorted(before + after)]


def crash(runner: scheduler.Runner) -> None:
    """Stop as a killed process would: no goodbye to the lock."""
    if isinstance(runner.lock, scheduler.LeaseLock):
        runner.lock.held = False  # the lease row stays until it runs out
    else:
        connection, runner.lock.connection = runner.lock.connection, None
        connection.invalidate()  # PostgreSQL frees the lock with the session
        connection.close()
    runner.stop()


def test_the_runner_gives_the_lock_back_on_stop(app, demo):
    app.config.update(SCHEDULER_TICK_SECONDS=1, SCHEDULER_LOCK_RETRY_SECONDS=0.2,
                      SCHEDULER_TRANSCRIBE=False)
    runner = scheduler.Runner(app).start()
    try:
        wait_for(lambda: runner.state == "running")
    finally:
        runner.stop()
    assert runner.state == "stopped"
    other = scheduler.Runner(app)
    assert other.lock.acquire()
    other.lock.release()


# --- PostgreSQL: real processes ----------------------------------------------------------------------


CHILD = r"""
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine

time_machine.travel(datetime(2026, 11, 30, 9, 30, tzinfo=ZoneInfo("Europe/Moscow")),
                    tick=True).start()
from helpline.cli import main

sys.argv = ["helpline", "scheduler"]
main()
"""


def pg_app(url, tmp_path, name):
    from helpline.app import create_app

    return create_app({
        "TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": url,
        "DATA_DIR": str(tmp_path / name), "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "PUBLIC_URL": BASE_URL, "SCHEDULER_ENABLED": False,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    })


def start_scheduler(url, data_dir: Path, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "HELPLINE_DATABASE_URL": url, "HELPLINE_DATA_DIR": str(data_dir),
        "HELPLINE_SECRET_KEY": "x", "HELPLINE_PUBLIC_URL": BASE_URL,
        "HELPLINE_TWILIO_AUTH_TOKEN": AUTH_TOKEN, "HELPLINE_TELEPHONY": "local",
        "HELPLINE_SCHEDULER_TICK_SECONDS": "1", "HELPLINE_SCHEDULER_LOCK_RETRY_SECONDS": "0.3",
        "HELPLINE_SCHEDULER_TRANSCRIBE": "false", "HELPLINE_LOG_LEVEL": "INFO",
    }
    env.pop("HELPLINE_TEST_DATABASE_URL", None)
    handle = log.open("w")
    try:
        return subprocess.Popen([sys.executable, "-c", CHILD], cwd=log.parent, env=env,
                                stdout=handle, stderr=subprocess.STDOUT)
    finally:
        handle.close()


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def outbox(data_dir: Path) -> list[dict]:
    path = data_dir / "telephony" / "outbox.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.mark.postgres
def test_two_scheduler_processes_never_ring_the_same_callback_twice(postgres_url, tmp_path):
    app = pg_app(postgres_url, tmp_path, "setup")
    with app.app_context():
        db.create_all()
        from helpline.demo import load_demo

        load_demo("demo-password")
        org = org_service.find_by_number("+74950000019")
        add_operators(org, 9, first=1)
        first_batch = messages(org, 10)
    data_dir = tmp_path / "shared-data"
    log_a, log_b = tmp_path / "a.log", tmp_path / "b.log"
    a = start_scheduler(postgres_url, data_dir, log_a)
    b = None
    try:
        wait_for(lambda: "holds the lock: starting" in log_a.read_text())
        b = start_scheduler(postgres_url, data_dir, log_b)
        wait_for(lambda: "waits" in log_b.read_text())
        wait_for(lambda: all(statuses(app)[i] == "dialing" for i in first_batch))
        assert "holds the lock: starting" not in log_b.read_text()
        stop(a)  # the second takes over
        wait_for(lambda: "holds the lock: starting" in log_b.read_text())
        with app.app_context():
            org = org_service.find_by_number("+74950000019")
            add_operators(org, 5, first=20)
            second_batch = messages(org, 5)
        wait_for(lambda: all(statuses(app)[i] == "dialing" for i in second_batch))
    finally:
        stop(a)
        if b is not None:
            stop(b)
    assert a.returncode == 0 and b.returncode == 0, log_a.read_text() + log_b.read_text()
    calls = outbox(data_dir)
    assert len(calls) == 15 and len({c["url"] for c in calls}) == 15
    with app.app_context():
        per_callback = dict(db.session.execute(
            select(CallbackAttempt.callback_id, func.count()).group_by(CallbackAttempt.callback_id)
        ).all())
        assert per_callback == {i: 1 for i in first_batch + second_batch}
        tables = inspect(db.engine).get_table_names()
        assert scheduler.JOBSTORE_TABLE in tables
        db.session.remove()
        db.engine.dispose()


@pytest.mark.postgres
def test_even_without_the_lock_a_claim_is_taken_once(postgres_url, tmp_path):
    """Belt and braces: two dialers racing on PostgreSQL (separate engines and connections)."""
    one, two = pg_app(postgres_url, tmp_path, "one"), pg_app(postgres_url, tmp_path, "two")
    with one.app_context():
        db.create_all()
        from helpline.demo import load_demo

        load_demo("demo-password")
        org = org_service.find_by_number("+74950000019")
        add_operators(org, 19, first=1)
        due = messages(org, 20)
    barrier = threading.Barrier(2)
    errors = []

    def tick(app):
        try:
            barrier.wait()
            with time_machine.travel(MONDAY_0930, tick=True):
                for _ in range(3):
                    jobs.dial_due_callbacks(app)
        except Exception as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=tick, args=(app,)) for app in (one, two)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    placed = one.extensions["telephony"].placed + two.extensions["telephony"].placed
    assert len(placed) == 20 and len({call.url for call in placed}) == 20
    with one.app_context():
        assert all(statuses(one)[i] == str(CallbackStatus.DIALING) for i in due)
    for app in (one, two):
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.mark.postgres
def test_the_advisory_lock_is_held_by_one_connection(postgres_url, tmp_path):
    one, two = pg_app(postgres_url, tmp_path, "one"), pg_app(postgres_url, tmp_path, "two")
    with one.app_context():
        first = scheduler.AdvisoryLock(db.engine)
    with two.app_context():
        second = scheduler.AdvisoryLock(db.engine)
    assert first.acquire()
    assert not second.acquire()
    assert first.renew()
    first.release()
    assert second.acquire()
    second.release()
    for app in (one, two):
        with app.app_context():
            db.engine.dispose()


# --- the command ------------------------------------------------------------------------------------


def test_helpline_scheduler_once_runs_every_job_under_the_lock(app, demo, tmp_path):
    from click.testing import CliRunner

    from helpline.cli import cli

    with app.app_context():
        org = org_service.find_by_number("+74950000019")
        [callback_id] = messages(org, 1)
    env = {
        "HELPLINE_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "HELPLINE_DATA_DIR": str(tmp_path / "cli-data"), "HELPLINE_SECRET_KEY": "x",
        "HELPLINE_PUBLIC_URL": BASE_URL, "HELPLINE_SCHEDULER_TRANSCRIBE": "false",
    }
    with time_machine.travel(MONDAY_0930, tick=False):
        result = CliRunner().invoke(cli, ["scheduler", "--once"], env=env)
    assert result.exit_code == 0, result.output
    assert f"callbacks.dial_due: [{callback_id}]" in result.output
    assert "tickets.sla_watch: []" in result.output
    assert statuses(app)[callback_id] == "dialing"
    assert len(outbox(tmp_path / "cli-data")) == 1


def policy():
    """The application's callback policy, as the views and jobs pass it."""
    from core import settings

    return settings.current().callbacks
