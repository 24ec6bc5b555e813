"""Application-wide routes: health check and the front page."""

from flask import Blueprint, jsonify, redirect, url_for
from sqlalchemy import text

from core.extensions import db

bp = Blueprint("core", __name__)


@bp.get("/healthz")
def healthz():
    """Report whether the database answers (for load balancers and monitoring)."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as exc:  # any database failure means "not healthy"
        return jsonify(status="error", database=type(exc).__name__), 503
    return jsonify(status="ok", database="ok")


@bp.get("/")
def index():
    """The front page is the workspace (sign-in first)."""
    return redirect(url_for("auth.home"))
