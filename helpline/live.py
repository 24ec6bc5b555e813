"""Live updates of the queue and the inbox: a short server-sent event stream.

Gunicorn's sync workers serve one request each, so the stream is short-lived: it sends the
school's snapshot (one query) every LIVE_TICK_SECONDS for LIVE_STREAM_SECONDS, then ends
with a ``retry:`` hint, and the browser's EventSource reconnects by itself. The pages fetch
their lists again only when the snapshot changed. No library and no CDN: plain EventSource
(helpline/static/app.js).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import datetime

from flask import Blueprint, Response, stream_with_context
from sqlalchemy import func, select

from callbacks.models import ACTIVE_STATUSES, Callback, CallbackStatus
from core import access, clock, settings
from core.extensions import db
from core.models import UserRole
from tickets.models import Ticket, TicketStatus

bp = Blueprint("live", __name__, url_prefix="/live")

def snapshot(org_id: int, now: datetime) -> dict:
    """What the pages show at a glance, in one query: counts and the latest changes."""
    def scalar(query):
        return query.scalar_subquery()

    row = db.session.execute(select(
        scalar(select(func.count(Ticket.id)).where(
            Ticket.organization_id == org_id, Ticket.status == TicketStatus.NEW)).label("new"),
        scalar(select(func.max(Ticket.id)).where(
            Ticket.organization_id == org_id)).label("latest"),
        scalar(select(func.max(Ticket.updated_at)).where(
            Ticket.organization_id == org_id)).label("tickets_at"),
        scalar(select(func.count(Callback.id)).where(
            Callback.organization_id == org_id, Callback.status == CallbackStatus.PLANNED,
            Callback.planned_at <= now)).label("due"),
        scalar(select(func.count(Callback.id)).where(
            Callback.organization_id == org_id,
            Callback.status.in_(ACTIVE_STATUSES))).label("active"),
        scalar(select(func.max(Callback.updated_at)).where(
            Callback.organization_id == org_id)).label("callbacks_at"),
    )).one()
    return {
        "new": row.new or 0,
        "latest": row.latest or 0,
        "due": row.due or 0,
        "active": row.active or 0,
        "version": f"{row.tickets_at}|{row.callbacks_at}|{row.new}|{row.due}|{row.active}",
    }


def stream(org_id: int) -> Iterator[str]:
    """The event stream: a snapshot when it changes, a comment line otherwise, then the end."""
    config = settings.current()
    tick, seconds = config.live_tick_seconds, config.live_stream_seconds
    yield f"retry: {config.live_retry_ms}\n\n"
    deadline = time.monotonic() + seconds
    last = None
    while True:
        try:
            data = snapshot(org_id, clock.now())
        finally:
            db.session.remove()  # hold no connection (nor a snapshot) between ticks
        if data != last:
            yield f"event: snapshot\ndata: {json.dumps(data)}\n\n"
            last = data
        else:
            yield ": idle\n\n"  # also finds out, cheaply, that the browser has gone
        if time.monotonic() + tick > deadline:
            return
        time.sleep(tick)


@bp.get("/events")
@access.roles_required(UserRole.OPERATOR.value, UserRole.CONSULTANT.value)
def events():
    org_id = access.require_org().id
    response = Response(stream_with_context(stream(org_id)), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return response
