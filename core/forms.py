"""What every web form of ours shares (Flask-WTF): no second CSRF token, stripped text, and
the first problem as the one Russian sentence a page shows.

CSRFProtect (helpline.auth) already checks the token of every POST, so the forms do not ask
for their own. A form's messages are core.ui_text sentences given to its validators.
"""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import AnyOf, Length, Regexp


def strip(value: Any) -> str:
    """The field's text without surrounding spaces ("" when the field was not sent)."""
    return value.strip() if isinstance(value, str) else ""


class Form(FlaskForm):
    """A page's form: read from request.form, checked field by field in declaration order."""

    class Meta:
        csrf = False  # CSRFProtect guards every POST of the application

    def problem(self) -> str | None:
        """The first problem of the form (fields in declaration order), or None when valid."""
        if self.validate():
            return None
        for field in self:
            if field.errors:
                return str(field.errors[0])
        return str(self.form_errors[0]) if self.form_errors else None


def text(*validators: Any, limit: int | None = None, too_long: str | None = None) -> StringField:
    """A stripped text field; with `limit`, longer text is refused with `too_long`."""
    checks = list(validators)
    if limit is not None:
        checks.append(Length(max=limit, message=too_long))
    return StringField(filters=[strip], validators=checks)


def choice(values: Any, message: str) -> StringField:
    """One of `values`, exactly as sent; anything else is refused with `message`."""
    return StringField(filters=[lambda v: v if isinstance(v, str) else ""],
                       validators=[AnyOf(list(values), message=message)])


def colleague(message: str) -> StringField:
    """A colleague's id from a list (empty: nobody); anything else is refused with `message`."""
    return StringField(filters=[strip], validators=[Regexp(r"^(\d{1,9})?$", message=message)])
