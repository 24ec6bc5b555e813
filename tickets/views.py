"""The consultant's pages: the voice-message inbox and the ticket page with its actions.

Thin views: check access and the form, call tickets.casework, redirect (or show the page
again with a Russian message and HTTP 400 when the input is wrong; nothing is changed then).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user

from core import access, clock, paging, phones, service, settings
from core import ui_text as t
from core.extensions import db
from core.models import Organization, User, UserRole
from tickets import callback_port, casework, forms, history, search
from tickets import service as tickets
from tickets.models import DeclineReason, Recording, Ticket, Transcript, TranscriptionState

bp = Blueprint("tickets", __name__, url_prefix="/tickets", template_folder="templates")

WORKERS = (UserRole.CONSULTANT.value, UserRole.OPERATOR.value)
CONSULTANT = UserRole.CONSULTANT.value
WHO_FILTERS = ("all", "mine")


def _who() -> casework.Actor:
    return casework.Actor(current_user.username, current_user.id)


def _ticket(ticket_id: int) -> Ticket:
    """The ticket if it belongs to the user's organization; any other ticket is a 404."""
    ticket = tickets.get(access.require_org().id, ticket_id)
    if ticket is None:
        abort(404)
    return ticket


def _is_consultant() -> bool:
    return bool({CONSULTANT, UserRole.ADMIN.value} & set(current_user.roles or ()))


def _consultant_only() -> None:
    if not _is_consultant():
        abort(403)


# --- the inbox -------------------------------------------------------------------------------


@bp.get("/")
@access.roles_required(*WORKERS)
def inbox():
    """New, in progress, overdue and closed tickets, with counts."""
    org = access.require_org()
    tab = request.args.get("tab", "new")
    if tab not in casework.INBOX_TABS:
        tab = "new"
    who = request.args.get("who", "all")
    if who not in WHO_FILTERS:
        who = "all"
    mine = current_user.id if who == "mine" else None
    number = paging.page_number()
    now = clock.now()
    counts = casework.inbox_counts(org.id, now=now, assignee_id=mine)
    pager = paging.Page(number, counts[tab])
    rows = casework.inbox(org.id, tab, now=now, offset=pager.offset, limit=pager.per_page,
                          assignee_id=mine)
    return render_template(
        "tickets/inbox.html",
        tab=tab,
        tabs=casework.INBOX_TABS,
        counts=counts,
        pager=pager,
        pager_url=lambda n: url_for("tickets.inbox", tab=tab, page=n,
                                    who=who if who != "all" else None),
        who=who,
        who_filters=WHO_FILTERS,
        tickets=rows,
        transcripts=casework.transcripts_for([r.id for r in rows]),
        shown_text=casework.shown_text,
        names=_names(org),
        now=now,
        at_risk=callback_port.reader().at_risk([r.id for r in rows]),
    )


@bp.get("/search")
@access.roles_required(*WORKERS)
def search_page():
    """Search the school's tickets by phone number, ticket number, name or words."""
    org = access.require_org()
    query = (request.args.get("q") or "").strip()[: search.QUERY_LIMIT]
    rows = search.search(org.id, query) if query else []
    return render_template(
        "tickets/search.html",
        query=query,
        tickets=rows,
        limit=search.RESULT_LIMIT,
        transcripts=casework.transcripts_for([r.id for r in rows]),
        shown_text=casework.shown_text,
        names=_names(org),
        now=clock.now(),
    )


def _names(org: Organization) -> dict[str, dict[str, str]]:
    return {
        "roles": {r.code: r.name for r in org.roles},
        "topics": {tp.code: tp.name for tp in org.topics},
    }


# --- the ticket page -------------------------------------------------------------------------


@bp.get("/<int:ticket_id>")
@access.roles_required(*WORKERS)
def ticket(ticket_id: int):
    return _page(_ticket(ticket_id))


def _page(ticket: Ticket, *, error: str | None = None, status: int = 200, form: str = "",
          values: dict | None = None):
    """The ticket page; on bad input, shown again with the message next to the form."""
    org = access.require_org()
    transcript = casework.latest_transcript(ticket)
    corrected_by = (
        db.session.get(User, transcript.corrected_by_id)
        if transcript is not None and transcript.corrected_by_id else None
    )
    assignee = db.session.get(User, ticket.assignee_id) if ticket.assignee_id else None
    events = casework.history(ticket)
    people = {e.user_id for e in events if e.user_id} | {
        e.details.get("assignee_id") for e in events
        if e.action.endswith(".assigned") and isinstance(e.details.get("assignee_id"), int)}
    users = {u.id: u for u in service.users_by_id(i for i in people if isinstance(i, int))}
    live_calls = [c for c in tickets.calls_of([ticket.id])[ticket.id] if c.outcome == "live"]
    takers = {taker for c in live_calls
              if (taker := (c.state or {}).get("answered_by")) is not None}
    return render_template(
        "tickets/ticket.html",
        ticket=ticket,
        names=_names(org),
        recordings=[r for r in ticket.recordings],
        playable=_playable,
        transcript=transcript,
        words=casework.marked_words(transcript) if transcript else [],
        shown_text=casework.shown_text(transcript),
        corrected_by=corrected_by,
        assignee=assignee,
        suggestions=_suggestions(ticket, org),
        notes=casework.notes(ticket),
        history=events,
        users=users,
        caller_history=history.caller_history(ticket),
        history_limit=history.LIMIT,
        live_calls=live_calls,
        live_takers={u.id: u.name for u in service.users_by_id(takers)},
        callback=callback_port.reader().latest(ticket.id),
        decline_reasons=list(DeclineReason),
        vendor_phones=", ".join(phones.display(p) for p in (org.vendor_phones or ())),
        is_consultant=_is_consultant(),
        colleagues=service.colleagues(org.id, WORKERS),
        error=error,
        error_form=form,
        values=values or {},
        now=clock.now(),
    ), status


def _playable(recording: Recording) -> bool:
    return bool(recording.path) and recording.state != TranscriptionState.DELETED


def _suggestions(ticket: Ticket, org: Organization) -> list[dict]:
    """The transcript's suggestions beside the ticket's current values."""
    found = ticket.suggestions or {}
    topics = {tp.code: tp.name for tp in org.topics}
    current = {
        "phone": ticket.callback_number,
        "class": ticket.student_class,
        "topic": ticket.topic,
    }
    rows = []
    for field in casework.SUGGESTION_FIELDS:
        value = found.get(field)
        if not value:
            continue
        rows.append({
            "field": field,
            "label": t.SUGGESTION_FIELD[field],
            "value": _shown(field, value, topics),
            "current": _shown(field, current[field], topics) if current[field] else t.NOT_SET,
            "same": str(value) == str(current[field] or ""),
        })
    return rows


def _shown(field: str, value: Any, topics: dict[str, str]) -> str:
    """A suggested or current value as the consultant reads it."""
    if field == "phone":
        return phones.display(value)
    if field == "topic":
        return topics.get(value, value)
    return str(value)


# --- the recording ---------------------------------------------------------------------------


@bp.get("/<int:ticket_id>/recordings/<int:recording_id>.wav")
@access.roles_required(*WORKERS)
def recording_audio(ticket_id: int, recording_id: int):
    """Stream the voice message (HTTP Range for seeking); each listen is audited."""
    ticket = _ticket(ticket_id)
    recording = db.session.get(Recording, recording_id)
    if (recording is None or recording.path is None or recording.ticket_id != ticket.id
            or not _playable(recording)):
        abort(404)
    data_dir = Path(settings.current().data_dir).resolve()
    path = (data_dir / recording.path).resolve()
    if not path.is_relative_to(data_dir) or not path.is_file():
        abort(404)
    range_header = request.headers.get("Range")
    # A player asks for bytes=0- to start and for later ranges to seek: one listen, one event.
    if range_header is None or range_header.replace(" ", "").startswith("bytes=0-"):
        casework.record_listen(recording, _who(), range_header=range_header)
    response = send_file(path, mimetype="audio/wav", conditional=True, etag=True, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- actions ---------------------------------------------------------------------------------


def _done(ticket: Ticket, message: str, anchor: str = ""):
    flash(message, "success")
    return redirect(url_for("tickets.ticket", ticket_id=ticket.id) + anchor)


def _refused(ticket: Ticket):
    """The lifecycle does not allow it: said at the top, where any form's result shows."""
    return _page(ticket, error=t.TRANSITION_REFUSED.format(
        status=t.TICKET_STATUS[str(ticket.status)]), status=400, form="top")


@bp.post("/<int:ticket_id>/take")
@access.roles_required(CONSULTANT)
def take(ticket_id: int):
    ticket = _ticket(ticket_id)
    try:
        casework.take(ticket, _who())
    except tickets.TicketError:
        return _refused(ticket)
    return _done(ticket, t.TAKEN)


@bp.post("/<int:ticket_id>/transcripts/<int:transcript_id>")
@access.roles_required(CONSULTANT)
def correct_transcript(ticket_id: int, transcript_id: int):
    """Save a correction beside the recognizer's text."""
    ticket = _ticket(ticket_id)
    transcript = db.session.get(Transcript, transcript_id)
    if transcript is None or transcript.ticket_id != ticket.id:
        abort(404)
    form = forms.TranscriptForm()
    if problem := form.problem():
        return _page(ticket, error=problem, status=400, form="transcript",
                     values={"text": form.text.data})
    casework.correct_transcript(transcript, form.text.data, _who())
    return _done(ticket, t.TRANSCRIPT_SAVED, "#transcript")


@bp.post("/<int:ticket_id>/suggestions/<field>")
@access.roles_required(CONSULTANT)
def accept_suggestion(ticket_id: int, field: str):
    """One click: take the number, class or topic the transcript suggests."""
    ticket = _ticket(ticket_id)
    try:
        value = casework.accept_suggestion(ticket, field, _who())
    except ValueError:
        return _page(ticket, error=t.SUGGESTION_UNKNOWN, status=400, form="suggestions")
    if field == "phone":
        value = phones.display(value)
    elif field == "topic":
        value = _names(access.require_org())["topics"].get(value, value)
    return _done(ticket, t.SUGGESTION_ACCEPTED.format(field=t.SUGGESTION_FIELD[field],
                                                      value=value), "#suggestions")


@bp.post("/<int:ticket_id>/notes")
@access.roles_required(*WORKERS)
def add_note(ticket_id: int):
    ticket = _ticket(ticket_id)
    form = forms.NoteForm()
    if problem := form.problem():
        return _page(ticket, error=problem, status=400, form="note",
                     values={"note": form.text.data})
    casework.add_note(ticket, form.text.data, _who())
    return _done(ticket, t.NOTE_ADDED, "#notes")


@bp.post("/<int:ticket_id>/resolve")
@access.roles_required(CONSULTANT)
def resolve(ticket_id: int):
    """The reply, which resolves the ticket."""
    ticket = _ticket(ticket_id)
    form = forms.ReplyForm()
    if problem := form.problem():
        return _page(ticket, error=problem, status=400, form="reply",
                     values={"reply": form.reply.data})
    try:
        casework.resolve(ticket, form.reply.data, _who())
    except tickets.TicketError:
        return _refused(ticket)
    return _done(ticket, t.RESOLVED)


@bp.post("/<int:ticket_id>/escalate")
@access.roles_required(CONSULTANT)
def escalate(ticket_id: int):
    """Pass to the vendor's support: their reference and what the caller was told."""
    ticket = _ticket(ticket_id)
    form = forms.EscalateForm()
    reference, told = form.reference.data, form.told.data
    if problem := form.problem():
        return _page(ticket, error=problem, status=400, form="escalate",
                     values={"reference": reference, "told": told})
    try:
        casework.escalate(ticket, reference, told, _who())
    except tickets.TicketError:
        return _refused(ticket)
    return _done(ticket, t.ESCALATED)


@bp.post("/<int:ticket_id>/decline")
@access.roles_required(CONSULTANT)
def decline(ticket_id: int):
    """Decline on one of the regulations' grounds."""
    ticket = _ticket(ticket_id)
    form = forms.DeclineForm()
    comment = form.comment.data
    if problem := form.problem():
        return _page(ticket, error=problem, status=400, form="decline",
                     values={"comment": comment})
    try:
        casework.decline(ticket, DeclineReason(form.reason.data), comment, _who())
    except tickets.TicketError:
        return _refused(ticket)
    return _done(ticket, t.DECLINED)


@bp.post("/<int:ticket_id>/assign")
@access.roles_required(*WORKERS)
def assign(ticket_id: int):
    """Give the ticket to a colleague (or to nobody)."""
    ticket = _ticket(ticket_id)
    form = forms.AssignForm()
    if form.problem():
        return _page(ticket, error=t.ASSIGN_BAD, status=400, form="assign")
    user = None
    if form.assignee.data:
        user = db.session.get(User, int(form.assignee.data))
        if user is None or not {*WORKERS, UserRole.ADMIN.value} & set(user.roles or ()):
            return _page(ticket, error=t.ASSIGN_BAD, status=400, form="assign")
    try:
        casework.assign(ticket, user, _who())
    except ValueError:
        return _page(ticket, error=t.ASSIGN_BAD, status=400, form="assign")
    return _done(ticket, t.ASSIGNED.format(name=user.name) if user else t.UNASSIGNED)


@bp.post("/<int:ticket_id>/reopen")
@access.roles_required(CONSULTANT)
def reopen(ticket_id: int):
    ticket = _ticket(ticket_id)
    try:
        casework.reopen(ticket, _who())
    except tickets.TicketError:
        return _refused(ticket)
    return _done(ticket, t.REOPENED)

