"""The one background scheduler: APScheduler 3 with its jobs kept in the application database.

Exactly one scheduler runs against a database. Whoever wants to run it (the embedded one
inside ``helpline run``, every gunicorn worker, ``helpline scheduler``) first takes a
database lock: a PostgreSQL advisory lock held by one dedicated connection, or on SQLite a
lease row renewed every few seconds. The others wait, checking now and then, and take over
when the holder stops or dies; so a second instance waits instead of double-dialling.

The database is the truth: jobs are plain functions over the database (the callbacks that
are due, the tickets near their due instant), so a job that runs late, twice, or after a
restart does no harm. On start the job store is reconciled with ``job_specs`` (missing jobs
added, changed ones replaced, unknown ones removed) and the recovery job runs at once.

Job settings (APScheduler 3): ``coalesce`` folds runs missed while the scheduler was down
into one; ``max_instances=1`` never runs a job beside itself; ``misfire_grace_time`` is how
late a run may still start (APScheduler's default is one second, too strict for a process
that may pause or restart).
"""

from __future__ import annotations

import atexit
import importlib
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, cast

import click
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask
from flask.helpers import get_debug_flag
from sqlalchemy import String, Table, insert, or_, select, text, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.pool import NullPool
from werkzeug.serving import is_running_from_reloader

from core import clock
from core.extensions import Base, db
from core.types import UTCDateTime

log = logging.getLogger(__name__)

JOBSTORE_TABLE = "apscheduler_jobs"  # created by APScheduler; not in our models or migrations
LOCK_NAME = "scheduler"
ADVISORY_KEY = 0x48454C50_4C494E45  # "HELPLINE": one lock per PostgreSQL database
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 300}

# Functions the nightly retention job calls, each with the app (the retention issue adds its
# own: delete audio past Organization.retention_days). Register with `retention_task`.
RETENTION_TASKS: list[Callable[[Flask], Any]] = []


class SchedulerLease(Base):
    """Who runs the scheduler, and until when (the lock on databases without advisory locks)."""

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime())


# --- the jobs ----------------------------------------------------------------------------------


LEASES = cast(Table, SchedulerLease.__table__)  # a mapped class's table is a Table

@dataclass(frozen=True)
class JobSpec:
    id: str
    target: str  # "module:function", called with the app
    trigger: IntervalTrigger | CronTrigger
    misfire_grace_time: int = JOB_DEFAULTS["misfire_grace_time"]
    enabled: bool = True


def job_specs(app: Flask) -> list[JobSpec]:
    """The scheduler's jobs; the database decides what each one does when it runs."""
    cfg = app.config
    tick = float(cfg.get("SCHEDULER_TICK_SECONDS", 30))
    return [
        # Callbacks whose planned time has come (retries are callbacks planned again).
        JobSpec("callbacks.dial_due", "callbacks.jobs:dial_due_callbacks",
                IntervalTrigger(seconds=tick, timezone=UTC), misfire_grace_time=60),
        # Retries' upkeep: calls the telephony went quiet about, schedule changes, SMS.
        JobSpec("callbacks.retries", "callbacks.jobs:retries",
                IntervalTrigger(seconds=max(tick, 60.0), timezone=UTC)),
        # What the database refused during an outage (the spool), then every promised
        # callback not planned yet (fallback and spooled tickets, status-callback-only ones).
        JobSpec("tickets.spool", "tickets.jobs:replay_spool",
                IntervalTrigger(seconds=max(tick, 60.0), timezone=UTC), misfire_grace_time=60),
        JobSpec("callbacks.plan_missing", "callbacks.jobs:plan_missing_callbacks",
                IntervalTrigger(seconds=max(tick, 60.0), timezone=UTC), misfire_grace_time=60),
        # The caller's confirmation SMS, right after the message (when enabled).
        JobSpec("callbacks.confirmations", "callbacks.jobs:send_confirmations",
                IntervalTrigger(seconds=min(tick, 15.0), timezone=UTC)),
        JobSpec("tickets.sla_watch", "callbacks.jobs:sla_watch",
                IntervalTrigger(minutes=5, timezone=UTC)),
        # Hourly; each organization gets its digest once, at its own local DIGEST_HOUR.
        JobSpec("digest.nightly", "callbacks.jobs:nightly_digest",
                CronTrigger(minute=5, timezone=UTC), misfire_grace_time=3600),
        JobSpec("retention.nightly", "helpline.scheduler:run_retention",
                CronTrigger(hour=0, minute=30, timezone=UTC), misfire_grace_time=6 * 3600),
        # The embedded transcription worker (a separate `helpline worker` may run as well:
        # recordings are claimed with leases).
        JobSpec("tickets.transcribe", "tickets.jobs:run_pending",
                IntervalTrigger(seconds=max(tick, 15.0), timezone=UTC),
                enabled=bool(cfg.get("SCHEDULER_TRANSCRIBE", True))),
    ]


_app: Flask | None = None  # the app whose scheduler runs in this process


def run_job(target: str) -> Any:
    """Run one job function with this process's app (what the job store keeps a reference to)."""
    if _app is None:
        log.warning("job %s fired with no application; skipped", target)
        return None
    module, _, name = target.partition(":")
    function = getattr(importlib.import_module(module), name)
    return function(_app)


def retention_task(function: Callable[[Flask], Any]) -> Callable[[Flask], Any]:
    """Register a function for the nightly retention job (usable as a decorator)."""
    if function not in RETENTION_TASKS:
        RETENTION_TASKS.append(function)
    return function


def run_retention(app: Flask) -> int:
    """The nightly retention hook: run every registered task; return how many ran."""
    ran = 0
    for task in list(RETENTION_TASKS):
        try:
            task(app)
            ran += 1
        except Exception:
            log.exception("retention task %s failed", getattr(task, "__name__", task))
    return ran


# --- the lock ------------------------------------------------------------------------------------


class DatabaseLock(Protocol):
    def acquire(self) -> bool: ...

    def renew(self) -> bool: ...

    def release(self) -> None: ...


class AdvisoryLock:
    """PostgreSQL: a session advisory lock, held as long as our dedicated connection lives."""

    def __init__(self, engine: Engine, key: int = ADVISORY_KEY) -> None:
        self.engine, self.key = engine, key
        self.connection: Connection | None = None

    def acquire(self) -> bool:
        if self.connection is not None:
            return self.renew()
        connection = self.engine.connect()
        try:
            got = bool(connection.execute(text("SELECT pg_try_advisory_lock(:key)"),
                                          {"key": self.key}).scalar())
            connection.commit()
        except SQLAlchemyError:
            connection.invalidate()
            connection.close()
            raise
        if got:
            self.connection = connection
        else:
            connection.close()
        return got

    def renew(self) -> bool:
        """The lock lives as long as the connection: check that it still does."""
        if self.connection is None:
            return False
        try:
            self.connection.execute(text("SELECT 1"))
            self.connection.commit()
            return True
        except SQLAlchemyError:
            self._discard()
            return False

    def release(self) -> None:
        if self.connection is None:
            return
        try:
            self.connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
            self.connection.commit()
            self.connection.close()
        except SQLAlchemyError:
            self._discard()  # closing the session releases the lock anyway
        self.connection = None

    def _discard(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            connection.invalidate()
            connection.close()


class LeaseLock:
    """Any other database (SQLite): a row saying who runs the scheduler until when."""

    def __init__(self, engine: Engine, owner: str, ttl: timedelta,
                 name: str = LOCK_NAME) -> None:
        self.engine, self.owner, self.ttl, self.name = engine, owner, ttl, name
        self.held = False

    def acquire(self) -> bool:
        now = clock.now()
        table = LEASES
        with self.engine.begin() as connection:
            taken = connection.execute(
                update(table)
                .where(table.c.name == self.name,
                       or_(table.c.owner == self.owner, table.c.expires_at < now))
                .values(owner=self.owner, expires_at=now + self.ttl, acquired_at=now)
            ).rowcount == 1
            exists = taken or connection.execute(
                select(table.c.name).where(table.c.name == self.name)
            ).first() is not None
        if not exists:
            try:
                with self.engine.begin() as connection:
                    connection.execute(insert(table).values(
                        name=self.name, owner=self.owner, expires_at=now + self.ttl,
                        acquired_at=now))
                taken = True
            except IntegrityError:
                taken = False
        self.held = taken
        return taken

    def renew(self) -> bool:
        now = clock.now()
        table = LEASES
        try:
            with self.engine.begin() as connection:
                renewed = connection.execute(
                    update(table)
                    .where(table.c.name == self.name, table.c.owner == self.owner)
                    .values(expires_at=now + self.ttl)
                ).rowcount == 1
        except SQLAlchemyError:
            log.exception("could not renew the scheduler lease")
            renewed = False
        self.held = renewed
        return renewed

    def release(self) -> None:
        if not self.held:
            return
        table = LEASES
        try:
            with self.engine.begin() as connection:
                connection.execute(
                    update(table)
                    .where(table.c.name == self.name, table.c.owner == self.owner)
                    .values(expires_at=clock.now() - timedelta(seconds=1))
                )
        except SQLAlchemyError:
            log.exception("could not release the scheduler lease")
        self.held = False


def lock_for(engine: Engine, owner: str, ttl: timedelta) -> DatabaseLock:
    """The right lock for the database: advisory on PostgreSQL, a lease row elsewhere."""
    if engine.dialect.name == "postgresql":
        return AdvisoryLock(engine)
    return LeaseLock(engine, owner, ttl)


# --- the runner ------------------------------------------------------------------------------


def instance_name() -> str:
    """Who this scheduler is (host, process, a random tag), as the lease records it."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass
class Runner:
    """Wait for the lock, run the scheduler while holding it, stop when told or when it is lost."""

    app: Flask
    owner: str = field(default_factory=instance_name)
    stopping: threading.Event = field(default_factory=threading.Event)
    scheduler: BackgroundScheduler | None = None
    thread: threading.Thread | None = None
    state: str = "new"  # new, waiting, running, stopped

    def __post_init__(self) -> None:
        cfg = self.app.config
        self.retry = float(cfg.get("SCHEDULER_LOCK_RETRY_SECONDS", 5))
        self.ttl = timedelta(seconds=float(cfg.get("SCHEDULER_LEASE_SECONDS", 30)))
        with self.app.app_context():
            self.engine = db.engine
        self.lock = lock_for(self.engine, self.owner, self.ttl)
        self.running = threading.Event()

    def start(self) -> Runner:
        """Run in a background thread (the embedded scheduler)."""
        self.thread = threading.Thread(target=self.run, name="helpline-scheduler", daemon=True)
        self.thread.start()
        return self

    def run(self) -> None:
        """Wait for the lock and run the scheduler until stop() (blocks)."""
        waiting_said = False
        try:
            while not self.stopping.is_set():
                if self._acquire():
                    waiting_said = False
                    try:
                        self._serve()
                    except Exception:  # keep the process alive: wait, then try again
                        log.exception("scheduler %s failed; retrying", self.owner)
                        self._stop_scheduler()
                        self.lock.release()
                        self.stopping.wait(self.retry)
                    continue
                if not waiting_said:
                    log.info("another scheduler holds the lock; %s waits", self.owner)
                    waiting_said = True
                self.state = "waiting"
                self.stopping.wait(self.retry)
        finally:
            self._stop_scheduler()
            self.lock.release()
            self.state = "stopped"

    def _acquire(self) -> bool:
        try:
            return self.lock.acquire()
        except SQLAlchemyError:
            log.exception("scheduler lock: the database did not answer")
            return False

    def _serve(self) -> None:
        log.info("scheduler %s holds the lock: starting", self.owner)
        self._start_scheduler()
        renew_every = min(self.retry, self.ttl.total_seconds() / 3)
        while not self.stopping.wait(renew_every):
            if not self.lock.renew():
                log.error("scheduler %s lost its lock: stopping its jobs", self.owner)
                break
        self._stop_scheduler()
        self.lock.release()

    def _start_scheduler(self) -> None:
        global _app
        _app = self.app
        # The job store gets its own engine: APScheduler disposes of it on shutdown (before
        # its own thread has finished with it), so it must neither be the application's pool
        # nor keep a pool at all.
        store = SQLAlchemyJobStore(url=self.engine.url.render_as_string(hide_password=False),
                                   tablename=JOBSTORE_TABLE,
                                   engine_options={"poolclass": NullPool})
        scheduler = BackgroundScheduler(
            jobstores={"default": store},
            executors={"default": ThreadPoolExecutor(4)},
            job_defaults=JOB_DEFAULTS,
            timezone=UTC,
        )
        scheduler.start(paused=True)
        rebuild(scheduler, job_specs(self.app))
        scheduler.resume()
        self.scheduler = scheduler
        self.state = "running"
        self.running.set()

    def _stop_scheduler(self) -> None:
        if self.scheduler is not None:
            try:
                self.scheduler.shutdown(wait=True)
            except Exception:  # already stopped
                log.exception("scheduler shutdown failed")
            self.scheduler = None
        self.running.clear()

    def stop(self, timeout: float = 15) -> None:
        """Stop the scheduler and give the lock back."""
        self.stopping.set()
        if self.thread is not None and self.thread is not threading.current_thread():
            self.thread.join(timeout)


def rebuild(scheduler: BackgroundScheduler, specs: list[JobSpec]) -> None:
    """Make the job store hold exactly these jobs, and catch up with the time no scheduler ran.

    Interval jobs (ticks over the database) run at once. A cron job whose definition did not
    change keeps its stored next run time, so a run missed while no scheduler was up still
    happens (once, coalesced) within its misfire grace time; a stored time later than the
    trigger's next one (a clock set back) is corrected.
    """
    now = clock.now()
    wanted = {spec.id: spec for spec in specs if spec.enabled}
    stored = {job.id: job for job in scheduler.get_jobs()}
    for job_id, job in stored.items():
        if job_id not in wanted:
            job.remove()
    for spec in wanted.values():
        job = stored.get(spec.id)
        same = (job is not None and str(job.trigger) == str(spec.trigger)
                and tuple(job.args) == (spec.target,)
                and job.misfire_grace_time == spec.misfire_grace_time)
        if not same:
            job = scheduler.add_job(
                run_job, spec.trigger, args=(spec.target,), id=spec.id, name=spec.target,
                replace_existing=True, misfire_grace_time=spec.misfire_grace_time,
            )
        if isinstance(spec.trigger, IntervalTrigger):
            job.modify(next_run_time=now)
            continue
        expected = spec.trigger.get_next_fire_time(None, now)
        if job.next_run_time is None or (expected and job.next_run_time > expected):
            job.modify(next_run_time=expected)


# --- start-up ------------------------------------------------------------------------------------


def should_start(app: Flask) -> bool:
    """Whether this process runs the embedded scheduler.

    Not in tests or with SCHEDULER_ENABLED off; under the Flask CLI only for `run` (not for
    `db upgrade`, `shell`, `scheduler`...), and with the reloader only in its child process,
    so `helpline run --debug` starts one scheduler, not two. A WSGI server (gunicorn) starts
    one per worker: the lock keeps all but one of them waiting.
    """
    cfg = app.config
    if cfg.get("TESTING") or not cfg.get("SCHEDULER_ENABLED", True):
        return False
    context = click.get_current_context(silent=True)
    if context is None:
        return True
    if context.info_name != "run":
        return False
    reload = context.params.get("reload")
    if reload is None:
        reload = app.debug or get_debug_flag()
    return not reload or is_running_from_reloader()


def init_app(app: Flask) -> Runner:
    """Start the embedded scheduler in a background thread (it waits for the lock)."""
    runner = Runner(app).start()
    app.extensions["scheduler"] = runner
    atexit.register(runner.stop)
    return runner
