"""Input the pages refuse before any view sees it, so no query parameter reaches a 500.

- Query strings, paths and form fields of the pages (not the Twilio webhooks, which answer
  TwiML and clean their own fields) may not carry NUL or other control characters:
  PostgreSQL refuses NUL in text, and nobody types one. Such a request is a 400.
- ``<int:...>`` in routes matches 1 … 2**31-1 only (our keys are PostgreSQL ``integer``):
  a longer number is a 404, as an unknown id is.
- A value the database still refuses (out of range for its column) is a 400, not a 500.
"""

from __future__ import annotations

import logging
import re

from flask import Flask, jsonify, render_template, request
from sqlalchemy.exc import DataError
from werkzeug.routing import IntegerConverter

from core import ui_text as t
from core.extensions import db

log = logging.getLogger(__name__)

INT4_MAX = 2**31 - 1  # PostgreSQL integer: every id and count column
# Form values may hold line breaks (a note, a prompt text); nothing else below a space.
_FORM_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ARG_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Blueprints answering Twilio: their views sanitize fields and answer TwiML themselves.
WEBHOOK_BLUEPRINTS = ("ivr", "callbacks")


class BoundedIntConverter(IntegerConverter):
    """Werkzeug's ``int`` converter, limited to the range of a database ``integer`` id."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("min", 0)
        kwargs.setdefault("max", INT4_MAX)
        super().__init__(map, *args, **kwargs)


def install_converters(app: Flask) -> None:
    """Call before any blueprint is registered (rules bind their converters then)."""
    app.url_map.converters["int"] = BoundedIntConverter


def init_app(app: Flask) -> None:
    app.before_request(_refuse_control_characters)
    app.register_error_handler(DataError, _out_of_range)
    app.register_error_handler(OverflowError, _out_of_range)


def parse_id(value: str | None) -> int | None:
    """An id typed in a query string: None when empty; ValueError when not 1 … 2**31-1."""
    if value is None or not value.strip():
        return None
    number = int(value.strip())
    if not 1 <= number <= INT4_MAX:
        raise ValueError(f"id out of range: {value!r}")
    return number


def _refuse_control_characters():
    if request.blueprint in WEBHOOK_BLUEPRINTS:
        return None
    suspicious = _ARG_CONTROL.search(request.path) or any(
        _ARG_CONTROL.search(key) or _ARG_CONTROL.search(value)
        for key, value in request.args.items(multi=True)
    )
    if not suspicious and request.mimetype in (
        "application/x-www-form-urlencoded", "multipart/form-data"
    ):
        suspicious = any(
            _ARG_CONTROL.search(key) or _FORM_CONTROL.search(value)
            for key, value in request.form.items(multi=True)
        )
    if suspicious:
        return bad_input()
    return None


def bad_input():
    """A 400 in Russian (JSON for the browser phone's API)."""
    if request.path.startswith("/phone/api") or request.is_json or (
        request.accept_mimetypes.best == "application/json"
    ):
        return jsonify(error=t.ERROR_BAD_INPUT), 400
    return render_template("error.html", code=400, message=t.ERROR_BAD_INPUT), 400


def _out_of_range(error: Exception):
    db.session.rollback()
    log.warning("%s %s: the database refused a value: %s", request.method, request.path,
                type(error).__name__)
    return bad_input()
