"""What the consultant's pages read of a ticket's callbacks, through a port.

Callbacks build on tickets, so the tickets domain may not import them; yet the inbox marks
the tickets whose callback is at risk, the ticket page shows the ticket's latest callback,
and its history includes the callbacks' audit events. The callbacks package registers its
reader at start-up (``callbacks.service.subscribe``, called by ``create_app``), as it
connects to the tickets' signals; until one is registered a ticket has no callbacks.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol


class CallbackFacts(Protocol):
    """The latest callback as the ticket page shows it."""

    @property
    def status(self) -> str: ...

    @property
    def planned_at(self) -> datetime | None: ...


class CallbackReader(Protocol):
    """Reads of the callbacks of tickets, implemented by the callbacks package."""

    def latest(self, ticket_id: int) -> CallbackFacts | None:
        """The ticket's most recent callback, or None."""
        ...

    def ids(self, ticket_id: int) -> list[int]:
        """The ids of all the ticket's callbacks (their audit events join its history)."""
        ...

    def at_risk(self, ticket_ids: Sequence[int]) -> set[int]:
        """Those of the tickets whose active callback may miss its deadline."""
        ...


class NoCallbacks:
    """The reader before the callbacks package registers one: no ticket has a callback."""

    def latest(self, ticket_id: int) -> CallbackFacts | None:
        return None

    def ids(self, ticket_id: int) -> list[int]:
        return []

    def at_risk(self, ticket_ids: Sequence[int]) -> set[int]:
        return set()


_reader: CallbackReader = NoCallbacks()


def register(reader: CallbackReader) -> None:
    """Use `reader` for the callbacks of tickets (called at start-up; the last one wins)."""
    global _reader
    _reader = reader


def reader() -> CallbackReader:
    """The registered reader of the tickets' callbacks."""
    return _reader
