"""A region's day on this machine, time compressed. By hand:

    .venv/bin/python benchmarks/region_day.py [--quick] [--factor F] [--nodes 3]
        [--web-workers 2] [--schools 1500] [--calls 30000] [--messages 8000]
        [--from-hour 0] [--hours 24] [--drain 60] [--seed 1]

The day: 1,500 schools in Russia's 11 time zones (Europe/Kaliningrad ... Asia/Kamchatka),
on Wednesday 2 September 2026, the first school week. The simulated window is the 24 hours
from 18:00 UTC on 1 September (06:00 in Kamchatka) to 18:00 UTC on 2 September (21:00 in
Moscow), so each school lives every local hour once. Calls arrive open-loop: a Poisson
process per school and hour whose rate is the day's call count times the school's size
times its local hour's share (HOURS: the September morning peak at 9-10, a second one in
the evening when parents are home); about 30,000 calls, 8,000 of them voice messages, the
rest hearing the schedule, talking to a consultant on duty or hanging up.

What runs, on a throw-away PostgreSQL database: --nodes gunicorn web nodes (processes on
their own ports, --web-workers each), two `helpline worker` transcription workers with the
real whisper-base engine (`helpline models path`), one `helpline scheduler`; telephony is
local (recordings are files, outbound calls go to the outbox and nobody answers, so a rung
callback is settled by the recovery job after CALLBACK_STALE_MINUTES, set to 8). Every
process reads the same compressed clock (benchmarks/compressed_clock.py); the load
generator (asyncio + aiohttp, in this process) posts each call's webhooks signed as Twilio
signs them, round-robin over the nodes, at the compressed instants, with the caller's
pauses compressed too. Default factor: the window in ~10 minutes (144x); --quick: the
morning peak slice (05:00-09:00 UTC) at the same factor, ~2 minutes.

Printed: webhook latency percentiles per step; per simulated hour the calls, requests,
p50/p99, CPU of the web nodes / PostgreSQL / workers / the machine, database connections and
the untranscribed messages, observed and as they would be in real time (the workers'
measured throughput against the day's arrivals; 8,000 real decodes do not fit in the run);
callbacks planned vs due vs dialed late; SLA misses (2 working days); what saturates first.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import math
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import wave
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.webhooks import ADMIN_PG, stop, wait_port  # noqa: E402

# Russia's 11 zones and the share of the region's schools in each (by population, roughly).
ZONES: tuple[tuple[str, float], ...] = (
    ("Europe/Kaliningrad", 0.02), ("Europe/Moscow", 0.40), ("Europe/Samara", 0.06),
    ("Asia/Yekaterinburg", 0.12), ("Asia/Omsk", 0.06), ("Asia/Krasnoyarsk", 0.10),
    ("Asia/Irkutsk", 0.07), ("Asia/Yakutsk", 0.04), ("Asia/Vladivostok", 0.08),
    ("Asia/Magadan", 0.02), ("Asia/Kamchatka", 0.03),
)
# Weight of each local hour in the first school week: the morning peak (journals and
# passwords that do not work), lessons, the evening (parents home), a quiet night.
HOURS: tuple[float, ...] = (0.1, 0.05, 0.05, 0.05, 0.05, 0.2, 0.8, 3.0, 7.0, 9.0, 8.5, 7.0,
                            6.0, 5.5, 5.0, 4.5, 4.5, 5.0, 5.5, 6.0, 5.0, 3.0, 1.2, 0.4)
DAY_START = datetime(2026, 9, 1, 18, 0, tzinfo=UTC)  # 06:00 in Kamchatka, 21:00 in Moscow
WINDOW_HOURS = 24
# What the callers who do not leave a message do: hear the schedule, talk to a consultant on
# duty (out of hours they hang up at the message prompt), hang up at the greeting.
OTHER_KINDS = (("live", 0.55), ("info", 0.30), ("hangup", 0.15))
QUICK_HOURS = (5, 4)  # 05:00-09:00 UTC: Moscow 08-12, the Urals and Siberia's late morning

TOKEN = "region-day-local-token-0123456789abcdef"
PUBLIC = "https://region.example.test"
BASE_PORT = 18201
STEPS = ("voice", "role", "topic", "dialed", "recorded", "recording-status", "status")
APOLOGY = "произошла техническая ошибка"
MESSAGE_SECONDS = (15, 60)  # a message's length, uniform; every one plays the same sample


@dataclass(frozen=True)
class Arrival:
    at: datetime  # UTC, simulated
    school: int  # index into the schools
    kind: str  # message | live | info | hangup


@dataclass(frozen=True)
class School:
    index: int
    zone: str
    size: float  # relative number of calls


def schools(count: int, seed: int = 1) -> list[School]:
    """count schools over ZONES (largest remainder), each with a log-normal size."""
    import numpy as np

    rng = np.random.default_rng(seed)
    quotas = [count * share for _, share in ZONES]
    numbers = [math.floor(q) for q in quotas]
    for i in sorted(range(len(ZONES)), key=lambda i: quotas[i] - numbers[i],
                    reverse=True)[:count - sum(numbers)]:
        numbers[i] += 1
    zones = [zone for (zone, _), n in zip(ZONES, numbers, strict=True) for _ in range(n)]
    sizes = rng.lognormal(0.0, 0.5, count)
    return [School(i, zone, float(size)) for i, (zone, size) in enumerate(zip(zones, sizes,
                                                                              strict=True))]


def expected_rates(region: list[School], calls: float) -> list[list[float]]:
    """Expected calls of each school in each UTC hour of the window."""
    total_size = sum(s.size for s in region)
    hour_total = sum(HOURS)
    rates = []
    for school in region:
        zone = ZoneInfo(school.zone)
        rates.append([calls * school.size / total_size
                      * HOURS[(DAY_START + timedelta(hours=k)).astimezone(zone).hour] / hour_total
                      for k in range(WINDOW_HOURS)])
    return rates


def arrivals(region: list[School], calls: int, messages: int, seed: int = 1) -> list[Arrival]:
    """The day's calls: Poisson counts per school and UTC hour at expected_rates, uniform
    instants inside the hour, each call a voice message with probability messages/calls."""
    import numpy as np

    rng = np.random.default_rng(seed + 1)
    counts = rng.poisson(np.array(expected_rates(region, calls)))
    others, weights = zip(*OTHER_KINDS, strict=True)
    result = []
    for s, k in zip(*np.nonzero(counts), strict=True):
        for _ in range(int(counts[s, k])):
            offset = (int(k) + float(rng.random())) * 3600
            kind = ("message" if rng.random() < messages / calls
                    else str(rng.choice(others, p=weights)))
            result.append(Arrival(DAY_START + timedelta(seconds=offset), int(s), kind))
    result.sort(key=lambda a: a.at)
    return result


# --- the database and the processes -----------------------------------------------------------


def school_number(index: int) -> str:
    return f"+7495{7_000_000 + index:07d}"


def seed_region(url: str, data: str, region: list[School]) -> None:
    """Migrate, then bulk-insert the schools: a number, an operator and a consultant, the
    default roles and topics, consultations 2 hours a weekday (12-16 starts) and callbacks
    09-18 local. No passwords (nobody signs in), so 1,500 schools take seconds."""
    from sqlalchemy import insert

    from core import catalogue
    from core.extensions import db
    from core.models import (
        CallerRole,
        DutyKind,
        DutySlot,
        Organization,
        OrganizationPhone,
        Topic,
        User,
    )
    from helpline.app import create_app
    from helpline.demo import SCHOOLS

    env = {**os.environ, **app_env(url, data, None)}
    subprocess.run([str(ROOT / ".venv/bin/helpline"), "db", "upgrade"], cwd=ROOT, env=env,
                   check=True, capture_output=True)
    vendor = {k: v for k, v in SCHOOLS[0].items() if k.startswith("vendor")}
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "DATA_DIR": data,
                      "SCHEDULER_ENABLED": False, "VOSK_MODEL": "", "ASR_AUTODETECT": False})
    with app.app_context():
        orgs = db.session.scalars(insert(Organization).returning(
            Organization.id, sort_by_parameter_order=True), [
            {"slug": f"r{s.index:04d}", "name": f"МБОУ СОШ № {s.index + 1}",
             "short_name": f"школа № {s.index + 1}", "timezone": s.zone,
             "contact_phone": school_number(s.index), "journal_system": "Школьный портал",
             **vendor} for s in region]).all()
        db.session.execute(insert(OrganizationPhone), [
            {"organization_id": org, "number": school_number(i)} for i, org in enumerate(orgs)])
        users = db.session.scalars(insert(User).returning(User.id, sort_by_parameter_order=True), [
            {"organization_id": org, "username": f"{role}{i:04d}", "name": f"{role} {i}",
             "phone": f"+7999{(2 * i + (role == 'consultant')):07d}", "roles": [role],
             "password_hash": "!"}
            for i, org in enumerate(orgs) for role in ("operator", "consultant")]).all()
        slots = []
        for i, org in enumerate(orgs):
            operator, consultant = users[2 * i], users[2 * i + 1]
            start = 12 + i % 5
            for weekday in range(5):
                slots.append({"organization_id": org, "user_id": consultant, "weekday": weekday,
                              "start": datetime(2000, 1, 1, start).time(),
                              "end": datetime(2000, 1, 1, start + 2).time(),
                              "kind": DutyKind.CONSULTATION, "roles": [], "topics": []})
                slots.append({"organization_id": org, "user_id": operator, "weekday": weekday,
                              "start": datetime(2000, 1, 1, 9).time(),
                              "end": datetime(2000, 1, 1, 18).time(),
                              "kind": DutyKind.CALLBACKS, "roles": [], "topics": []})
        db.session.execute(insert(DutySlot), slots)
        db.session.execute(insert(CallerRole), [
            {"organization_id": org, "code": r.code, "name": r.name, "digit": r.digit,
             "keywords": list(r.keywords), "position": p}
            for org in orgs for p, r in enumerate(catalogue.ROLES)])
        db.session.execute(insert(Topic), [
            {"organization_id": org, "code": t.code, "name": t.name, "roles": list(t.roles),
             "keywords": list(t.keywords), "position": p}
            for org in orgs for p, t in enumerate(catalogue.TOPICS)])
        db.session.commit()
        db.engine.dispose()


def app_env(url: str, data: str, clock_value: str | None) -> dict:
    env = {"HELPLINE_DATABASE_URL": url, "HELPLINE_SECRET_KEY": "bench",
           "HELPLINE_TELEPHONY": "local", "HELPLINE_LOCAL_AUTH_TOKEN": TOKEN,
           "HELPLINE_PUBLIC_URL": PUBLIC, "HELPLINE_SCHEDULER_ENABLED": "false",
           "HELPLINE_DATA_DIR": data, "HELPLINE_LOG_LEVEL": "WARNING",
           "HELPLINE_CALLBACK_STALE_MINUTES": "8", "HELPLINE_SCHEDULER_TICK_SECONDS": "2",
           "HELPLINE_SCHEDULER_TRANSCRIBE": "false", "HELPLINE_ASR_AUTODETECT": "false"}
    if clock_value:
        env["HELPLINE_BENCH_CLOCK"] = clock_value
    return env


def start(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    with log.open("w") as out:
        return subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)


# --- measuring: CPU per process group, the database -----------------------------------------


def _proc_stats() -> list[tuple[int, int, str, int]]:
    """(pid, session id, command, utime + stime in ticks) of every process."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            raw = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        name = raw[raw.index("(") + 1:raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2:].split()
        found.append((int(entry.name), int(fields[3]), name, int(fields[11]) + int(fields[12])))
    return found


def _machine_busy() -> tuple[int, int]:
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


@dataclass
class Sample:
    real: float
    sim: datetime
    cpu: dict[str, float]  # group -> ticks since the previous sample
    machine: float  # busy fraction of all cores since the previous sample
    connections: dict[str, int]
    recordings: dict[str, int]


@dataclass
class Monitor:
    url: str
    groups: dict[int, str]  # session id -> group name
    to_sim: Callable[[float], datetime]
    begin: datetime
    samples: list[Sample] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        import psycopg

        name = self.url.rsplit("/", 1)[1]
        with psycopg.connect(self.url, autocommit=True) as conn:
            me = os.getpid()

            def ticks() -> dict[int, tuple[str, int]]:
                found = {}
                for pid, sid, command, used in _proc_stats():
                    group = self.groups.get(sid) or ("postgres" if command == "postgres"
                                                     else "generator" if pid == me else None)
                    if group is not None:
                        found[pid] = (group, used)
                return found

            last_ticks = ticks()  # the baseline: what ran before the day is not counted
            last_machine = _machine_busy()
            while not self.stopping.wait(1.0):
                if self.to_sim(time.time()) < self.begin:  # the start-up is not the day
                    last_ticks, last_machine = ticks(), _machine_busy()
                    continue
                cpu: dict[str, float] = defaultdict(float)
                now_ticks = ticks()
                for pid, (group, used) in now_ticks.items():
                    cpu[group] += used - last_ticks.get(pid, (group, 0))[1]
                last_ticks = now_ticks
                busy, total = _machine_busy()
                machine = (busy - last_machine[0]) / max(1, total - last_machine[1])
                last_machine = (busy, total)
                connections = dict(conn.execute(
                    "SELECT coalesce(state, '?'), count(*) FROM pg_stat_activity "
                    "WHERE datname = %s GROUP BY 1", (name,)).fetchall())
                recordings = dict(conn.execute(
                    "SELECT state, count(*) FROM recordings GROUP BY state").fetchall())
                self.samples.append(Sample(time.time(), self.to_sim(time.time()), dict(cpu),
                                           machine, connections, recordings))


# --- the callers -------------------------------------------------------------------------------


@dataclass
class Result:
    step: str
    sim: datetime
    ms: float
    status: int  # 0 = timeout or connection error
    apology: bool


class Callers:
    """Plays Twilio for each arrival: the call's webhooks at their compressed instants."""

    def __init__(self, ports: list[int], factor: float, real_start: float, wav: Path,
                 recordings: Path, seed: int) -> None:
        import random

        from twilio.request_validator import RequestValidator

        self.ports = itertools.cycle(ports)
        self.factor, self.real_start = factor, real_start
        self.wav, self.recordings = wav, recordings
        self.validator = RequestValidator(TOKEN)
        self.random = random.Random(seed)
        self.results: list[Result] = []
        self.lags: list[float] = []
        self.in_flight = 0
        self.peak_in_flight = 0

    def real(self, sim: datetime) -> float:
        return self.real_start + (sim - DAY_START).total_seconds() / self.factor

    def sim(self, real: float) -> datetime:
        return DAY_START + timedelta(seconds=(real - self.real_start) * self.factor)

    async def pause(self, seconds: float) -> None:
        await asyncio.sleep(seconds / self.factor)

    async def post(self, session, step: str, path: str, base: dict, **extra) -> str | None:
        import aiohttp

        fields = {**base, **{k: str(v) for k, v in extra.items()}}
        signature = self.validator.compute_signature(PUBLIC + path, fields)
        started = time.time()
        status, text = 0, ""
        try:
            async with session.post(f"http://127.0.0.1:{next(self.ports)}{path}", data=fields,
                                    headers={"X-Twilio-Signature": signature},
                                    timeout=aiohttp.ClientTimeout(total=15)) as response:
                status, text = response.status, await response.text()
        except (TimeoutError, aiohttp.ClientError):
            pass
        self.results.append(Result(step, self.sim(started), (time.time() - started) * 1000,
                                   status, APOLOGY in text))
        return text if status == 200 else None

    async def call(self, session, arrival: Arrival, numbers: list[str]) -> None:
        await asyncio.sleep(max(0.0, self.real(arrival.at) - time.time()))
        self.lags.append(time.time() - self.real(arrival.at))
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            await self._call(session, arrival, numbers)
        finally:
            self.in_flight -= 1

    async def _call(self, session, arrival: Arrival, numbers: list[str]) -> None:
        rnd = self.random
        base = {"CallSid": "CA" + secrets.token_hex(16), "AccountSid": "AC" + "0" * 32,
                "From": f"+79{rnd.randrange(10**9):09d}", "To": numbers[arrival.school],
                "CallStatus": "in-progress", "Direction": "inbound", "ApiVersion": "2010-04-01"}
        talked = 0
        twiml = await self.post(session, "voice", "/ivr/voice", base)
        if arrival.kind == "hangup" or twiml is None:
            await self.pause(6)
        elif arrival.kind == "info":
            await self.pause(14)
            await self.post(session, "role", "/ivr/role", base, Digits="3")
            await self.pause(40)
        else:
            await self.pause(14)
            await self.post(session, "role", "/ivr/role", base, Digits="1")
            await self.pause(10)
            twiml = await self.post(session, "topic", "/ivr/topic?role=parent", base,
                                    Digits=rnd.randint(1, 3))
            if twiml and "<Dial" in twiml:
                if arrival.kind == "live":
                    talked = rnd.randint(60, 400)
                    await self.pause(10 + talked)
                    await self.post(session, "dialed", "/ivr/dialed", base,
                                    DialCallStatus="completed", DialCallDuration=talked)
                else:
                    await self.pause(20)
                    twiml = await self.post(session, "dialed", "/ivr/dialed", base,
                                            DialCallStatus="no-answer")
            if arrival.kind == "message" and twiml and "<Record" in twiml:
                await self._message(session, base, rnd.randint(*MESSAGE_SECONDS))
            else:
                await self.pause(8)
        await self.post(session, "status", "/ivr/status", {**base, "CallStatus": "completed"},
                        CallDuration=30 + talked)

    async def _message(self, session, base: dict, seconds: int) -> None:
        sid = "RE" + secrets.token_hex(16)
        url = f"{PUBLIC}/ivr/simulator/recordings/{sid}"
        os.link(self.wav, self.recordings / f"{sid}.wav")
        await self.pause(10 + seconds)
        await self.post(session, "recorded", "/ivr/recorded", base, RecordingUrl=url,
                        RecordingDuration=seconds, Digits="#")
        await self.pause(2)
        await self.post(session, "recording-status", "/ivr/recording-status", base,
                        RecordingSid=sid, RecordingUrl=url, RecordingStatus="completed",
                        RecordingDuration=seconds, RecordingChannels=1)
        await self.pause(8)

    async def run(self, day: list[Arrival], numbers: list[str]) -> None:
        import aiohttp

        connector = aiohttp.TCPConnector(limit=2000, force_close=False)
        async with aiohttp.ClientSession(connector=connector) as session:
            await asyncio.gather(*(self.call(session, a, numbers) for a in day))


# --- the report --------------------------------------------------------------------------------


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(len(ordered) * pct / 100) - 1))]


def latency_table(results: list[Result]) -> list[str]:
    lines = [f"{'step':17} {'requests':>8} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7} "
             f"{'>15 s/err':>9} {'non-2xx':>7} {'apology':>7}"]
    for step in STEPS:
        rows = [r for r in results if r.step == step]
        if not rows:
            continue
        ms = [r.ms for r in rows]
        lines.append(f"{step:17} {len(rows):8} {percentile(ms, 50):7.0f} {percentile(ms, 95):7.0f}"
                     f" {percentile(ms, 99):7.0f} {max(ms):7.0f} "
                     f"{sum(r.status == 0 for r in rows):9} "
                     f"{sum(r.status not in (0, 200, 204) for r in rows):7} "
                     f"{sum(r.apology for r in rows):7}")
    return lines


def modeled_backlog(message_hours: list[int], per_hour: float) -> list[float]:
    """Untranscribed messages at the end of each hour in real time: arrivals against the
    workers' hourly throughput (what was left over carries to the next hour)."""
    depth, result = 0.0, []
    for arrived in message_hours:
        depth = max(0.0, depth + arrived - per_hour)
        result.append(depth)
    return result


def report(args, day, full_day, callers: Callers, monitor: Monitor, sim_end: datetime, url: str,
           throughput: dict, logs: Path, seeded: float, run_real: float) -> list[str]:
    import psycopg

    out = [f"region_day: {args.schools} schools in {len(ZONES)} zones, "
           f"{len(day)} calls ({sum(a.kind == 'message' for a in day)} meant as voice messages) "
           f"from {day[0].at:%Y-%m-%d %H:%M} to {sim_end:%Y-%m-%d %H:%M} UTC simulated, "
           f"factor {args.factor:g}, sample {args.sample:g}: {args.factor * args.sample:g}x the "
           f"real-time load ({run_real:.0f} s real); {args.nodes} web nodes x "
           f"{args.web_workers} gunicorn workers, 2 workers (whisper-base), 1 scheduler, "
           f"PostgreSQL (max_connections {throughput['max_connections']}); seeding {seeded:.0f} s;"
           f" load average before the run {args.load_before}",
           f"load generator: start lag p50 {percentile(callers.lags, 50) * 1000:.0f} ms, "
           f"p99 {percentile(callers.lags, 99) * 1000:.0f} ms; calls in flight at most "
           f"{callers.peak_in_flight}", "", "webhook latency (ms, wall clock as Twilio sees it):"]
    out += latency_table(callers.results)

    # Per simulated hour.
    hours = sorted({a.at.replace(minute=0, second=0, microsecond=0) for a in full_day})
    per_worker = throughput["per_worker_per_s"]
    def messages_per_hour(calls: list[Arrival]) -> list[int]:
        return [sum(1 for a in calls if a.kind == "message"
                    and a.at.replace(minute=0, second=0, microsecond=0) == h) for h in hours]

    message_hours = messages_per_hour(day)
    real_messages = messages_per_hour(full_day)  # the real day's, not the sample's
    model = modeled_backlog(real_messages, 2 * per_worker * 3600)
    ticks = os.sysconf("SC_CLK_TCK")
    out += ["", "per simulated hour (CPU in % of one core, averaged over the hour's samples):",
            f"{'UTC':5} {'Msk':5} {'calls':>5} {'msgs':>4} {'req':>5} {'p50':>6} {'p99':>6} "
            f"{'web':>4} {'pg':>4} {'wrkr':>4} {'sched':>5} {'gen':>4} {'mach':>4} "
            f"{'db conn':>7} {'untr.obs':>8} {'untr.real':>9}"]
    for h, msgs, modeled in zip(hours, message_hours, model, strict=True):
        end = h + timedelta(hours=1)
        rows = [r.ms for r in callers.results if h <= r.sim < end]
        samples = [s for s in monitor.samples if h <= s.sim < end]
        span = len(samples) or 1

        def cpu(group: str, samples=samples, span=span) -> float:
            return sum(s.cpu.get(group, 0) for s in samples) / ticks / span * 100

        conns = max((sum(s.connections.values()) for s in samples), default=1) - 1  # not ours
        waiting = samples[-1].recordings.get("waiting", 0) if samples else 0
        out.append(
            f"{h:%H:%M} {h.astimezone(ZoneInfo('Europe/Moscow')):%H:%M} "
            f"{sum(1 for a in day if h <= a.at < end):5} {msgs:4} {len(rows):5} "
            f"{percentile(rows, 50):6.0f} {percentile(rows, 99):6.0f} {cpu('web'):4.0f} "
            f"{cpu('postgres'):4.0f} {cpu('worker'):4.0f} {cpu('scheduler'):5.0f} "
            f"{cpu('generator'):4.0f} "
            f"{sum(s.machine for s in samples) / span * 200:4.0f} {conns:7} {waiting:8} "
            f"{modeled:9.0f}")
    total_web = sum(s.cpu.get("web", 0) for s in monitor.samples) / ticks
    offered = args.factor * args.sample
    requests = len(callers.results)
    served = sum(r.status in (200, 204) for r in callers.results)
    per_webhook = total_web / max(1, served)
    busiest = max(len([r for r in callers.results if h <= r.sim < h + timedelta(hours=1)])
                  for h in hours) / args.sample  # the real day's, not the sample's
    out += ["", f"web nodes: {total_web:.0f} CPU-seconds for {served} webhooks answered "
            f"(of {requests}) = {per_webhook * 1000:.1f} ms CPU per answered webhook (more than "
            f"one costs when callers gave up: the node still serves the abandoned ones); "
            f"PostgreSQL (all of the server's processes, other databases too): "
            f"{sum(s.cpu.get('postgres', 0) for s in monitor.samples) / ticks:.0f} CPU-seconds; "
            f"answered {served / max(1e-9, run_real):.1f} webhooks per real second",
            f"in real time (factor 1) the busiest hour is {busiest:.0f} webhooks = "
            f"{busiest / 3600:.2f}/s, {busiest / 3600 * per_webhook:.2f} cores of web CPU at the "
            f"cost measured; this run offered {offered:g} times that"]

    # Transcription.
    out += ["", "transcription (whisper-base, 2 workers, 1 thread each):",
            f"  measured under the load: {throughput['loaded']:.3f} messages/s per worker"
            f" ({throughput['loaded_done']} in {throughput['loaded_span']:.0f} s)",
            f"  measured after the load (--drain {args.drain} s): {throughput['drained']:.3f} "
            f"messages/s per worker ({throughput['drained_done']} in {args.drain} s)",
            f"  the real-time column untr.real uses {per_worker:.3f}/s per worker (the "
            f"rate after the load, scaled from the {throughput['sample_seconds']:.0f} s sample "
            f"to the day's mean message of {sum(MESSAGE_SECONDS) / 2:.1f} s): "
            f"{2 * per_worker * 3600:.0f} messages an hour for 2 workers against "
            f"{max(real_messages)} in the real day's busiest hour; left at the end of the "
            f"window: {model[-1]:.0f}, drained in "
            f"{model[-1] / max(1e-9, 2 * per_worker) / 3600:.1f} h; workers for no backlog at "
            f"the peak hour: {math.ceil(max(real_messages) / max(1e-9, per_worker * 3600))}"
            + ("; NOTE: fewer than 10 messages decoded after the load, too few to measure (use "
               "--sample and a longer --drain)" if throughput["drained_done"] < 10 else "")]

    with psycopg.connect(url) as conn:
        q = conn.execute
        tolerance = timedelta(minutes=15)
        planned, unplanned, statuses = q(
            "SELECT count(*) FILTER (WHERE planned_at IS NOT NULL), "
            "count(*) FILTER (WHERE planned_at IS NULL), "
            "string_agg(DISTINCT status, ',') FROM callbacks").fetchone()
        by_status = dict(q("SELECT status, count(*) FROM callbacks GROUP BY 1").fetchall())
        due, dialed, late, never, lateness = q(
            "WITH c AS (SELECT c.id, coalesce(c.promised_at, c.planned_at) AS promised, "
            "  (SELECT min(started_at) FROM callback_attempts a WHERE a.callback_id = c.id)"
            "  AS first FROM callbacks c) "
            "SELECT count(*) FILTER (WHERE promised <= %(end)s), "
            "count(*) FILTER (WHERE first IS NOT NULL), "
            "count(*) FILTER (WHERE promised <= %(end)s - %(tol)s "
            "  AND coalesce(first, %(end)s) > promised + %(tol)s), "
            "count(*) FILTER (WHERE promised <= %(end)s - %(tol)s AND first IS NULL), "
            "percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM first - promised))"
            " FILTER (WHERE first IS NOT NULL) FROM c",
            {"end": sim_end, "tol": tolerance}).fetchone()
        tickets, promised_none, channels = q(
            "SELECT count(*), count(*) FILTER (WHERE channel <> 'phone' AND NOT EXISTS (SELECT 1 "
            "FROM callbacks c WHERE c.ticket_id = t.id)), string_agg(DISTINCT channel, ',') "
            "FROM tickets t"
        ).fetchone()
        by_channel = dict(q("SELECT channel, count(*) FROM tickets GROUP BY 1").fetchall())
        promised_late, open_overdue = q(
            "SELECT count(*) FILTER (WHERE c.promised_at > t.sla_due_at), "
            "count(*) FILTER (WHERE t.sla_due_at < %s AND t.closed_at IS NULL) "
            "FROM tickets t LEFT JOIN callbacks c ON c.ticket_id = t.id", (sim_end,)).fetchone()
        at_risk = q("SELECT count(*) FROM callbacks WHERE at_risk").fetchone()[0]
        recordings = dict(q("SELECT state, count(*) FROM recordings GROUP BY 1").fetchall())
        attempts = q("SELECT count(*) FROM callback_attempts").fetchone()[0]
    tick_min = 2 * args.factor / 60
    kinds = ", ".join(f"{k} {v}" for k, v in sorted(by_channel.items()))
    out += ["", f"tickets: {tickets} ({kinds})"
            f"; recordings: {', '.join(f'{k} {v}' for k, v in sorted(recordings.items()))}",
            f"callbacks: {planned} planned, {unplanned} without a slot; "
            f"{due} due by {sim_end:%H:%M} UTC, {dialed} dialed ({attempts} attempts); "
            f"late (first ring > 15 simulated min after the promise, or none yet): {late}"
            f" ({never} never rung); first ring after the promise p95 "
            f"{(lateness or 0) / 60:.1f} min; the scheduler ticks every 2 s = "
            f"{tick_min:.1f} simulated min; by status: "
            f"{', '.join(f'{k} {v}' for k, v in sorted(by_status.items()))}",
            f"SLA (2 working days): {promised_late} callbacks promised after the ticket's due "
            f"instant, {at_risk} at risk (no slot in the horizon), {promised_none} "
            f"tickets promised a callback with none planned (a call answered live, channel phone,"
            f" needs none), {open_overdue} open tickets past due at the end"]
    del statuses, channels

    # What saturates first.
    errors = Counter()
    for log in logs.glob("*.log"):
        text = log.read_text(errors="replace")
        errors["pool"] += len(re.findall(r"QueuePool limit|TimeoutError: QueuePool", text))
        errors["traceback"] += text.count("Traceback")
        errors["lock timeout"] += text.count("LockNotAvailable")
        errors["worker timeout"] += text.count("WORKER TIMEOUT")
        for job in re.findall(r'Execution of job "[\w.]+:(\w+) .*skipped', text):
            errors[f"skipped {job}"] += 1
    total_conns = max((sum(s.connections.values()) for s in monitor.samples), default=1) - 1
    busy = [s for s in monitor.samples if s.machine >= 0.9]
    cores = os.cpu_count() or 1
    span = max(1, len(monitor.samples))
    ours = sum(sum(s.cpu.values()) for s in monitor.samples) / ticks / span
    machine = sum(s.machine for s in monitor.samples) / span * cores
    first_busy = busy[0].sim if busy else None
    slow = [h for h in hours if percentile(
        [r.ms for r in callers.results if h <= r.sim < h + timedelta(hours=1)], 99) > 1000]
    out += ["", "saturation:",
            f"  CPU: the machine's {cores} cores >= 90% busy in {len(busy)} of "
            f"{len(monitor.samples)} one-second samples"
            + (f", first at {first_busy:%H:%M} UTC simulated" if first_busy else "")
            + f"; on average {machine:.2f} cores busy, {ours:.2f} of them ours (web, "
            f"PostgreSQL, workers, scheduler, generator), {max(0.0, machine - ours):.2f} other "
            f"processes of the machine",
            f"  webhooks over 1 s: {sum(r.ms > 1000 for r in callers.results)}"
            + (f"; p99 over 1 s first in the hour {slow[0]:%H:%M} UTC" if slow else ""),
            f"  database connections: at most {total_conns} of max_connections "
            f"{throughput['max_connections']}; pool timeouts in the logs: {errors['pool']}, "
            f"lock timeouts {errors['lock timeout']} (a webhook that waited "
            f"WEBHOOK_DB_TIMEOUT for a row), tracebacks {errors['traceback']}, gunicorn worker "
            f"timeouts "
            f"{errors['worker timeout']}",
            "  scheduler: ticks skipped because the job's previous run was still going: "
            + (", ".join(f"{k.split()[1]} {v}" for k, v in sorted(errors.items())
                         if k.startswith("skipped")) or "none"),
            f"  transcription: {recordings.get('waiting', 0)} messages still waiting at the end "
            f"of the run (compressed), {model[-1]:.0f} in real time"]
    saturated_hours = [h for h in hours if sum(
        s.machine >= 0.9 for s in monitor.samples if h <= s.sim < h + timedelta(hours=1))
        > 0.5 * max(1, sum(1 for s in monitor.samples if h <= s.sim < h + timedelta(hours=1)))]
    skipped = errors["skipped dial_due_callbacks"] + errors["skipped retries"]
    if saturated_hours and slow:
        here = (f"CPU: the machine's cores, busy from {saturated_hours[0]:%H:%M} UTC simulated "
                f"({machine - ours:.2f} cores taken by other processes), the web nodes' queue "
                f"growing (p99 over 1 s from {slow[0]:%H:%M})"
                + (f"; the scheduler skipped {skipped} ticks (its runs outlast the tick)"
                   if skipped else ""))
    elif total_conns >= 0.9 * throughput["max_connections"] or errors["pool"]:
        here = "database connections"
    elif slow:
        here = f"p99 over 1 s from {slow[0]:%H:%M} UTC without the CPU saturated"
    else:
        here = "nothing: the web nodes, the database and the scheduler kept up"
    web_cores = busiest / 3600 * per_webhook
    backlog_at = next((h for h, d in zip(hours, model, strict=True) if d > 0), None)
    real = (f"the transcription workers: 2 fall behind from {backlog_at:%H:%M} UTC "
            f"(the backlog above)" if backlog_at else
            "nothing: 2 transcription workers keep up")
    out += [f"  first to saturate at {offered:g}x the real load (this run): {here}",
            f"  first to saturate in real time: {real}; the web tier needs {web_cores:.2f} "
            f"cores at the busiest hour, the database {total_conns} connections"]
    return out


def measure_throughput(monitor: Monitor, since: float, until: float) -> tuple[int, float]:
    """Recordings that left 'waiting' between since and until (real), and the seconds."""
    window = [s for s in monitor.samples if since <= s.real <= until]
    if len(window) < 2:
        return 0, 0.0
    done = [sum(v for k, v in s.recordings.items() if k != "waiting") for s in window]
    return done[-1] - done[0], window[-1].real - window[0].real


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="the morning peak only (05:00-09:00 UTC), ~2 minutes")
    parser.add_argument("--factor", type=float, help="time compression (default: the window in"
                        " about 600 s)")
    parser.add_argument("--from-hour", type=float, default=0.0,
                        help="start of the simulated slice, hours after 18:00 UTC on 1 Sept")
    parser.add_argument("--hours", type=float, default=24.0, help="length of the slice")
    parser.add_argument("--nodes", type=int, default=3)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--schools", type=int, default=1500)
    parser.add_argument("--calls", type=int, default=30_000)
    parser.add_argument("--messages", type=int, default=8_000)
    parser.add_argument("--drain", type=int, default=60, help="seconds the workers run on after"
                        " the load, to measure their throughput alone")
    parser.add_argument("--sample", type=float, default=1.0,
                        help="replay this fraction of the day's calls (a thinned Poisson process:"
                        " the offered load is sample x factor times the real-time rate)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.quick:
        args.from_hour, args.hours = QUICK_HOURS[0] + 6, QUICK_HOURS[1]  # 18:00 + 11 = 05:00
        args.drain = min(args.drain, 30)
    args.factor = args.factor or WINDOW_HOURS * 3600 / 600
    args.load_before = " ".join(f"{v:.1f}" for v in os.getloadavg())  # others share the cores
    slice_start = DAY_START + timedelta(hours=args.from_hour)
    sim_end = slice_start + timedelta(hours=args.hours)

    region = schools(args.schools, args.seed)
    import random

    thin = random.Random(args.seed + 2)
    full_day = [a for a in arrivals(region, args.calls, args.messages, args.seed)
                if slice_start <= a.at < sim_end]
    day = [a for a in full_day if thin.random() < args.sample]
    numbers = [school_number(s.index) for s in region]

    import psycopg

    model = subprocess.run([str(ROOT / ".venv/bin/helpline"), "models", "path"], cwd=ROOT,
                           env={**os.environ, "HELPLINE_SECRET_KEY": "x"}, capture_output=True,
                           text=True, check=True).stdout.strip().splitlines()[-1]
    name = "helpline_region_" + uuid.uuid4().hex[:8]
    admin = psycopg.connect(ADMIN_PG, autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    url = ADMIN_PG.rsplit("/", 1)[0] + "/" + name
    data = tempfile.mkdtemp(prefix="helpline-region-")
    logs = Path(data) / "logs"
    logs.mkdir()
    recordings = Path(data) / "simulator-recordings"
    recordings.mkdir()
    wav = Path(data) / "message.wav"
    shutil.copy(ROOT / "samples/voicemail-ru.wav", wav)
    with wave.open(str(wav)) as audio:
        sample_seconds = audio.getnframes() / audio.getframerate()
    processes: list[subprocess.Popen] = []
    monitor = None
    try:
        started = time.time()
        seed_region(url, data, region)
        seeded = time.time() - started
        real_start = time.time() + 25  # the processes start meanwhile
        # Every process's clock and the generator's: slice_start at real_start.
        clock_value = f"{slice_start.isoformat()},{real_start},{args.factor}"
        env = app_env(url, data, clock_value)
        ports = [BASE_PORT + i for i in range(args.nodes)]
        gunicorn = str(ROOT / ".venv/bin/gunicorn")
        python = str(ROOT / ".venv/bin/python")
        groups = {}
        for port in ports:
            p = start([gunicorn, "-w", str(args.web_workers), "-b", f"127.0.0.1:{port}",
                       "--timeout", "60", "--backlog", "2048", "--log-level", "warning",
                       "benchmarks.compressed_clock:app"], env, logs / f"web{port}.log")
            processes.append(p)
            groups[p.pid] = "web"
        speech = {"HELPLINE_ASR_ENGINE": "whisper", "HELPLINE_ASR_MODEL": model,
                  "HELPLINE_ASR_CPU_THREADS": "1"}
        for i in range(2):
            p = start([python, "-m", "benchmarks.compressed_clock", "worker", "--interval", "1",
                       "--batch", "1"], {**env, **speech}, logs / f"worker{i}.log")
            processes.append(p)
            groups[p.pid] = "worker"
        p = start([python, "-m", "benchmarks.compressed_clock", "scheduler"], env,
                  logs / "scheduler.log")
        processes.append(p)
        groups[p.pid] = "scheduler"
        for port in ports:
            wait_port(port, 60)
        if time.time() > real_start:
            raise SystemExit("the processes took longer than 25 s to start")

        day_real = real_start - (slice_start - DAY_START).total_seconds() / args.factor
        callers = Callers(ports, args.factor, day_real, wav, recordings, args.seed)
        monitor = Monitor(url, groups, callers.sim, slice_start)
        thread = threading.Thread(target=monitor.run, daemon=True)
        thread.start()
        max_connections = int(admin.execute("SHOW max_connections").fetchone()[0])
        print(f"{len(day)} calls from {slice_start:%d.%m %H:%M} to {sim_end:%d.%m %H:%M} UTC at "
              f"{args.factor:g}x: about {args.hours * 3600 / args.factor:.0f} s; database {name}, "
              f"logs in {logs}", flush=True)
        asyncio.run(callers.run(day, numbers))
        load_end = time.time()
        loaded_done, loaded_span = measure_throughput(monitor, real_start, load_end)
        time.sleep(args.drain)
        drained_done, drained_span = measure_throughput(monitor, load_end + 1, time.time())
        monitor.stopping.set()
        thread.join()
        loaded = loaded_done / max(1e-9, loaded_span) / 2
        drained = drained_done / max(1e-9, drained_span) / 2
        throughput = {"loaded": loaded, "loaded_done": loaded_done, "loaded_span": loaded_span,
                      "drained": drained, "drained_done": drained_done,
                      "per_worker_per_s": (drained or loaded) * sample_seconds
                      / (sum(MESSAGE_SECONDS) / 2), "sample_seconds": sample_seconds,
                      "max_connections": max_connections}
        for process in processes:
            stop(process)
        processes = []
        lines = report(args, day, full_day, callers, monitor,
                       min(sim_end, callers.sim(load_end)), url, throughput, logs, seeded,
                       load_end - real_start)
        print("\n".join(lines))
        return 0
    finally:
        for process in processes:
            stop(process)
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(recordings, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
