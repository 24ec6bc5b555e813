"""The callbacks of tickets as the consultant's pages read them (tickets.callback_port).

Registered at start-up by ``callbacks.service.subscribe``: the tickets domain sits below
callbacks and reads them only through this reader.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from callbacks.models import ACTIVE_STATUSES, Callback
from core.extensions import db


class TicketCallbacks:
    """tickets.callback_port.CallbackReader over the callbacks table."""

    def latest(self, ticket_id: int) -> Callback | None:
        return db.session.scalar(
            select(Callback).where(Callback.ticket_id == ticket_id)
            .order_by(Callback.id.desc()).limit(1)
        )

    def ids(self, ticket_id: int) -> list[int]:
        return list(db.session.scalars(select(Callback.id).where(Callback.ticket_id == ticket_id)))

    def at_risk(self, ticket_ids: Sequence[int]) -> set[int]:
        if not ticket_ids:
            return set()
        return set(db.session.scalars(
            select(Callback.ticket_id).where(
                Callback.ticket_id.in_(ticket_ids), Callback.at_risk.is_(True),
                Callback.status.in_(ACTIVE_STATUSES),
            )
        ))
