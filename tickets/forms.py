"""The consultant's forms on the ticket page (Flask-WTF), with their Russian messages."""

from __future__ import annotations

from wtforms.validators import DataRequired

from core import ui_text as t
from core.forms import Form, choice, colleague, text
from tickets.models import DeclineReason

TEXT_LIMIT = 5000  # a reply, a note, a transcript correction
SHORT_LIMIT = 100  # a vendor's reference
TOO_LONG = t.TOO_LONG.format(limit=TEXT_LIMIT)


class TranscriptForm(Form):
    """A correction of the recognizer's text."""

    text = text(DataRequired(t.TRANSCRIPT_EMPTY), limit=TEXT_LIMIT, too_long=TOO_LONG)


class NoteForm(Form):
    """A note beside the ticket."""

    text = text(DataRequired(t.NOTE_EMPTY), limit=TEXT_LIMIT, too_long=TOO_LONG)


class ReplyForm(Form):
    """The reply, which resolves the ticket."""

    reply = text(DataRequired(t.REPLY_EMPTY), limit=TEXT_LIMIT, too_long=TOO_LONG)


class EscalateForm(Form):
    """The vendor's reference and what the caller was told: both needed."""

    reference = text(limit=SHORT_LIMIT, too_long=t.TOO_LONG.format(limit=SHORT_LIMIT))
    told = text(limit=TEXT_LIMIT, too_long=TOO_LONG)

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False  # a text too long is named before a missing one
        if not (self.reference.data and self.told.data):
            self.form_errors.append(t.ESCALATE_EMPTY)
            return False
        return True


class DeclineForm(Form):
    """Declining, on one of the regulations' grounds."""

    reason = choice([str(r) for r in DeclineReason], t.DECLINE_BAD_REASON)
    comment = text(limit=TEXT_LIMIT, too_long=TOO_LONG)


class AssignForm(Form):
    """Give the ticket to a colleague (empty: to nobody)."""

    assignee = colleague(t.ASSIGN_BAD)
