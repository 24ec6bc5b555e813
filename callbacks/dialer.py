"""Ring the operator at the planned time, bridge to the caller, and learn how the call went.

The outbound call goes to the operator (the school's number as caller ID); the operator hears
a whisper and presses 1 to be connected to the caller, 2 to postpone, 3 to leave it in the
queue. What happened comes back from the telephony as webhooks, in any order and possibly
twice: each fact is stored on the attempt, and the attempt is settled exactly once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from sqlalchemy import or_, select, update

from callbacks import prompts, service
from callbacks.models import (
    CALLER_FAILURES,
    AttemptResult,
    Callback,
    CallbackAttempt,
    CallbackOutcome,
    CallbackStatus,
)
from core import clock, phones, russian, telephony, worktime
from core import service as org_service
from core.extensions import db, rowcount
from core.models import CallbackMode, DutyKind, Organization, User
from core.settings import CallbackSettings
from tickets.models import Ticket

log = logging.getLogger(__name__)

TERMINAL = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})
MACHINE_PREFIXES = ("machine", "fax")


def is_machine(answered_by: str | None) -> bool:
    """Tell whether Twilio's AnsweredBy means an answering machine or a fax."""
    return answered_by is not None and answered_by.startswith(MACHINE_PREFIXES)


def school_number(org: Organization) -> str | None:
    """The number callers know: the help line's own, shown as the caller ID."""
    if org.phones:
        return org.phones[0].number
    return org.contact_phone


WEBHOOKS = "/callbacks"  # the prefix of the callbacks' webhooks (callbacks/views.py)


def webhook_url(base_url: str, name: str, **params: object) -> str:
    """The absolute URL Twilio is to request (and sign) for one of our webhooks.

    Built from the configured public base URL (HELPLINE_PUBLIC_URL): Twilio signs the URL it
    calls, and behind a proxy no request of ours knows that address.
    """
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return f"{base_url.rstrip('/')}{WEBHOOKS}/{name}" + (f"?{query}" if query else "")


# --- ringing -------------------------------------------------------------------------------


def due(now: datetime | None = None, limit: int = 50) -> list[int]:
    """Callbacks whose time has come, in auto-mode organizations, earliest first."""
    now = now or clock.now()
    return list(db.session.scalars(
        select(Callback.id)
        .join(Organization, Organization.id == Callback.organization_id)
        .where(
            Callback.status == CallbackStatus.PLANNED,
            Callback.manual.is_(False),
            Callback.planned_at <= now,
            Organization.callback_mode == CallbackMode.AUTO,
        )
        .order_by(Callback.planned_at, Callback.id)
        .limit(limit)
    ))


def _busy_operators(now: datetime, policy: CallbackSettings) -> set[int]:
    """Operators already on a callback call (one ring at a time per person)."""
    recent = now - timedelta(minutes=policy.stale_minutes)
    return {
        op for op in db.session.scalars(
            select(CallbackAttempt.operator_id).where(
                CallbackAttempt.result.is_(None),
                CallbackAttempt.ended_at.is_(None),
                CallbackAttempt.started_at >= recent,
                CallbackAttempt.operator_id.is_not(None),
            )
        )
        if op is not None
    }


def ring(callback_id: int, *, base_url: str, policy: CallbackSettings,
         now: datetime | None = None) -> CallbackAttempt | None:
    """Ring an operator on duty for this due callback; None when it is not the time after all.

    Outside a callback window (a leave, a closed day, the scheduler was down overnight) or at
    night in the caller's zone the callback is planned again instead; with every operator on
    duty busy it simply waits for the next tick.
    """
    now = now or clock.now()
    callback = db.session.get(Callback, callback_id)
    if (callback is None or callback.status != CallbackStatus.PLANNED or callback.manual
            or callback.planned_at is None or callback.planned_at > now):
        return None
    org = db.session.get_one(Organization, callback.organization_id)
    ticket = callback.ticket
    if not ticket.is_open:
        service.cancel_for_ticket(ticket)
        return None
    if not callback.phone:
        service.to_queue(callback)
        db.session.commit()
        log.info("callback %s has no number: left in the queue", callback.id)
        return None
    schedule = org_service.schedule_for(org)
    openness = worktime.is_open(schedule, now, kind=DutyKind.CALLBACKS.value, role=ticket.role,
                                topic=ticket.topic)
    start, end = policy.caller_window()
    caller_time = now.astimezone(service.caller_zone(callback.phone, org)).time()
    if not openness.open or not start <= caller_time < end:
        callback.pinned = False
        service.place(callback, now, policy=policy)
        db.session.commit()
        log.info("callback %s: not a callback time now; planned again at %s", callback.id,
                 service.iso(callback.planned_at))
        return None
    on_duty = [u for u in org_service.users_by_id(openness.user_ids) if u.phone]
    if not on_duty:
        service.to_queue(callback)
        db.session.commit()
        log.warning("callback %s: nobody on callback duty has a phone number; left in the "
                    "queue", callback.id)
        return None
    operator = _operator(callback, on_duty, now, policy)
    if operator is None:
        return None  # everyone on duty is on a call: the next tick tries again
    won = rowcount(db.session.execute(
        update(Callback)
        .where(Callback.id == callback.id, Callback.status == CallbackStatus.PLANNED,
               Callback.manual.is_(False))
        .values(status=CallbackStatus.DIALING, claimed_at=now, claimed_by_id=None,
                operator_id=operator.id, updated_at=now)
        .execution_options(synchronize_session=False)
    )) == 1
    if not won:
        db.session.rollback()
        return None  # another scheduler or an operator took it
    attempt = CallbackAttempt(callback_id=callback.id, operator_id=operator.id, mode="auto",
                              status="queued", started_at=now)
    db.session.add(attempt)
    db.session.commit()
    return _place(attempt, callback, org, operator, base_url=base_url, policy=policy)


def start_call(callback_id: int, user: User, *, base_url: str,
               policy: CallbackSettings) -> CallbackAttempt:
    """Manual mode: the operator starts the bridged call from the workspace.

    The operator's phone rings first; on answer they are connected to the caller with the
    school's number as caller ID. The callback is claimed for them if it was not yet.
    """
    callback = db.session.get(Callback, callback_id)
    if callback is None:
        raise service.CallbackError(f"no callback {callback_id}")
    if not user.phone:
        raise service.CallbackError("the operator has no phone number to ring")
    if not callback.phone:
        raise service.CallbackError("the callback has no number")
    if callback.status == CallbackStatus.PLANNED:
        if service.claim(callback_id, user) is None:
            raise service.CallbackError("another operator took this callback")
    elif callback.status != CallbackStatus.DIALING or callback.claimed_by_id != user.id:
        raise service.CallbackError("claim the callback first")
    if service.open_attempt(callback) is not None:
        raise service.CallbackError("a call is already under way")
    org = db.session.get_one(Organization, callback.organization_id)
    attempt = CallbackAttempt(callback_id=callback.id, operator_id=user.id, mode="manual",
                              status="queued", started_at=clock.now())
    db.session.add(attempt)
    db.session.commit()
    return _place(attempt, callback, org, user, base_url=base_url, policy=policy)


def _operator(callback: Callback, on_duty: list[User], now: datetime,
              policy: CallbackSettings) -> User | None:
    """The planned operator if free, else another free one on duty."""
    busy = _busy_operators(now, policy)
    people = [u for u in on_duty if u.id not in busy]
    if not people:
        return None
    planned = [u for u in people if u.id == callback.operator_id]
    return planned[0] if planned else people[0]


def _place(attempt: CallbackAttempt, callback: Callback, org: Organization,
           operator: User, *, base_url: str, policy: CallbackSettings) -> CallbackAttempt:
    phone = operator.phone
    if phone is None:  # never: both callers ring only operators with a number
        raise service.CallbackError("the operator has no phone number to ring")
    try:
        sid = telephony.get().place_call(
            to=phone,
            from_=school_number(org) or phone,
            url=webhook_url(base_url, "whisper", attempt=attempt.id),
            status_callback=webhook_url(base_url, "status", attempt=attempt.id, leg="operator"),
            timeout=policy.operator_ring_seconds,
            machine_detection=True,
        )
    except telephony.TelephonyError as exc:
        now = clock.now()
        log.warning("callback %s: the call to operator %s was not placed: %s", callback.id,
                    operator.id, exc)
        if service.finish_attempt(attempt, AttemptResult.NOT_PLACED, now):
            if exc.retryable and attempt.mode == "auto":
                callback.status = CallbackStatus.PLANNED
                callback.planned_at = now + timedelta(minutes=policy.lead_minutes)
                callback.claimed_at = None
            elif attempt.mode == "auto":
                service.to_queue(callback)
        db.session.commit()
        return attempt
    # The status callback may have arrived first and stored the CallSid already.
    db.session.execute(
        update(CallbackAttempt)
        .where(CallbackAttempt.id == attempt.id, CallbackAttempt.call_sid.is_(None))
        .values(call_sid=sid)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(CallbackAttempt)
        .where(CallbackAttempt.id == attempt.id, CallbackAttempt.status == "queued")
        .values(status="initiated")
        .execution_options(synchronize_session=False)
    )
    org_service.audit("callback.ring", "callback", callback.id, organization_id=org.id,
                      operator=operator.id, attempt=attempt.id, mode=attempt.mode)
    db.session.commit()
    db.session.refresh(attempt)
    log.info("callback %s: ringing operator %s (%s), attempt %s", callback.id, operator.id,
             phones.mask(operator.phone), attempt.id)
    return attempt


# --- the operator's side of the call --------------------------------------------------------


@dataclass(frozen=True)
class Whisper:
    """What the operator hears before choosing, or why the call ends at once."""

    attempt_id: int
    lines: tuple[str, ...] = ()
    bridge_now: bool = False  # manual mode: connect without asking
    ended: str | None = None  # a closing sentence: no choice to make


def _attempt(attempt_id: int | None) -> CallbackAttempt | None:
    return db.session.get(CallbackAttempt, attempt_id) if attempt_id else None


def _store_sid(attempt: CallbackAttempt, call_sid: str | None) -> None:
    if call_sid and attempt.call_sid is None:
        attempt.call_sid = call_sid


def operator_answered(attempt_id: int | None, *, call_sid: str | None,
                      answered_by: str | None, policy: CallbackSettings) -> Whisper:
    """The operator's phone was answered: say what the callback is about (or why not)."""
    now = clock.now()
    attempt = _attempt(attempt_id)
    if attempt is None or attempt.result is not None:
        return Whisper(attempt_id or 0, ended=prompts.NOT_CURRENT)
    callback = attempt.callback
    _store_sid(attempt, call_sid)
    if answered_by:
        attempt.answered_by = answered_by
    if is_machine(answered_by):
        if service.finish_attempt(attempt, AttemptResult.OPERATOR_MISSED, now):
            service.operator_missed(callback, now, policy=policy)
        db.session.commit()
        return Whisper(attempt.id, ended=prompts.QUEUED)
    attempt.answered_at = attempt.answered_at or now
    attempt.status = "in-progress"
    db.session.commit()
    if callback.status != CallbackStatus.DIALING:
        return Whisper(attempt.id, ended=prompts.NOT_CURRENT)
    ticket = callback.ticket
    number = russian.say_digits_grouped(str(ticket.number))
    if attempt.mode == "manual":
        return Whisper(attempt.id, (prompts.MANUAL_CONNECTING.format(number=number),),
                       bridge_now=True)
    return Whisper(attempt.id, tuple(whisper_lines(callback, policy)))


def whisper_lines(callback: Callback, policy: CallbackSettings) -> list[str]:
    """The whisper: ticket number, who called, topic, class, the first words of the message."""
    ticket = callback.ticket
    org = db.session.get_one(Organization, callback.organization_id)
    roles = {r.code: r.name for r in org.roles}
    topics = {t.code: t.name for t in org.topics}
    role, topic = roles.get(ticket.role or ""), topics.get(ticket.topic or "")
    lines = [prompts.WHISPER_INTRO.format(number=russian.say_digits_grouped(str(ticket.number)))]
    if role and topic:
        lines.append(prompts.WHISPER_ROLE_TOPIC.format(role=role, topic=topic))
    elif role:
        lines.append(prompts.WHISPER_ROLE.format(role=role))
    elif topic:
        lines.append(prompts.WHISPER_TOPIC.format(topic=topic))
    klass = ticket.student_class or (ticket.suggestions or {}).get("class")
    if klass:
        lines.append(prompts.WHISPER_CLASS.format(klass=klass))
    words = service.message_words(ticket)
    if words:
        lines.append(prompts.WHISPER_MESSAGE.format(words=words))
    elif ticket.recordings:
        lines.append(prompts.WHISPER_NO_TRANSCRIPT)
    else:
        lines.append(prompts.WHISPER_NO_MESSAGE)
    if callback.attempts:
        lines.append(prompts.WHISPER_ATTEMPT.format(attempt=callback.attempts + 1,
                                                    total=callback.max_attempts))
    lines.append(prompts.WHISPER_MENU.format(postpone=postpone_phrase(policy)))
    return lines


def postpone_phrase(policy: CallbackSettings) -> str:
    """«15 минут»: the postponing delay, said in Russian."""
    minutes = round(policy.postpone_minutes)
    return russian.plural(minutes, "минуту", "минуты", "минут")


@dataclass(frozen=True)
class Bridge:
    """Connect the operator to the caller."""

    attempt_id: int
    number: str  # E.164, the caller
    caller_id: str | None  # the school's number


@dataclass(frozen=True)
class Closing:
    """End the operator's call with these sentences."""

    lines: tuple[str, ...]


def operator_chose(attempt_id: int | None, digit: str, *,
                   policy: CallbackSettings) -> Bridge | Closing | None:
    """Apply the operator's key: 1 connect, 2 postpone, 3 leave in the queue (None: ask again)."""
    now = clock.now()
    attempt = _attempt(attempt_id)
    if attempt is None or attempt.result is not None:
        return Closing((prompts.NOT_CURRENT,))
    callback = attempt.callback
    if callback.status != CallbackStatus.DIALING:
        return Closing((prompts.NOT_CURRENT,))
    if digit == "1":
        if not callback.phone:
            if service.finish_attempt(attempt, AttemptResult.QUEUED, now):
                service.to_queue(callback)
            db.session.commit()
            return Closing((prompts.NO_NUMBER,))
        attempt.bridged_at = attempt.bridged_at or now
        db.session.commit()
        org = db.session.get_one(Organization, callback.organization_id)
        log.info("callback %s: connecting operator to %s", callback.id,
                 phones.mask(callback.phone))
        return Bridge(attempt.id, callback.phone, school_number(org))
    if digit == "2":
        if service.finish_attempt(attempt, AttemptResult.POSTPONED, now):
            service.postpone(callback.id, policy=policy)
        db.session.commit()
        return Closing((prompts.POSTPONED.format(postpone=postpone_phrase(policy)),))
    if digit == "3":
        leave_in_queue(attempt.id)
        return Closing((prompts.QUEUED,))
    return None


def leave_in_queue(attempt_id: int | None) -> None:
    """The operator chose the queue, or chose nothing."""
    attempt = _attempt(attempt_id)
    if attempt is None:
        return
    if service.finish_attempt(attempt, AttemptResult.QUEUED, clock.now()):
        if attempt.callback.status == CallbackStatus.DIALING:
            service.to_queue(attempt.callback)
    db.session.commit()


def after_call(attempt_id: int | None, digit: str, *, policy: CallbackSettings) -> str:
    """The operator's key after the conversation: 1 resolved, 2 call again; else later."""
    attempt = _attempt(attempt_id)
    if attempt is None:
        return prompts.NOT_CURRENT
    callback = attempt.callback
    operator = db.session.get(User, attempt.operator_id) if attempt.operator_id else None
    outcome = {"1": CallbackOutcome.RESOLVED, "2": CallbackOutcome.NO_ANSWER}.get(digit)
    if outcome is None or callback.status not in (CallbackStatus.CONNECTED,
                                                   CallbackStatus.DIALING):
        return prompts.RESULT_LATER
    service.record_outcome(callback.id, outcome, policy=policy, user=operator)
    return prompts.RESULT_SAVED


# --- status callbacks ---------------------------------------------------------------------------


def operator_leg(attempt_id: int | None, *, call_sid: str | None, status: str,
                 policy: CallbackSettings, answered_by: str | None = None,
                 duration: int | None = None) -> None:
    """The status callback of the call to the operator."""
    now = clock.now()
    attempt = _attempt(attempt_id)
    if attempt is None:
        log.warning("status for unknown callback attempt %s", attempt_id)
        return
    _store_sid(attempt, call_sid)
    if attempt.status not in TERMINAL:  # a late "ringing" never undoes "completed"
        attempt.status = status
    if answered_by and attempt.answered_by is None:
        attempt.answered_by = answered_by
    if duration is not None and attempt.duration is None and status in TERMINAL:
        attempt.duration = duration
    if status in TERMINAL and attempt.ended_at is None:
        attempt.ended_at = now
    missed = is_machine(answered_by) or (status in TERMINAL and attempt.bridged_at is None)
    if missed and service.finish_attempt(attempt, AttemptResult.OPERATOR_MISSED, now):
        callback = attempt.callback
        # Manual mode: the callback stays with the operator who started the call.
        if callback.status == CallbackStatus.DIALING and attempt.mode == "auto":
            service.operator_missed(callback, now, policy=policy)
    db.session.commit()


def caller_leg(attempt_id: int | None, *, policy: CallbackSettings, call_sid: str | None = None,
               status: str | None = None, answered_by: str | None = None,
               duration: int | None = None) -> str | None:
    """A fact about the call to the caller (Dial action, status or AMD callback).

    Returns the attempt's result once it is settled (by this fact or an earlier one).
    """
    now = clock.now()
    attempt = _attempt(attempt_id)
    if attempt is None:
        log.warning("caller leg for unknown callback attempt %s", attempt_id)
        return None
    if call_sid and attempt.parent_call_sid is None:
        attempt.parent_call_sid = call_sid
    if status == "answered":  # the Dial action's word for a call that was connected
        status = "completed"
    if status and (attempt.parent_status is None or attempt.parent_status not in TERMINAL):
        attempt.parent_status = status
    if answered_by and attempt.parent_answered_by is None:
        attempt.parent_answered_by = answered_by
    if duration is not None and status in TERMINAL and attempt.parent_duration is None:
        attempt.parent_duration = duration
    db.session.flush()
    result = _caller_result(attempt, policy)
    if result is not None and service.finish_attempt(attempt, result, now):
        _settle(attempt, result, now, policy)
    db.session.commit()
    return attempt.result


def _caller_result(attempt: CallbackAttempt, policy: CallbackSettings, *,
                   final: bool = False) -> AttemptResult | None:
    """Decide from the facts so far; None while a decision must wait for more."""
    answered_by, status = attempt.parent_answered_by, attempt.parent_status
    if is_machine(answered_by):
        return AttemptResult.MACHINE
    if answered_by:  # human, or unknown: a person may be there
        return AttemptResult.CONNECTED
    if status in ("no-answer", "busy", "failed", "canceled"):
        return AttemptResult(status)
    if status == "completed":
        if not policy.machine_detection or final:
            return AttemptResult.CONNECTED
        return None  # answered: wait for the machine detection's verdict
    return None


def _settle(attempt: CallbackAttempt, result: AttemptResult, now: datetime,
            policy: CallbackSettings) -> None:
    callback = attempt.callback
    if callback.status not in (CallbackStatus.DIALING, CallbackStatus.CONNECTED):
        return  # the operator recorded an outcome already
    if result == AttemptResult.CONNECTED:
        callback.status = CallbackStatus.CONNECTED
        log.info("callback %s: the caller answered; waiting for the operator's result",
                 callback.id)
    elif result in CALLER_FAILURES:
        service.caller_not_reached(callback, attempt.bridged_at or now, now, policy=policy)


def caller_outcome_lines(attempt_id: int | None) -> tuple[str, ...]:
    """What the operator hears when the caller was not reached."""
    attempt = _attempt(attempt_id)
    if attempt is None:
        return (prompts.NOT_CURRENT,)
    callback = attempt.callback
    org = db.session.get_one(Organization, callback.organization_id)
    lines = [prompts.CALLER_NOT_REACHED]
    if callback.status == CallbackStatus.UNREACHABLE:
        lines.append(prompts.ATTEMPTS_EXHAUSTED)
    elif callback.status == CallbackStatus.PLANNED and (
        local := service.promise_time(callback, org)  # None when it has no planned time
    ) is not None:
        today = clock.now().astimezone(local.tzinfo).date()
        lines.append(prompts.RETRY_PLANNED.format(when=russian.say_when(local, today=today)))
    return tuple(lines)


# --- recovery: what the telephony never told us -----------------------------------------------


def recover(*, policy: CallbackSettings, now: datetime | None = None) -> int:
    """Settle calls with no news for too long, and free claims left without an outcome."""
    now = now or clock.now()
    stale = now - timedelta(minutes=policy.stale_minutes)
    count = 0
    for attempt in db.session.scalars(
        select(CallbackAttempt).where(
            CallbackAttempt.result.is_(None), CallbackAttempt.started_at < stale
        )
    ).all():
        callback = attempt.callback
        if not callback.ticket.is_open:  # answered meanwhile: never back to the queue
            count += service.cancel_for_ticket(callback.ticket)
            continue
        if attempt.bridged_at is not None:
            result = _caller_result(attempt, policy, final=True) or AttemptResult.STALE
        else:
            result = AttemptResult.STALE
        if not service.finish_attempt(attempt, result, now):
            continue
        count += 1
        if result == AttemptResult.STALE and callback.status == CallbackStatus.DIALING:
            if attempt.bridged_at is None and attempt.mode == "auto":
                service.operator_missed(callback, now, policy=policy)
            else:
                service.to_queue(callback)  # the operator knows what happened: ask them
        elif result != AttemptResult.STALE:
            _settle(attempt, result, now, policy)
        log.info("callback %s: attempt %s settled as %s by recovery", callback.id, attempt.id,
                 result)
    claims = now - timedelta(minutes=policy.claim_minutes)
    for callback in db.session.scalars(
        select(Callback).where(
            Callback.status == CallbackStatus.DIALING,
            or_(Callback.claimed_at.is_(None), Callback.claimed_at < claims),
        )
    ).all():
        if not callback.ticket.is_open:
            count += service.cancel_for_ticket(callback.ticket)
        elif service.open_attempt(callback) is None:
            service.to_queue(callback)
            count += 1
    db.session.commit()
    return count


def _claim_sms(status, row) -> bool:
    """Move one row's SMS from "pending" to "sending"; True when this process won it (each
    SMS is sent once, however many schedulers tick)."""
    won = rowcount(db.session.execute(
        update(status.class_)
        .where(row, status == "pending")
        .values({status: "sending"})
        .execution_options(synchronize_session=False)
    )) == 1
    db.session.commit()
    return won


def send_pending_sms() -> int:
    """Send the «we could not reach you» SMS of callbacks that gave up (once each)."""
    sent = 0
    for callback_id in db.session.scalars(
        select(Callback.id).where(Callback.sms_status == "pending")
    ).all():
        if not _claim_sms(Callback.sms_status, Callback.id == callback_id):
            continue
        callback = db.session.get_one(Callback, callback_id)
        org = db.session.get_one(Organization, callback.organization_id)
        body = sms_text(callback, org)
        try:
            telephony.get().send_sms(to=callback.phone or "", from_=school_number(org) or "",
                                     body=body)
        except telephony.TelephonyError as exc:
            callback.sms_status = "pending" if exc.retryable else "failed"
            log.warning("callback %s: SMS to %s not sent: %s", callback.id,
                        phones.mask(callback.phone), exc)
        else:
            callback.sms_status = "sent"
            sent += 1
            org_service.audit("callback.sms", "callback", callback.id, organization_id=org.id)
        db.session.commit()
    return sent


def send_confirmations() -> int:
    """Send each pending «обращение № N зарегистрировано» SMS once (claimed, then sent)."""
    sent = 0
    for ticket_id in db.session.scalars(
        select(Ticket.id).where(Ticket.confirmation_sms == "pending").order_by(Ticket.id)
    ).all():
        if not _claim_sms(Ticket.confirmation_sms, Ticket.id == ticket_id):
            continue
        ticket = db.session.get_one(Ticket, ticket_id)
        org = db.session.get_one(Organization, ticket.organization_id)
        to = ticket.callback_number or ticket.caller_number
        try:
            telephony.get().send_sms(to=to or "", from_=school_number(org) or "",
                                     body=confirmation_text(ticket, org))
        except telephony.TelephonyError as exc:
            ticket.confirmation_sms = "pending" if exc.retryable else "failed"
            log.warning("ticket %s: confirmation SMS to %s not sent: %s", ticket.id,
                        phones.mask(to), exc)
        else:
            ticket.confirmation_sms = "sent"
            sent += 1
            org_service.audit("ticket.sms_confirmation", "ticket", ticket.id,
                              organization_id=org.id)
        db.session.commit()
    return sent


def confirmation_text(ticket: Ticket, org: Organization) -> str:
    """The SMS: the ticket's number and when we call back (as the caller heard it)."""
    callback = service.active_for(ticket)
    when = service.promise_time(callback, org)
    school = org.short_name or org.name
    if when is None:
        return prompts.SMS_CONFIRMATION_SOON.format(school=school, number=ticket.number)
    today = clock.now().astimezone(when.tzinfo).date()
    return prompts.SMS_CONFIRMATION.format(school=school, number=ticket.number,
                                           when=russian.say_when(when, today=today))


def sms_text(callback: Callback, org: Organization) -> str:
    """The «we could not reach you» SMS, with the school's number and hours."""
    hours = worktime.describe_hours(org_service.schedule_for(org),
                                    kind=DutyKind.CONSULTATION.value)
    phone = school_number(org) or org.contact_phone
    return prompts.SMS_UNREACHABLE.format(
        school=org.short_name or org.name,
        number=callback.ticket.number,
        phone=russian.format_phone(phone) if phone else "",
        hours=hours,
    )
