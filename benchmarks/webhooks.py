"""Webhook throughput under gunicorn on PostgreSQL, beside a bare Flask endpoint. By hand:

    .venv/bin/python benchmarks/webhooks.py [--duration 10] [--connections 10,100]
                                            [--workers 2] [--profile]

What it does, all on 127.0.0.1 and bounded in time (about 4 x duration x connection counts):
a throw-away PostgreSQL database is migrated and given the demo schools; the app
(`gunicorn -w N wsgi:app`) and benchmarks/bare_app.py (constant TwiML, the same gunicorn
settings) are started side by side; wrk (Debian package `wrk`) posts form-encoded webhooks
signed as Twilio signs them, from a Lua script holding pre-signed requests, each with its
own CallSid (the calls are created beforehand, as /ivr/voice would): the topic step
(/ivr/topic, out of hours: the voice-mail TwiML) and the record action (/ivr/recorded: a
ticket and its planned callback). Printed per step and connection count: requests/s and
latency percentiles of the app and of the bare endpoint in the same run, and their ratio;
then the CPU each request cost the app's gunicorn workers and PostgreSQL (/proc, user +
system), beside the bare endpoint's.
Targets (issue 13): topic >= 0.1x bare, record >= 0.05x bare, p99 < 250 ms at 100 connections.

--profile instead runs each step in-process (Flask's test client, same database): 200
requests timed plain, then 200 under pyinstrument, printing the time and SQL statements per
request of each and where the profiled time goes.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from twilio.request_validator import RequestValidator  # noqa: E402

ADMIN_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
TOKEN = "bench-auth-token-0123456789abcdef"
PUBLIC = "https://bench.example.test"
SCHOOL = "+74950000019"
OMSK = "+73817600002"
APP_PORT, BARE_PORT = 18101, 18102
STEPS = {  # name: (path, extra form fields, target ratio to bare)
    "topic": ("/ivr/topic?role=parent", {"Digits": "2"}, 0.1),
    "record": ("/ivr/recorded", {"RecordingUrl": "https://api.twilio.com/2010-04-01/Accounts/"
                                 "AC00000000000000000000000000000000/Recordings/RE" + "0" * 32,
                                 "RecordingDuration": "9", "Digits": "#"}, 0.05),
}
LUA = """
local requests = {%s}
local path = "%s"
local threads, counter = 0, 1
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end
function init(args)
  threads = tonumber(args[1]) or 1
  index = id - 1
end
function request()
  local r = requests[(index %% #requests) + 1]
  index = index + threads
  return wrk.format("POST", path, {["Content-Type"] = "application/x-www-form-urlencoded",
                                  ["X-Twilio-Signature"] = r[2]}, r[1])
end
"""


def form(call_sid: str, caller: str, to: str, extra: dict) -> dict:
    return {"CallSid": call_sid, "AccountSid": "AC" + "0" * 32, "From": caller, "To": to,
            "CallStatus": "in-progress", "Direction": "inbound", "ApiVersion": "2010-04-01",
            **extra}


def signed_requests(path: str, extra: dict, count: int, tag: str) -> tuple[list, list]:
    """count (body, signature) pairs with fresh CallSids, and the calls to create first."""
    validator = RequestValidator(TOKEN)
    bodies, calls = [], []
    for i in range(count):
        sid = f"CA{tag}{i:0{32 - len(tag)}d}"
        to = SCHOOL if i % 2 == 0 else OMSK  # both demo schools
        caller = f"+7926{i % 10_000_000:07d}"
        fields = form(sid, caller, to, extra)
        bodies.append((urlencode(fields), validator.compute_signature(PUBLIC + path, fields)))
        calls.append((sid, caller, to))
    return bodies, calls


def lua_script(path: str, bodies: list, directory: Path, name: str) -> Path:
    def quote(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    table = ",\n".join("{" + quote(b) + ", " + quote(s) + "}" for b, s in bodies)
    script = directory / f"{name}.lua"
    script.write_text(LUA % (table, path))
    return script


def wait_port(port: int, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit(f"nothing listens on {port} after {timeout} s")


def parse_wrk(output: str) -> dict:
    def ms(text: str) -> float:
        value, unit = re.match(r"([\d.]+)(us|ms|s|m)", text).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60_000}[unit]

    found = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
             "requests": int(re.search(r"(\d+) requests in", output).group(1))}
    for pct in ("50", "90", "99"):
        match = re.search(rf"^\s+{pct}(?:\.000)?%\s+(\S+)", output, re.M)
        found[f"p{pct}"] = ms(match.group(1)) if match else float("nan")
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    found["non2xx"] = int(bad.group(1)) if bad else 0
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                       output)
    found["errors"] = sum(map(int, errors.groups())) if errors else 0
    return found


TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: set[int]) -> dict[int, float]:
    """User + system CPU of each process (from /proc/PID/stat), those still alive."""
    found = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[pid] = (int(fields[11]) + int(fields[12])) / TICK
    return found


def process_tree(root: int) -> set[int]:
    """A gunicorn master and its workers."""
    pids = {root}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == root:
                pids.add(int(stat.parent.name))
        except (OSError, ValueError):
            continue
    return pids


def postgres_pids() -> set[int]:
    pids = set()
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() == "postgres":
                pids.add(int(comm.parent.name))
        except (OSError, ValueError):
            continue
    return pids


def wrk(port: int, script: Path, connections: int, duration: int, server: int) -> dict:
    """One wrk run, and the CPU the server (gunicorn's tree) and PostgreSQL spent in it."""
    threads = min(2, connections)
    app_before = cpu_seconds(process_tree(server))
    db_before = cpu_seconds(postgres_pids())
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency",
         "--timeout", "15s", "-s", str(script), f"http://127.0.0.1:{port}", "--", str(threads)],
        capture_output=True, text=True, timeout=duration + 60, check=True).stdout
    found = parse_wrk(out)

    def spent(before: dict[int, float], after: dict[int, float]) -> float:
        # A process started during the run (a new PostgreSQL backend) counts from zero.
        return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())

    requests = max(found["requests"], 1)
    found["app_cpu_ms"] = spent(app_before, cpu_seconds(process_tree(server))) / requests * 1000
    found["db_cpu_ms"] = spent(db_before, cpu_seconds(postgres_pids())) / requests * 1000
    return found


def gunicorn(target: str, port: int, workers: int, env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}",
         "--timeout", "60", "--log-level", "warning", target],
        cwd=ROOT, env=env, start_new_session=True)


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def app_env(url: str, data: str) -> dict:
    return {**os.environ, "HELPLINE_DATABASE_URL": url, "HELPLINE_SECRET_KEY": "bench",
            "HELPLINE_TWILIO_AUTH_TOKEN": TOKEN, "HELPLINE_TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
            "HELPLINE_PUBLIC_URL": PUBLIC, "HELPLINE_SCHEDULER_ENABLED": "false",
            "HELPLINE_DATA_DIR": data, "HELPLINE_LOG_LEVEL": "WARNING",
            "HELPLINE_TELEPHONY": "twilio",
            # This checkout's code, also where the venv's editable install names another.
            "PYTHONPATH": str(ROOT)}


def create_calls(url: str, data: str, calls: list, role: str | None) -> None:
    """The calls as /ivr/voice and /ivr/role left them (role chosen; topic for the record)."""
    from sqlalchemy import insert, select

    from core.extensions import db
    from core.models import Organization, OrganizationPhone
    from helpline.app import create_app
    from tickets.models import Call

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "DATA_DIR": data,
                      "SCHEDULER_ENABLED": False, "VOSK_MODEL": ""})
    with app.app_context():
        orgs = dict(db.session.execute(
            select(OrganizationPhone.number, Organization.id).join(Organization)).all())
        db.session.execute(insert(Call), [
            {"call_sid": sid, "organization_id": orgs[to], "from_number": caller,
             "to_number": to, "direction": "inbound", "role": "parent",
             "topic": "grades" if role == "record" else None, "state": {}}
            for sid, caller, to in calls])
        db.session.commit()
        db.engine.dispose()


def prepare(url: str, data: str) -> None:
    env = app_env(url, data)
    helpline = str(ROOT / ".venv/bin/helpline")
    subprocess.run([helpline, "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    subprocess.run([helpline, "demo"], cwd=ROOT, env={**env, "HELPLINE_DEMO_PASSWORD": "x" * 12},
                   check=True, capture_output=True)


def profile(url: str, data: str, count: int) -> None:
    """Each step in-process under pyinstrument, with the SQL statements per request."""
    from pyinstrument import Profiler
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from helpline.app import create_app

    os.environ.update({k: v for k, v in app_env(url, data).items() if k.startswith("HELPLINE")})
    app = create_app()
    client = app.test_client()
    statements = []
    event.listen(Engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    for name, (path, extra, _target) in STEPS.items():
        bodies, calls = signed_requests(path, extra, count, "P" + name[:1].upper())
        create_calls(url, data, calls, name)
        for body, signature in bodies[:5]:  # warm up
            client.post(path, data=body, content_type="application/x-www-form-urlencoded",
                        headers={"X-Twilio-Signature": signature})
        half = (count - 5) // 2
        timed: list[tuple[float, int]] = []
        profiler = Profiler(interval=0.0005)
        for profiled, batch in ((False, bodies[5:5 + half]), (True, bodies[5 + half:])):
            statements.clear()
            started = time.perf_counter()
            if profiled:
                profiler.start()
            for body, signature in batch:
                response = client.post(path, data=body,
                                       content_type="application/x-www-form-urlencoded",
                                       headers={"X-Twilio-Signature": signature})
                assert response.status_code == 200
            if profiled:
                profiler.stop()
            timed.append(((time.perf_counter() - started) / len(batch) * 1000,
                          len(statements) // len(batch)))
        (plain, plain_sql), (per, per_sql) = timed
        print(f"\n=== {name}: {plain:.1f} ms per request in-process, {plain_sql} SQL statements"
              f" per request; profiled: {per:.1f} ms, {per_sql} statements ===")
        print(profiler.output_text(unicode=False, color=False, show_all=False)[:6000])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run (<= 60)")
    parser.add_argument("--connections", default="10,100")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    duration = max(1, min(args.duration, 60))
    connections = [max(1, min(int(c), 200)) for c in args.connections.split(",")]

    import psycopg

    name = "helpline_wh_" + uuid.uuid4().hex[:8]
    admin = psycopg.connect(ADMIN_PG, autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    url = ADMIN_PG.rsplit("/", 1)[0] + "/" + name
    data = tempfile.mkdtemp(prefix="helpline-wh-")
    processes = []
    try:
        prepare(url, data)
        if args.profile:
            profile(url, data, 405)
            return 0
        env = app_env(url, data)
        processes = [gunicorn("wsgi:app", APP_PORT, args.workers, env),
                     gunicorn("benchmarks.bare_app:app", BARE_PORT, args.workers, env)]
        wait_port(APP_PORT)
        wait_port(BARE_PORT)
        results, failed = [], False
        for step, (path, extra, target) in STEPS.items():
            count = 12_000 if step == "topic" else 6_000
            for c in connections:
                bodies, calls = signed_requests(path, extra, count, f"{step[0].upper()}{c}X")
                create_calls(url, data, calls, step)
                script = lua_script(path, bodies, Path(data), f"{step}{c}")
                app = wrk(APP_PORT, script, c, duration, processes[0].pid)
                bare = wrk(BARE_PORT, script, c, duration, processes[1].pid)
                ratio = app["rps"] / bare["rps"] if bare["rps"] else float("nan")
                ok = ratio >= target and (c < 100 or app["p99"] < 250) and not app["non2xx"]
                failed |= not ok
                if app["requests"] > count:
                    print(f"note: {step} at {c} connections reused CallSids "
                          f"({app['requests']} requests, {count} signed)")
                results.append((step, c, app, bare, ratio, target, ok))
        print(f"\n{'step':7} {'conn':>4} | {'app req/s':>9} {'p50':>7} {'p90':>7} {'p99':>7} "
              f"{'non2xx':>6} | {'bare req/s':>10} {'p99':>7} | {'ratio':>6} {'target':>6}")
        for step, c, app, bare, ratio, target, ok in results:
            print(f"{step:7} {c:4} | {app['rps']:9.1f} {app['p50']:7.1f} {app['p90']:7.1f} "
                  f"{app['p99']:7.1f} {app['non2xx'] + app['errors']:6} | {bare['rps']:10.1f} "
                  f"{bare['p99']:7.1f} | {ratio:6.3f} {target:6.2f}{'' if ok else '  MISSED'}")
        print("latencies in ms; targets: ratio as shown, p99 < 250 ms at 100 connections:",
              "MISSED" if failed else "met")
        print("\nCPU per request (ms): the app's gunicorn workers, PostgreSQL's processes"
              " (the bare endpoint's run beside)")
        for step, c, app, bare, _ratio, _target, _ok in results:
            print(f"{step:7} {c:4} | app {app['app_cpu_ms']:5.2f} + db {app['db_cpu_ms']:5.2f}"
                  f" | bare {bare['app_cpu_ms']:5.2f}")
        with psycopg.connect(url) as conn:
            tickets, planned, unplanned = conn.execute(
                "SELECT (SELECT count(*) FROM tickets), "
                "(SELECT count(*) FROM callbacks WHERE planned_at IS NOT NULL), "
                "(SELECT count(*) FROM callbacks WHERE planned_at IS NULL)").fetchone()
        print(f"record action: {tickets} tickets, {planned} callbacks planned, "
              f"{unplanned} without a slot in the 60-day horizon (at risk)")
        return 1 if failed else 0
    finally:
        for process in processes:
            stop(process)
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())
