"""`helpline scheduler`: the one background scheduler as its own process (production)."""

from __future__ import annotations

import signal

import click
from flask import current_app
from flask.cli import with_appcontext

from helpline import scheduler
from helpline.cli import cli


@cli.command("scheduler")
@click.option("--once", is_flag=True,
              help="Take the lock, run every job once, and exit (for cron or a check).")
@with_appcontext
def scheduler_command(once: bool) -> None:
    """Run the scheduler: callbacks, retries, SLA watch, digest, retention.

    Only one runs per database: a second instance waits for the lock and takes over when
    the first one stops. `helpline run` starts an embedded one unless
    HELPLINE_SCHEDULER_ENABLED=false; run this beside it all the same, it simply waits.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # Flask types the proxy as the app
    runner = scheduler.Runner(app)
    if once:
        if not runner.lock.acquire():
            raise click.ClickException("another scheduler holds the lock; try again later")
        try:
            scheduler._app = app
            for spec in scheduler.job_specs(app):
                if spec.enabled:
                    click.echo(f"{spec.id}: {scheduler.run_job(spec.target)!r}")
        finally:
            runner.lock.release()
        return

    def stop(_signum, _frame) -> None:
        runner.stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    click.echo(f"scheduler {runner.owner}: waiting for the lock, then running (Ctrl+C stops)")
    runner.run()
    click.echo("scheduler stopped")
