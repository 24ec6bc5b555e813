"""The `helpline` command: Flask's CLI (run, db, shell, routes) plus our own commands."""

from __future__ import annotations

import functools
import sys

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy.exc import OperationalError, ProgrammingError

from helpline.app import ConfigError, create_app


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
    from helpline.demo import load_demo

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
    from helpline import simulation

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


@cli.command("worker")
@click.option("--once", is_flag=True, help="Process what is waiting, then exit.")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between polls.")
@click.option("--batch", default=5, show_default=True, help="Recordings claimed at a time.")
@with_appcontext
def worker_command(once: bool, interval: float, batch: int) -> None:
    """Download and transcribe voice messages (run several on other machines at scale)."""
    import signal
    import time

    from tickets import jobs

    app = current_app._get_current_object()
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    owner = jobs.worker_name()
    click.echo(f"worker {owner}: model {app.config.get('VOSK_MODEL') or '(none)'}")
    while not stop:
        outcomes = jobs.run_pending(app, owner=owner, limit=batch)
        for outcome in outcomes:
            click.echo(f"recording {outcome.recording_id}: {outcome.state}")
        if once and not outcomes:
            break
        if not outcomes:
            time.sleep(interval)


@cli.command("understand")
@click.option("--org", "org_slug", default=None,
              help="Use this school's topic keywords instead of the default catalogue.")
@with_appcontext
def understand_command(org_slug: str | None) -> None:
    """Read transcripts (one per line) on stdin; write one JSON object per line."""
    import json

    from core import catalogue
    from transcription.understand import understand

    topics = dict(catalogue.TOPIC_KEYWORDS)
    if org_slug:
        from sqlalchemy import select

        from core.extensions import db
        from core.models import Organization
        from core.service import topic_keywords

        org = db.session.scalar(select(Organization).where(Organization.slug == org_slug))
        if org is None:
            raise click.BadParameter(f"no school {org_slug!r}", param_hint="--org")
        topics = topic_keywords(org)
    stdin = sys.stdin
    for result in understand(stdin, topics):
        click.echo(json.dumps(result, ensure_ascii=False))


@cli.command("transcribe")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False))
@click.option("--model", "model", default=None, help="Vosk model directory "
              "(default: HELPLINE_VOSK_MODEL).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per file.")
@with_appcontext
def transcribe_command(files, model, as_json) -> None:
    """Transcribe WAV files with Vosk; prints text (or JSON) per file."""
    import json

    from transcription.audio import AudioError
    from transcription.engine import ModelUnavailable, transcribe

    model = model or current_app.config.get("VOSK_MODEL")
    if not model:
        raise click.UsageError("no model: pass --model or set HELPLINE_VOSK_MODEL "
                               "(`helpline models download small-ru`)")
    failed = 0
    results = []
    with click.progressbar(files, label="Transcribing", file=sys.stderr) as bar:
        for name in bar:
            try:
                results.append((name, transcribe(name, model)))
            except ModelUnavailable as exc:
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
    """Vosk speech models: download and check."""


@models_group.command("download")
@click.argument("name", default="small-ru")
@click.option("--dest", default=None, help="Directory (default: <data dir>/models).")
@click.option("--list-url", default=None, help="Model list URL (a mirror on the LAN).")
@with_appcontext
def models_download(name: str, dest: str | None, list_url: str | None) -> None:
    """Fetch an official Vosk model (small-ru, ru), verify it and unpack it."""
    from pathlib import Path

    from transcription import models

    target = Path(dest or Path(current_app.config["DATA_DIR"]) / "models")
    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = click.progressbar(length=total or None, label=f"Downloading {name}",
                                    file=sys.stderr)
            bar.__enter__()
        bar.update(done - bar.pos)

    try:
        path = models.download_model(name, target, list_url=list_url or models.DEFAULT_LIST_URL,
                                     progress=progress)
    except models.ModelDownloadError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    click.echo(f"Model ready. Set:\n  HELPLINE_VOSK_MODEL={path}")


@models_group.command("check")
@click.option("--model", "model", default=None, help="Default: HELPLINE_VOSK_MODEL.")
@with_appcontext
def models_check(model: str | None) -> None:
    """Say whether the configured model loads."""
    from transcription.engine import ModelUnavailable
    from transcription.models import check_model

    model = model or current_app.config.get("VOSK_MODEL")
    if not model:
        raise click.ClickException("HELPLINE_VOSK_MODEL is not set")
    try:
        click.echo(check_model(model))
    except ModelUnavailable as exc:
        raise click.ClickException(str(exc)) from exc


def main() -> None:
    """Entry point of the `helpline` console script."""
    cli(prog_name="helpline")


import helpline.cli_scheduler  # noqa: E402, F401
