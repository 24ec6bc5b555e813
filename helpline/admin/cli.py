"""`helpline admin create-regional`: the first user of an empty database.

Everything else (schools, staff, schedules) is then set up on the admin pages.
"""

from __future__ import annotations

import click
from sqlalchemy import select

from core.extensions import db
from core.models import User, UserRole
from helpline.admin import bp
from helpline.admin.forms import PASSWORD_MIN, FormError, parse_username


@bp.cli.command("create-regional")
@click.argument("username")
@click.option("--name", default="Региональный администратор", show_default=True,
              help="The person's name, as the pages show it.")
@click.option("--email", default=None, help="E-mail for notifications.")
@click.password_option(help="The password (asked twice when not given).")
def create_regional(username: str, name: str, email: str | None, password: str) -> None:
    """Create a regional admin, who can add schools on the admin pages."""
    try:
        username = parse_username(username)
    except FormError as error:
        raise click.BadParameter("2-64 Latin letters, digits, '.', '-' or '_'") from error
    if len(password) < PASSWORD_MIN:
        raise click.BadParameter(f"at least {PASSWORD_MIN} characters", param_hint="password")
    if db.session.scalar(select(User.id).where(User.username == username)):
        raise click.ClickException(f"user {username!r} exists already")
    user = User(username=username, name=name, email=email, roles=[UserRole.ADMIN.value],
                organization_id=None)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    click.echo(f"Regional admin {username!r} created: sign in and add the first school.")
