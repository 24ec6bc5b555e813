"""The operator's forms on the callback card (Flask-WTF), with their Russian messages."""

from __future__ import annotations

from callbacks.models import CallbackOutcome
from core import ui_text as t
from core.forms import Form, choice, colleague, text
from tickets.models import DeclineReason

# The outcome buttons, in the regulations' words, and what the service records for each.
OUTCOMES: dict[str, tuple[CallbackOutcome, DeclineReason | None]] = {
    "resolved": (CallbackOutcome.RESOLVED, None),
    "no_answer": (CallbackOutcome.NO_ANSWER, None),
    "wrong_number": (CallbackOutcome.WRONG_NUMBER, None),
    "vendor_support": (CallbackOutcome.VENDOR_SUPPORT, None),
    "declined_not_enough_information": (CallbackOutcome.DECLINED,
                                        DeclineReason.NOT_ENOUGH_INFORMATION),
    "declined_incorrect_question": (CallbackOutcome.DECLINED, DeclineReason.INCORRECT_QUESTION),
    "ethics_violation": (CallbackOutcome.ABUSIVE, None),
}
NOTE_LIMIT = 2000
REFERENCE_LIMIT = 100  # a vendor's reference


class PostponeForm(Form):
    """«Отложить»: one of the offered delays."""

    delay = choice(t.POSTPONE_CHOICES, t.POSTPONE_BAD)


class OutcomeForm(Form):
    """The outcome of the call, with the operator's note and the vendor's reference."""

    outcome = choice(OUTCOMES, t.OUTCOME_BAD)
    note = text(limit=NOTE_LIMIT, too_long=t.TOO_LONG.format(limit=NOTE_LIMIT))
    vendor_reference = text(limit=REFERENCE_LIMIT,
                            too_long=t.TOO_LONG.format(limit=REFERENCE_LIMIT))


class AssignForm(Form):
    """Give the callback to a colleague (empty: back to the plan)."""

    assignee = colleague(t.ASSIGN_BAD)
