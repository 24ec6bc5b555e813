"""What the tickets domain tells the packages above it (they subscribe at start-up).

Tickets know nothing of callbacks: when a caller was promised a call back and the ticket
is ready for one, the tickets domain sends ``callback_needed`` and the callbacks package,
connected by ``create_app``, plans it; when a ticket no longer needs a call back it sends
``ticket_closed`` and the callbacks package ends the ticket's callbacks.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Sent with the Ticket as sender, after the change is committed, when a ticket is resolved,
# declined or passed to the vendor's support; keyword arguments: status, actor, user_id.
ticket_closed = _signals.signal("ticket-closed")

# Sent with the Ticket as sender when an open ticket whose caller was promised a call back
# is ready for one: its transcript is attached, or it will have none (no model, no audio),
# or it came back from the spool. Receivers must be idempotent: it may be sent again.
callback_needed = _signals.signal("callback-needed")
