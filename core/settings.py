"""Every setting of the help line, with its default and its meaning, in one typed object.

``create_app`` reads the environment (``HELPLINE_<KEY>``, or ``.env`` through the
``helpline`` command) or the test configuration once, and keeps the result as a frozen
``Settings`` in ``app.extensions``; ``app.config`` holds the same values under the same keys
for Flask and its extensions. Views and jobs read ``current()`` (or ``of(app)``) and pass
what a service needs as arguments: the domain services never read the application's
configuration themselves.

A field's key is its upper-case name with its group's prefix (``Settings.callbacks.
max_attempts`` is ``CALLBACK_MAX_ATTEMPTS``, the variable ``HELPLINE_CALLBACK_MAX_ATTEMPTS``);
``documented()`` lists them all with their defaults and meanings, and a test checks that the
README's «Configure» table and ``.env.example`` name exactly those variables.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import time
from typing import Any

from flask import Flask, current_app

PREFIX = "HELPLINE_"
EXTENSION = "helpline.settings"


def setting(default: Any, doc: str, *, key: str = "", env: bool = True) -> Any:
    """A documented field; ``key`` overrides the derived config key, ``env=False`` marks a
    value derived at start-up rather than read from the environment."""
    return field(default=default, metadata={"doc": doc, "key": key, "env": env})


@dataclass(frozen=True)
class SpeechSettings:
    """How voice messages are transcribed (see transcription/asr.py)."""

    engine: str = setting("vosk", "speech engine: `vosk` or `whisper` (faster-whisper); an "
                          "installed model of either is found when none is set",
                          key="ASR_ENGINE")
    model: str = setting("", "the engine's model directory; empty = `HELPLINE_VOSK_MODEL`, "
                         "else an installed one", key="ASR_MODEL")
    autodetect: bool = setting(True, "without a model set, use one in `<data dir>/models` or "
                               "the whisper-base PyPI pair", key="ASR_AUTODETECT")
    vosk_model: str = setting("", "directory of an unpacked Vosk model (still works)",
                              key="VOSK_MODEL")
    language: str = setting("ru", "language of the messages", key="ASR_LANGUAGE")
    beam_size: int = setting(10, "Whisper beam width", key="ASR_BEAM_SIZE")
    temperature: str = setting("0 0.2 0.4 0.6 0.8 1.0", "Whisper's fallback temperatures "
                               "(`0` = greedy only)", key="ASR_TEMPERATURE")
    vad_filter: bool = setting(True, "skip silence before decoding (Silero VAD inside "
                               "faster-whisper)", key="ASR_VAD_FILTER")
    compute_type: str = setting("int8", "CTranslate2 compute type on the CPU",
                                key="ASR_COMPUTE_TYPE")
    cpu_threads: int = setting(0, "threads per transcription worker (0 = all cores)",
                               key="ASR_CPU_THREADS")
    initial_prompt: str = setting("", "text Whisper reads as coming before the message "
                                  "(none: the prompts measured made things worse)",
                                  key="ASR_INITIAL_PROMPT")

    def as_config(self) -> dict[str, Any]:
        """The ASR_* / VOSK_MODEL mapping transcription.asr.settings_from_config reads."""
        return dict(_items(self))


@dataclass(frozen=True)
class CallbackSettings:
    """Callbacks, the SLA watch and the caller's SMS."""

    lead_minutes: float = setting(5, "a callback is never planned sooner than this many "
                                  "minutes from now", key="CALLBACK_LEAD_MINUTES")
    max_attempts: int = setting(3, "attempts to reach a caller", key="CALLBACK_MAX_ATTEMPTS")
    retry_minutes: float = setting(60, "the least time in minutes between two attempts",
                                   key="CALLBACK_RETRY_MINUTES")
    postpone_minutes: float = setting(15, "minutes the operator's key 2 in the whisper "
                                      "postpones a callback, and the delay after an operator "
                                      "missed the ring", key="CALLBACK_POSTPONE_MINUTES")
    operator_misses: int = setting(3, "after this many rings the operator did not take, the "
                                   "callback waits in the queue",
                                   key="CALLBACK_OPERATOR_MISSES")
    caller_hours: str = setting("09:00-21:00", "hours (in the caller's time zone) when a "
                                "caller may be rung: never at night",
                                key="CALLBACK_CALLER_HOURS")
    operator_ring_seconds: int = setting(25, "seconds the operator's phone rings",
                                         key="CALLBACK_OPERATOR_RING_SECONDS")
    dial_seconds: int = setting(30, "seconds the caller's phone rings on a callback",
                                key="CALLBACK_DIAL_SECONDS")
    machine_detection: bool = setting(True, "answering machine detection on the caller's leg "
                                      "(a machine counts as not reached)",
                                      key="CALLBACK_MACHINE_DETECTION")
    stale_minutes: float = setting(30, "a call with no news from the telephony for this many "
                                   "minutes is settled by the recovery job",
                                   key="CALLBACK_STALE_MINUTES")
    claim_minutes: float = setting(120, "a callback claimed by an operator and left without "
                                   "an outcome returns to the queue after this many minutes",
                                   key="CALLBACK_CLAIM_MINUTES")
    overdue_minutes: float = setting(30, "in the queue, a callback this many minutes late is "
                                     "«overdue» rather than «due now»",
                                     key="CALLBACK_OVERDUE_MINUTES")
    sms_enabled: bool = setting(False, "send the caller an SMS when the callback attempts are "
                                "exhausted", key="CALLBACK_SMS_ENABLED")
    confirmation_sms_enabled: bool = setting(
        False, "send the caller an SMS with the ticket's number and the promised callback "
        "time right after the voice message (by a job, never in the webhook)",
        key="CONFIRMATION_SMS_ENABLED")
    sla_warning_hours: float = setting(16, "the SLA watch escalates an open ticket this many "
                                       "hours before its due instant",
                                       key="SLA_WARNING_HOURS")
    digest_hour: int = setting(7, "hour (school time) when the digest of the day goes out",
                               key="DIGEST_HOUR")

    def caller_window(self) -> tuple[time, time]:
        """The caller-local hours when a caller may be rung, as (start, end)."""
        start, end = (part.strip() for part in self.caller_hours.split("-", 1))
        return _time(start), _time(end)


@dataclass(frozen=True)
class SmtpSettings:
    """E-mail of SLA warnings and the daily digest; without a host they are only logged."""

    host: str = setting("", "mail server for SLA warnings and the daily digest; without it "
                        "they are logged", key="SMTP_HOST")
    port: int = setting(25, "the mail server's port", key="SMTP_PORT")
    username: str = setting("", "user name on the mail server (none: no login)",
                            key="SMTP_USERNAME")
    password: str = setting("", "password on the mail server", key="SMTP_PASSWORD")
    starttls: bool = setting(False, "switch the mail connection to TLS (STARTTLS)",
                             key="SMTP_STARTTLS")
    sender: str = setting("helpline@localhost", "the From address of the mail",
                          key="SMTP_SENDER")
    timeout: float = setting(10, "seconds to wait for the mail server", key="SMTP_TIMEOUT")


@dataclass(frozen=True)
class Settings:
    """The help line's settings: read once at start-up, never changed while it runs."""

    database_url: str = setting("", "empty = an SQLite file in `instance/`; "
                                "`postgresql://…` for PostgreSQL (psycopg 3)")
    secret_key: str = setting("", "signs sessions and CSRF tokens; required outside debug "
                              "and testing")
    public_url: str = setting("http://127.0.0.1:5000", "the public base URL Twilio calls "
                              "(`https://help.school.ru`): webhook signatures are checked "
                              "against it and the callbacks' webhook URLs are built from it")
    telephony: str = setting("local", "`local` (the built-in simulator, no Twilio) or "
                             "`twilio`")
    twilio_account_sid: str = setting("", "Twilio account SID")
    twilio_auth_token: str = setting("", "Twilio auth token (webhook signatures, recording "
                                     "downloads)")
    local_auth_token: str = setting("", "what the local simulator signs with; empty = a random "
                                    "token kept in `DATA_DIR/local-simulator.token` (mode 600)")
    twilio_signature_check: bool = setting(True, "`false` skips the X-Twilio-Signature check, "
                                           "only for local runs; refused with `twilio`")
    data_dir: str = setting("", "recordings, downloaded models; empty = `instance/data`")
    demo_password: str = setting("", "password of the demo users; empty = generated and "
                                 "printed once by `helpline demo`")
    tts_voice: str = setting("Polly.Tatyana", "`<Say>` voice; must be a ru-RU voice")
    tts_language: str = setting("ru-RU", "language of `<Say>`; must match the voice")
    dial_timeout: int = setting(20, "seconds a consultant's phone rings before the caller is "
                                "offered a voice message")
    scheduler_enabled: bool = setting(True, "run the scheduler and the transcription worker "
                                      "in the web process (embedded default)")
    scheduler_transcribe: bool = setting(True, "the scheduler also runs the transcription "
                                         "job (off: `helpline worker` processes do)")
    scheduler_tick_seconds: float = setting(30, "seconds between two scheduler ticks of the "
                                            "callbacks' dialling job")
    scheduler_lock_retry_seconds: float = setting(5, "seconds a waiting scheduler process "
                                                  "sleeps before it tries the lock again")
    scheduler_lease_seconds: float = setting(30, "seconds the scheduler's database lock lasts "
                                             "without renewal")
    proxy_count: int = setting(0, "reverse proxies in front of the app (nginx: `1`); their "
                               "`X-Forwarded-For` and `X-Forwarded-Proto` are trusted for that "
                               "many hops; keep 0 when clients reach the app directly")
    log_level: str = setting("INFO", "level of the application log; phone numbers are masked "
                             "in every log line")
    webhook_db_timeout: float = setting(2, "seconds a webhook waits for a database lock "
                                        "(SQLite busy timeout, PostgreSQL `lock_timeout`); then "
                                        "it answers TwiML that keeps the message")
    webhook_statement_timeout: float = setting(5, "PostgreSQL `statement_timeout` of a "
                                               "webhook, in seconds")
    webhook_max_bytes: int = setting(65536, "largest webhook body in bytes (Twilio's forms are "
                                     "a few kB): a bigger one is a 413")
    max_content_length: int = setting(12 * 1024 * 1024, "largest request body in bytes (the "
                                      "browser phone uploads WAVs of up to 10 MB)")
    media_hosts: str = setting("", "recording hosts besides Twilio's own (`api.twilio.com`, "
                               "`api.<edge>.<region>.twilio.com`) that may receive the "
                               "account's credentials, comma-separated")
    download_attempts: int = setting(4, "attempts to download a recording")
    download_backoff: float = setting(2.0, "first back-off delay between two download "
                                      "attempts, in seconds")
    password_hash_method: str = setting("scrypt", "werkzeug's password hash method (tests "
                                        "use a cheap one)")
    live_tick_seconds: float = setting(3.0, "how often the live pages' snapshot is read "
                                       "(one query), in seconds")
    live_stream_seconds: float = setting(25.0, "how long one live stream holds a worker, in "
                                         "seconds")
    live_retry_ms: int = setting(2000, "the browser reconnects a live stream after this many "
                                 "milliseconds")
    speech: SpeechSettings = field(default_factory=SpeechSettings)
    callbacks: CallbackSettings = field(default_factory=CallbackSettings)
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    # Derived at start-up (not variables): what webhooks are signed with (Twilio's token, or
    # the simulator's in local telephony).
    webhook_auth_token: str = setting("", "", env=False)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Settings:
        """Build the settings from a mapping of config keys; absent keys keep their defaults.

        Raises ValueError naming the variable when a value has the wrong type.
        """
        return _build(cls, config)

    def as_config(self) -> dict[str, Any]:
        """Every setting under its config key (what ``app.config`` holds)."""
        return dict(_items(self))

    @property
    def local(self) -> bool:
        """True with the local telephony (the simulator)."""
        return self.telephony == "local"


@dataclass(frozen=True)
class Documented:
    """One environment variable: its name, default and meaning."""

    key: str
    default: Any
    doc: str

    @property
    def variable(self) -> str:
        return PREFIX + self.key


def documented(cls: type = Settings) -> Iterator[Documented]:
    """Every environment variable the settings read, with its default and meaning."""
    for f in dataclasses.fields(cls):
        if _is_group(f):
            yield from documented(_GROUPS[f.name])
        elif f.metadata.get("env", True):
            yield Documented(_key(f), f.default, f.metadata["doc"])


def keys() -> set[str]:
    """The config key of every setting, derived ones included."""
    return set(Settings().as_config())


def of(app: Flask) -> Settings:
    """The application's settings (built by create_app)."""
    return app.extensions[EXTENSION]


def current() -> Settings:
    """The current application's settings."""
    return of(current_app)


def install(app: Flask, settings: Settings) -> None:
    """Keep `settings` as the application's, and their values in ``app.config``."""
    app.extensions[EXTENSION] = settings
    app.config.update(settings.as_config())


def configure(app: Flask, **changes: Any) -> Settings:
    """Change settings of a built application by their config keys (tests, run-time tools).

    The settings are rebuilt from ``app.config`` with the changes, so both stay the same.
    """
    unknown = set(changes) - keys()
    if unknown:
        raise KeyError(f"no such settings: {sorted(unknown)}")
    settings = Settings.from_config({**of(app).as_config(), **changes})
    install(app, settings)
    return settings


_GROUPS: dict[str, type] = {
    "speech": SpeechSettings, "callbacks": CallbackSettings, "smtp": SmtpSettings,
}
_TYPES: dict[str, type] = {"str": str, "int": int, "float": float, "bool": bool}


def _is_group(f: dataclasses.Field) -> bool:
    return f.name in _GROUPS and f.metadata.get("doc") is None


def _key(f: dataclasses.Field) -> str:
    return f.metadata.get("key") or f.name.upper()


def _items(obj: Any) -> Iterator[tuple[str, Any]]:
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if _is_group(f):
            yield from _items(value)
        else:
            yield _key(f), value


def _build(cls: type, config: Mapping[str, Any]) -> Any:
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if _is_group(f):
            values[f.name] = _build(_GROUPS[f.name], config)
            continue
        key = _key(f)
        if key not in config:
            continue
        kind = _TYPES[str(f.type)]
        try:
            values[f.name] = _convert(config[key], kind, f.default)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"{PREFIX}{key} must be {kind.__name__}, not {config[key]!r}"
            ) from exc
    return cls(**values)


def _convert(value: Any, kind: type, default: Any) -> Any:
    if value is None:
        return "" if kind is str else default
    if kind is bool:
        if isinstance(value, str):
            lowered = value.strip().lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("", "0", "false", "no", "off"):
                return False
            raise ValueError(value)
        return bool(value)
    if kind is str:
        if isinstance(value, list | tuple):  # a JSON list in the environment (MEDIA_HOSTS)
            return ",".join(str(v) for v in value)
        return value if isinstance(value, str) else str(value)
    if kind is int:
        if isinstance(value, float) and not value.is_integer():
            raise ValueError(value)
        return int(value)
    return float(value)


def _time(value: str) -> time:
    hours, _, minutes = value.partition(":")
    return time(int(hours), int(minutes or 0))
