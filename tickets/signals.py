"""What the tickets domain tells the packages above it (they subscribe at start-up).

Tickets know nothing of callbacks: when a ticket no longer needs a call back, the tickets
service sends ``ticket_closed`` and the callbacks package, connected by ``create_app``,
ends the ticket's callbacks.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Sent with the Ticket as sender, after the change is committed, when a ticket is resolved,
# declined or passed to the vendor's support; keyword arguments: status, actor, user_id.
ticket_closed = _signals.signal("ticket-closed")
