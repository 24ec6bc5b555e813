"""The operator's workspace: the callback queue and the callback card.

Thin views over callbacks.service (queue, claim, outcome, postpone) and callbacks.dialer
(the bridged call through the telephony port). Bad input is a 400 with a Russian message,
and nothing changes.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from callbacks import dialer, forms
from callbacks import service as callbacks
from callbacks.models import AttemptResult, Callback, CallbackOutcome, CallbackStatus
from core import access, clock, paging, settings
from core import service as org_service
from core import ui_text as t
from core.extensions import db
from core.models import Organization, User, UserRole
from tickets import history
from tickets.models import TranscriptionState

bp = Blueprint("operator", __name__, url_prefix="/operator")

OPERATOR = UserRole.OPERATOR.value
TABS = callbacks.QUEUE_TABS
OUTCOMES = forms.OUTCOMES
MESSAGE_WORDS = 40  # the first lines of the transcript on the card


# --- the queue -------------------------------------------------------------------------------


WHO_FILTERS = ("all", "mine")


def _who() -> str:
    who = request.args.get("who", "all")
    return who if who in WHO_FILTERS else "all"


def _filters(org: Organization) -> tuple[str, str, str]:
    tab = request.args.get("tab", "due")
    role = request.args.get("role", "")
    topic = request.args.get("topic", "")
    if tab not in TABS:
        tab = "due"
    if role not in {r.code for r in org.roles}:
        role = ""
    if topic not in {tp.code for tp in org.topics}:
        topic = ""
    return tab, role, topic


def _queue_context() -> dict:
    """One page of one tab, the tab counts in one aggregate, the first words in one query."""
    org = access.require_org()
    tab, role, topic = _filters(org)
    number = paging.page_number()
    now = clock.now()
    mine = current_user.id if _who() == "mine" else None
    policy = settings.current().callbacks
    counts = callbacks.queue_counts(org, policy=policy, now=now, role=role, topic=topic,
                                    assignee=mine)
    pager = paging.Page(number, counts[tab])
    rows = callbacks.queue_rows(org, tab, policy=policy, now=now, role=role, topic=topic,
                                offset=pager.offset, limit=pager.per_page, assignee=mine)
    return {
        "tab": tab,
        "tabs": TABS,
        "role": role,
        "topic": topic,
        "rows": rows,
        "counts": counts,
        "pager": pager,
        "pager_url": lambda n: url_for("operator.queue", tab=tab, page=n, role=role or None,
                                       topic=topic or None,
                                       who=_who() if _who() != "all" else None),
        "names": {
            "roles": {r.code: r.name for r in org.roles},
            "topics": {tp.code: tp.name for tp in org.topics},
        },
        "words": callbacks.words_for([c.ticket_id for c in rows]),
        "updated": now,
        "query": {"role": role, "topic": topic, "who": _who()},
        "who": _who(),
        "who_filters": WHO_FILTERS,
    }


@bp.get("/")
@access.roles_required(OPERATOR)
def queue():
    """Who to call: due now, later today, tomorrow, all planned, overdue, being called, done."""
    return render_template("operator/queue.html", **_queue_context())


@bp.get("/next")
@access.roles_required(OPERATOR)
def next_callback():
    """«N»: the card of the next callback to make, or the queue when there is none."""
    raw = request.args.get("after", "")
    after = int(raw) if raw.isdigit() and len(raw) < 10 else None
    callback = callbacks.next_due(access.require_org(), current_user._get_current_object(),
                                  policy=settings.current().callbacks, after=after)
    if callback is None:
        flash(t.NEXT_NONE, "info")
        return redirect(url_for("operator.queue"))
    return redirect(url_for("operator.card", callback_id=callback.id))


@bp.get("/queue-fragment")
@access.roles_required(OPERATOR)
def queue_fragment():
    """The same lists as an HTML fragment: the page swaps it in every 20 seconds."""
    return render_template("operator/_queue.html", **_queue_context())


# --- the card --------------------------------------------------------------------------------


def _callback(callback_id: int) -> Callback:
    """The callback if it belongs to the user's organization; anything else is a 404."""
    callback = callbacks.get(access.require_org().id, callback_id)
    if callback is None:
        abort(404)
    return callback


@bp.get("/callbacks/<int:callback_id>")
@access.roles_required(OPERATOR)
def card(callback_id: int):
    return _card(_callback(callback_id))


def _card(callback: Callback, *, error: str | None = None, status: int = 200,
          values: dict | None = None):
    org = access.require_org()
    ticket = callback.ticket
    recording = next(
        (r for r in reversed(ticket.recordings)
         if r.path and r.state != TranscriptionState.DELETED), None
    )
    return render_template(
        "operator/card.html",
        callback=callback,
        ticket=ticket,
        names={"roles": {r.code: r.name for r in org.roles},
               "topics": {tp.code: tp.name for tp in org.topics}},
        words=callbacks.message_words(ticket, limit=MESSAGE_WORDS),
        recording=recording,
        attempts=callback.attempts_log,
        outcomes=OUTCOMES,
        active=callback.is_active,
        mine=callback.claimed_by_id == current_user.id,
        # A conversation's outcome needs a call: «Позвонить» first (or the line's ring).
        needs_call=callback.status == CallbackStatus.PLANNED,
        claimed_by_other=callback.claimed_by_id not in (None, current_user.id)
        and callback.status == CallbackStatus.DIALING,
        caller_history=history.caller_history(ticket, callback.phone),
        colleagues=org_service.colleagues(org.id, (OPERATOR,)),
        history_limit=history.LIMIT,
        error=error,
        values=values or {},
    ), status


def _back(callback: Callback, message: str, category: str = "success"):
    flash(message, category)
    return redirect(url_for("operator.card", callback_id=callback.id))


@bp.post("/callbacks/<int:callback_id>/call")
@access.roles_required(OPERATOR)
def call(callback_id: int):
    """«Позвонить»: the line rings the operator's phone, then bridges to the caller."""
    callback = _callback(callback_id)
    if not current_user.phone:
        return _card(callback, error=t.CALL_NO_PHONE, status=400)
    if not callback.phone:
        return _card(callback, error=t.CALL_NO_NUMBER, status=400)
    if callback.claimed_by_id not in (None, current_user.id) and (
        callback.status == CallbackStatus.DIALING
    ):
        return _card(callback, error=t.CALL_TAKEN, status=409)
    try:
        config = settings.current()
        attempt = dialer.start_call(callback.id, current_user._get_current_object(),
                                    base_url=config.public_url, policy=config.callbacks)
    except callbacks.CallbackError:
        db.session.rollback()
        callback = _callback(callback_id)
        taken = callback.claimed_by_id not in (None, current_user.id)
        return _card(callback, error=t.CALL_TAKEN if taken else t.CALL_REFUSED, status=409)
    if attempt.result == AttemptResult.NOT_PLACED:
        return _back(callback, t.CALL_NOT_PLACED, "error")
    return _back(callback, t.CALL_STARTED)


@bp.post("/callbacks/<int:callback_id>/postpone")
@access.roles_required(OPERATOR)
def postpone(callback_id: int):
    """«Отложить»: 15 minutes, an hour, or the next working day (inside a callback window)."""
    callback = _callback(callback_id)
    form = forms.PostponeForm()
    if problem := form.problem():
        return _card(callback, error=problem, status=400)
    choice = form.delay.data
    now = clock.now()
    kwargs: dict = {"minutes": float(choice)} if choice.isdigit() else {
        "until": _tomorrow(access.require_org(), now)
    }
    try:
        callbacks.postpone(callback.id, policy=settings.current().callbacks,
                           user=current_user._get_current_object(), **kwargs)
    except callbacks.CallbackError:
        db.session.rollback()
        return _card(_callback(callback_id), error=t.CALLBACK_CLOSED, status=409)
    callback = _callback(callback_id)
    return _back(callback, t.POSTPONED.format(when=access.format_when(callback.planned_at)))


def _tomorrow(org: Organization, now: datetime) -> datetime:
    """The start of tomorrow in the school's zone: the planner finds the next window."""
    zone = ZoneInfo(org.timezone)
    local = now.astimezone(zone).date() + timedelta(days=1)
    return datetime.combine(local, time(0), tzinfo=zone)


@bp.post("/callbacks/<int:callback_id>/outcome")
@access.roles_required(OPERATOR)
def outcome(callback_id: int):
    """Record the outcome; «не дозвонились» plans the next attempt (or gives up)."""
    callback = _callback(callback_id)
    form = forms.OutcomeForm()
    choice, note, reference = form.outcome.data, form.note.data, form.vendor_reference.data
    values = {"note": note, "vendor_reference": reference}
    if problem := form.problem():
        return _card(callback, error=problem, status=400, values=values)
    result, reason = OUTCOMES[choice]
    if callbacks.needs_call(callback, result):
        return _card(callback, error=t.OUTCOME_NEEDS_CALL, status=400, values=values)
    try:
        callbacks.record_outcome(
            callback.id, result, policy=settings.current().callbacks,
            user=current_user._get_current_object(), note=note or None,
            decline_reason=reason, vendor_reference=reference or None,
        )
    except callbacks.CallbackError:
        db.session.rollback()
        callback = _callback(callback_id)
        taken = callback.claimed_by_id not in (None, current_user.id)
        return _card(callback, error=t.CALL_TAKEN if taken else t.OUTCOME_REFUSED, status=409,
                     values=values)
    db.session.expire_all()
    callback = _callback(callback_id)
    message = t.OUTCOME_SAVED.format(outcome=t.OUTCOME[choice])
    if result == CallbackOutcome.NO_ANSWER:
        if callback.status == CallbackStatus.UNREACHABLE:
            message += " " + t.RETRY_EXHAUSTED
        elif callback.planned_at is not None:
            message += " " + t.RETRY_PLANNED.format(when=access.format_when(callback.planned_at))
    return _back(callback, message)


@bp.post("/callbacks/<int:callback_id>/assign")
@access.roles_required(OPERATOR)
def assign(callback_id: int):
    """Give the callback to a colleague (or back to the plan)."""
    callback = _callback(callback_id)
    form = forms.AssignForm()
    if form.problem():
        return _card(callback, error=t.ASSIGN_BAD, status=400)
    user = None
    if form.assignee.data:
        user = db.session.get(User, int(form.assignee.data))
        if user is None or not {OPERATOR, UserRole.ADMIN.value} & set(user.roles or ()):
            return _card(callback, error=t.ASSIGN_BAD, status=400)
    try:
        callbacks.assign(callback, user, actor=current_user.username,
                         actor_id=current_user.id)
    except ValueError:
        db.session.rollback()
        callback = _callback(callback_id)
        message = t.ASSIGN_CLOSED if not callback.is_active else t.ASSIGN_BAD
        return _card(callback, error=message, status=400)
    return _back(callback, t.ASSIGNED.format(name=user.name) if user else t.UNASSIGNED)


@bp.post("/callbacks/<int:callback_id>/release")
@access.roles_required(OPERATOR)
def release(callback_id: int):
    """Give a callback the operator took back to the queue."""
    callback = _callback(callback_id)
    try:
        callbacks.release(callback.id, current_user._get_current_object())
    except callbacks.CallbackError:
        db.session.rollback()
        return _card(_callback(callback_id), error=t.CALL_TAKEN, status=409)
    return _back(callback, t.RELEASED)
