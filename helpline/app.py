"""The application factory."""

from __future__ import annotations

import logging
import os
import secrets
import sqlite3
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g, has_request_context
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import Pool
from werkzeug.middleware.proxy_fix import ProxyFix

import callbacks.models  # importing the models registers their tables
import callbacks.service
import core.models  # noqa: F401
import tickets.models  # noqa: F401
from callbacks.views import bp as callbacks_bp
from callbacks.views_ui import bp as operator_bp
from core import clock, privacy, telephony, worktime
from core import settings as settings_
from core.extensions import db, migrate
from helpline import auth, guard, retention, scheduler, webphone
from helpline.admin import bp as admin_bp
from helpline.live import bp as live_bp
from helpline.public import bp as public_bp
from helpline.views import bp as core_bp
from helpline.webphone import bp as webphone_bp
from ivr.views import bp as ivr_bp
from tickets import search
from tickets.views import bp as tickets_bp
from transcription import asr

MIGRATIONS = Path(__file__).parent / "migrations"
STRING_SETTINGS = (
    "SECRET_KEY", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "PUBLIC_URL", "DATABASE_URL",
    "DEMO_PASSWORD", "LOCAL_AUTH_TOKEN", "VOSK_MODEL", "DATA_DIR",
    "ASR_MODEL", "ASR_INITIAL_PROMPT", "ASR_TEMPERATURE",
)


class ConfigError(RuntimeError):
    """The configuration cannot run the help line; the message says what to set."""


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create and configure an instance of the help line application."""
    app = Flask(__name__, instance_relative_config=True)
    # Flask-SQLAlchemy: don't track modifications (we never use the signal).
    app.config.update(settings_.Settings().as_config(), SQLALCHEMY_TRACK_MODIFICATIONS=False)
    if test_config is None:
        app.config.from_prefixed_env(prefix="HELPLINE")
        # JSON decoding would turn a token like "1234e5" into a float: keep strings as typed.
        for key in STRING_SETTINGS:
            if (raw := os.environ.get(f"HELPLINE_{key}")) is not None:
                app.config[key] = raw
    else:
        app.config.update(test_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    settings = _finish_config(app)
    if hops := settings.proxy_count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]

    level = int(settings.log_level) if settings.log_level.isdigit() else settings.log_level
    logging.basicConfig(level=level)
    app.logger.setLevel(level)
    privacy.install(app.logger)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS), render_as_batch=True)
    _register_models()
    _subscribe()
    guard.install_converters(app)  # before the blueprints bind their rules
    _register_blueprints(app)
    guard.init_app(app)
    auth.init_app(app)  # after the blueprints: it exempts the Twilio ones from CSRF
    _warn_about_calendar(app)
    scheduler.retention_task(retention.delete_expired_audio)  # the nightly retention job

    if scheduler.should_start(app):  # embedded default; production runs `helpline scheduler`
        scheduler.init_app(app)
    return app


def _finish_config(app: Flask) -> settings_.Settings:
    """Derive settings, refuse to start on a configuration that cannot work, and keep the
    application's typed settings (core.settings)."""
    cfg = app.config
    relaxed = cfg.get("TESTING") or cfg.get("DEBUG") or app.debug
    for key in STRING_SETTINGS:
        cfg[key] = "" if cfg.get(key) is None else str(cfg[key])
    cfg["PUBLIC_URL"] = cfg["PUBLIC_URL"].rstrip("/")
    cfg["TELEPHONY"] = str(cfg["TELEPHONY"]).lower()

    problems = []
    if cfg["TELEPHONY"] not in ("local", "twilio"):
        problems.append(f"HELPLINE_TELEPHONY must be 'local' or 'twilio', not {cfg['TELEPHONY']!r}")
    if not cfg["SECRET_KEY"]:
        if relaxed:
            cfg["SECRET_KEY"] = secrets.token_hex(32)
        else:
            problems.append(
                "HELPLINE_SECRET_KEY is not set: generate one with "
                "python -c 'import secrets; print(secrets.token_hex(32))'"
            )
    if cfg["TELEPHONY"] == "twilio":
        if not (cfg["TWILIO_ACCOUNT_SID"] and cfg["TWILIO_AUTH_TOKEN"]) and not relaxed:
            problems.append(
                "HELPLINE_TELEPHONY=twilio needs HELPLINE_TWILIO_ACCOUNT_SID and "
                "HELPLINE_TWILIO_AUTH_TOKEN"
            )
        if not cfg["TWILIO_SIGNATURE_CHECK"]:
            problems.append(
                "HELPLINE_TWILIO_SIGNATURE_CHECK=false is only allowed with local telephony"
            )
        if not cfg["PUBLIC_URL"].startswith("https://") and not relaxed:
            problems.append("HELPLINE_PUBLIC_URL must be the https:// address Twilio calls")
    try:
        cfg["PROXY_COUNT"] = int(cfg.get("PROXY_COUNT") or 0)
        if not 0 <= cfg["PROXY_COUNT"] <= 5:
            raise ValueError
    except (TypeError, ValueError):
        problems.append(
            f"HELPLINE_PROXY_COUNT must be the number of reverse proxies in front of the app "
            f"(0 to 5), not {cfg.get('PROXY_COUNT')!r}"
        )
    if problems:
        raise ConfigError("Cannot start the help line:\n  - " + "\n  - ".join(problems))

    data_dir = Path(cfg["DATA_DIR"] or Path(app.instance_path) / "data")
    data_dir.mkdir(parents=True, exist_ok=True)
    cfg["DATA_DIR"] = str(data_dir)
    # Webhooks are signed with Twilio's token, or the simulator's in local telephony.
    cfg["WEBHOOK_AUTH_TOKEN"] = cfg["TWILIO_AUTH_TOKEN"] or (
        (cfg["LOCAL_AUTH_TOKEN"] or local_token(data_dir)) if cfg["TELEPHONY"] == "local"
        else ""
    )
    cfg["SQLALCHEMY_DATABASE_URI"] = _database_uri(
        cfg.get("SQLALCHEMY_DATABASE_URI") or cfg["DATABASE_URL"], app.instance_path
    )
    try:
        speech = asr.settings_from_config(cfg)
    except ValueError as exc:
        raise ConfigError(f"Cannot start the help line:\n  - speech settings: {exc}") from exc
    autodetect = cfg.get("ASR_AUTODETECT", True)
    if not speech.model and (
        not autodetect or asr.discover(speech, data_dir / "models", assemble=False) is None
    ):
        app.logger.warning("%s", asr.NO_MODEL_HINT)
    if cfg["TELEPHONY"] == "twilio" and not cfg["TWILIO_AUTH_TOKEN"]:
        app.logger.warning("HELPLINE_TWILIO_AUTH_TOKEN is empty: every webhook will be refused")
    try:
        settings = settings_.Settings.from_config(cfg)
    except ValueError as exc:
        raise ConfigError(f"Cannot start the help line:\n  - {exc}") from exc
    settings_.install(app, settings)
    return settings


LOCAL_TOKEN_FILE = "local-simulator.token"


def local_token(data_dir: Path) -> str:
    """The local simulator's signing token: generated once per installation, kept private.

    Every process of the installation (web, `helpline call`, scheduler) reads the same file
    in the data directory; nobody else knows it, so nobody can forge a call or fetch a
    caller's recording from /ivr/simulator/recordings.
    """
    path = data_dir / LOCAL_TOKEN_FILE
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    token = secrets.token_urlsafe(32)
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(token)
    try:
        os.link(temporary, path)  # atomic: the first process's token wins, whole
    except FileExistsError:
        token = path.read_text(encoding="ascii").strip()
    finally:
        temporary.unlink(missing_ok=True)
    return token


def _database_uri(url: str, instance_path: str) -> str:
    if not url:
        return "sqlite:///" + str(Path(instance_path) / "helpline.db")
    # psycopg 3 is the driver we ship; plain postgresql:// would ask for psycopg2.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


BUSY_TIMEOUT_MS = 10_000  # pages, jobs, CLI: wait for a writer up to 10 s

# Each DBAPI connection remembers in its pool record the timeouts in force on it, so that a
# transaction sets them only when they must change (a webhook after a page, or back): on
# PostgreSQL a session-level set_config, which a rollback of its transaction undoes.
TIMEOUTS = "helpline_timeouts"
_DEFAULTS = "helpline_timeout_defaults"  # PostgreSQL: the server's own, read once
_UNCOMMITTED = "helpline_timeouts_uncommitted"  # set in the transaction still open


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, record) -> None:
    """WAL lets the web, the scheduler and the worker read while one writes."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
        record.info[TIMEOUTS] = (BUSY_TIMEOUT_MS,)


@event.listens_for(Session, "after_begin")
def _webhook_timeouts(_session, _transaction, connection) -> None:
    """Inside a Twilio webhook the database may make us wait only briefly.

    Twilio gives up after 15 s and reads its English error to the caller; a webhook that
    waits out a 10 s lock several times would get there. In a webhook every transaction
    waits at most WEBHOOK_DB_TIMEOUT seconds for a lock (SQLite busy timeout, PostgreSQL
    lock_timeout) and WEBHOOK_STATEMENT_TIMEOUT for a statement (PostgreSQL); then the
    error handler answers TwiML that takes the message and keeps it (ticket or spool).
    Pages, jobs and the CLI get the usual waits back (SQLite: 10 s; PostgreSQL: the
    server's settings). Nothing is sent when the connection has the wanted values already.
    """
    webhook = has_request_context() and bool(g.get("twilio_webhook"))
    info = connection.info
    name = connection.dialect.name
    if name == "sqlite":
        wait = (int(float(current_app.config.get("WEBHOOK_DB_TIMEOUT", 2)) * 1000)
                if webhook else BUSY_TIMEOUT_MS)
        if info.get(TIMEOUTS) != (wait,):
            connection.exec_driver_sql(f"PRAGMA busy_timeout={wait}")
            info[TIMEOUTS] = (wait,)
    elif name == "postgresql":
        if _DEFAULTS not in info:
            if not webhook:
                return  # nothing changed on this connection yet: the server's own apply
            info[_DEFAULTS] = info[TIMEOUTS] = tuple(connection.exec_driver_sql(
                "SELECT current_setting('lock_timeout'),"
                " current_setting('statement_timeout')").one())
        if webhook:
            cfg = current_app.config
            wanted = (str(int(float(cfg.get("WEBHOOK_DB_TIMEOUT", 2)) * 1000)),
                      str(int(float(cfg.get("WEBHOOK_STATEMENT_TIMEOUT", 5)) * 1000)))
        else:
            wanted = info[_DEFAULTS]
        if info.get(TIMEOUTS) != wanted:
            # Session-level (false): it outlives this transaction if it commits. One round
            # trip for both.
            connection.execute(text(
                "SELECT set_config('lock_timeout', :lock, false),"
                " set_config('statement_timeout', :statement, false)"),
                {"lock": wanted[0], "statement": wanted[1]})
            info[TIMEOUTS] = wanted
            info[_UNCOMMITTED] = True


@event.listens_for(Engine, "commit")
def _keep_timeouts(connection) -> None:
    connection.info.pop(_UNCOMMITTED, None)


@event.listens_for(Engine, "handle_error")
def _forget_timeouts_on_error(context) -> None:
    """A failed statement or commit may have undone them: set them again next time."""
    connection = context.connection
    if connection is None or connection.closed or connection.invalidated:
        return  # a connection that is not kept has nothing to remember
    connection.info.pop(TIMEOUTS, None)
    connection.info.pop(_UNCOMMITTED, None)


@event.listens_for(Engine, "rollback")
def _forget_timeouts_on_rollback(connection) -> None:
    """A rolled-back transaction undoes a set_config made in it: set them again next time."""
    if connection.info.pop(_UNCOMMITTED, None):
        connection.info.pop(TIMEOUTS, None)


@event.listens_for(Pool, "reset")
def _forget_timeouts_on_reset(_dbapi_connection, record, reset_state) -> None:
    """The pool rolls back what a connection left open: that may undo a set_config too."""
    if not reset_state.transaction_was_reset and record.info.pop(_UNCOMMITTED, None):
        record.info.pop(TIMEOUTS, None)


def _register_models() -> None:
    # The tables are registered by importing the models (at the top of this module, with
    # the scheduler's lease table).
    search.install()  # search documents follow every commit (tickets.search)


def _subscribe() -> None:
    """Let the domains react to each other's signals (connecting twice is harmless)."""
    callbacks.service.subscribe()


def _register_blueprints(app: Flask) -> None:
    telephony.init_app(app)
    app.register_blueprint(core_bp)
    app.register_blueprint(ivr_bp)
    app.register_blueprint(callbacks_bp)
    app.register_blueprint(tickets_bp)
    app.register_blueprint(operator_bp)
    app.register_blueprint(webphone_bp)
    webphone.init_app(app)  # local telephony: the line's calls ring the listening pages
    app.register_blueprint(live_bp)

    app.register_blueprint(admin_bp)
    app.register_blueprint(public_bp)


def _warn_about_calendar(app: Flask) -> None:
    """The production calendar of next year is decreed in the autumn: say when it's missing."""
    calendar = worktime.ProductionCalendar()
    year = clock.now().year
    for y in (year, year + 1):
        if not calendar.has_data_for(y):
            app.logger.warning(
                "the installed 'holidays' package has no Russian transfer data for %s: "
                "upgrade it or add calendar overrides for that year",
                y,
            )
