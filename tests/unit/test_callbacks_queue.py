"""The operator's queue: due now, later today, overdue, done; claims, outcomes, postponing."""

from __future__ import annotations

import itertools
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from callbacks import service
from callbacks.models import CallbackAttempt, CallbackOutcome, CallbackStatus
from core import service as org_service
from core import settings
from core.extensions import db
from core.models import AuditEvent, CallbackMode, User
from tests.conftest import race
from tickets import service as tickets
from tickets.models import DeclineReason, TicketStatus

MSK = ZoneInfo("Europe/Moscow")
MONDAY_0850 = datetime(2026, 11, 30, 8, 50, tzinfo=MSK)
_sids = itertools.count(1)


def at(moment, tick=False):
    return time_machine.travel(moment, tick=tick)


@pytest.fixture
def school(demo, app_ctx):
    org = org_service.find_by_number("+74950000019")
    org.callback_mode = CallbackMode.MANUAL  # the workspace's own flow
    db.session.commit()
    return org


def user(username):
    return db.session.scalar(select(User).where(User.username == username))


def message(org, caller="+79161234567", role="parent", topic="grades"):
    sid = f"CAq{next(_sids):031d}"
    tickets.record_call(sid, org=org, from_number=caller, to_number=None)
    ticket = tickets.open_ticket(org=org, call_sid=sid, caller_number=caller, role=role,
                                 topic=topic)
    return service.request_callback(ticket, policy=policy())


@pytest.fixture
def planned(school):
    """Four callbacks planned on Monday from 9:00 (every 10 minutes)."""
    with at(MONDAY_0850, tick=True):
        return [message(school) for _ in range(4)]


def ids(items):
    return [cb.id for cb in items]


def test_queue_sorts_callbacks_by_when_they_are_due(school, planned):
    first, second, third, fourth = planned
    operator = user("operator")
    with at(datetime(2026, 11, 30, 9, 15, tzinfo=MSK)):
        service.record_outcome(first.id, CallbackOutcome.RESOLVED, user=operator, policy=policy())
        service.claim(third.id, operator)
        queue = service.queue(school, policy=policy())
    assert ids(queue.due_now) == [second.id]  # 9:10
    assert ids(queue.in_progress) == [third.id]
    assert ids(queue.later_today) == [fourth.id]  # 9:30
    assert ids(queue.done) == [first.id]
    assert queue.overdue == []
    with at(datetime(2026, 11, 30, 10, 1, tzinfo=MSK)):
        queue = service.queue(school, policy=policy())
    assert ids(queue.overdue) == [second.id, fourth.id]  # more than 30 minutes late
    with at(datetime(2026, 12, 1, 9, 0, tzinfo=MSK)):
        assert service.queue(school, policy=policy()).done == []  # «done» means today


def test_two_operators_never_call_the_same_parent(school, planned):
    callback = planned[0]
    one, two = user("operator"), user("admin")
    with at(datetime(2026, 11, 30, 9, 0, tzinfo=MSK)):
        assert service.claim(callback.id, one).claimed_by_id == one.id
        assert service.claim(callback.id, two) is None
        with pytest.raises(service.CallbackError):
            service.record_outcome(callback.id, CallbackOutcome.RESOLVED,
                                   user=_colleague(school), policy=policy())
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action ==
                                                         "callback.claimed")).all()
    assert len(events) == 1


def _colleague(school):
    colleague = User(organization_id=school.id, username="operator9", name="Коллега",
                     roles=["operator"], phone="+79990000109")
    db.session.add(colleague)
    db.session.commit()
    return colleague


@pytest.mark.parametrize("round_", range(5))
def test_claims_race_in_threads_one_wins(app, school, planned, round_):
    """Each thread has its own session and connection, as two web requests would."""
    callback_id = planned[0].id
    operator_ids = [user("operator").id, _colleague(school).id]
    winners = []

    def grab(user_id, ready):
        with app.app_context():
            who = db.session.get(User, user_id)
            ready()
            if service.claim(callback_id, who) is not None:
                winners.append(user_id)

    assert race(grab, operator_ids) == []
    assert len(winners) == 1
    db.session.expire_all()
    assert db.session.get(type(planned[0]), callback_id).claimed_by_id == winners[0]


@pytest.mark.parametrize(("outcome", "reason", "status"), [
    (CallbackOutcome.RESOLVED, None, TicketStatus.RESOLVED),
    (CallbackOutcome.VENDOR_SUPPORT, None, TicketStatus.ESCALATED),
    (CallbackOutcome.DECLINED, DeclineReason.NOT_ENOUGH_INFORMATION, TicketStatus.DECLINED),
    (CallbackOutcome.DECLINED, DeclineReason.INCORRECT_QUESTION, TicketStatus.DECLINED),
    (CallbackOutcome.ABUSIVE, None, TicketStatus.DECLINED),
    (CallbackOutcome.WRONG_NUMBER, None, TicketStatus.IN_PROGRESS),
])
def test_outcomes_move_the_ticket_on(school, planned, outcome, reason, status):
    callback = planned[0]
    operator = user("operator")
    with at(datetime(2026, 11, 30, 9, 5, tzinfo=MSK)):
        service.claim(callback.id, operator)
        service.record_outcome(callback.id, outcome, user=operator, note="Помогли по телефону",
                               decline_reason=reason, vendor_reference="SR-1", policy=policy())
    db.session.expire_all()
    assert callback.status == CallbackStatus.DONE and callback.outcome == str(outcome)
    ticket = callback.ticket
    assert ticket.status == status
    if outcome == CallbackOutcome.ABUSIVE:
        assert ticket.decline_reason == DeclineReason.ETHICS_VIOLATION
    if outcome == CallbackOutcome.VENDOR_SUPPORT:
        assert ticket.vendor_reference == "SR-1"
    assert service.label(callback) == {
        CallbackOutcome.RESOLVED: "вопрос решён",
        CallbackOutcome.VENDOR_SUPPORT: "передано в службу поддержки",
        CallbackOutcome.DECLINED: "отказано",
        CallbackOutcome.ABUSIVE: "оскорбления, помощь прекращена",
        CallbackOutcome.WRONG_NUMBER: "неверный номер",
    }[outcome]


def test_recording_an_outcome_twice_changes_nothing(school, planned):
    callback = planned[0]
    operator = user("operator")
    with at(datetime(2026, 11, 30, 9, 5, tzinfo=MSK)):
        service.record_outcome(callback.id, CallbackOutcome.RESOLVED, user=operator, policy=policy())
        service.record_outcome(callback.id, CallbackOutcome.RESOLVED, user=operator, policy=policy())
        with pytest.raises(service.CallbackError):
            service.record_outcome(callback.id, CallbackOutcome.WRONG_NUMBER, user=operator, policy=policy())
    outcomes = db.session.scalars(select(AuditEvent).where(AuditEvent.action ==
                                                           "callback.outcome")).all()
    assert len(outcomes) == 1


def test_declining_needs_a_reason(school, planned):
    with pytest.raises(service.CallbackError):
        service.record_outcome(planned[0].id, CallbackOutcome.DECLINED, user=user("operator"), policy=policy())
    with pytest.raises(service.CallbackError):
        service.record_outcome(planned[0].id, "unreachable", user=user("operator"), policy=policy())


def test_no_answer_is_an_attempt_and_plans_the_retry(school, planned):
    callback = planned[0]
    operator = user("operator")
    with at(datetime(2026, 11, 30, 9, 2, tzinfo=MSK)):
        service.claim(callback.id, operator)
        service.record_outcome(callback.id, CallbackOutcome.NO_ANSWER, user=operator, policy=policy())
    db.session.expire_all()
    assert callback.status == CallbackStatus.PLANNED and callback.attempts == 1
    assert callback.claimed_by_id is None
    assert callback.planned_at.astimezone(MSK) >= datetime(2026, 11, 30, 10, 2, tzinfo=MSK)
    [attempt] = db.session.scalars(select(CallbackAttempt)).all()
    assert (attempt.mode, attempt.result) == ("manual", "no-answer")


def test_no_answer_settles_the_call_started_from_the_workspace(school, planned):
    """Local telephony sends no status callback: the operator's word closes the attempt."""
    from callbacks import dialer

    callback = planned[0]
    operator = user("operator")
    operator.phone = "+79160000001"
    db.session.commit()
    with at(datetime(2026, 11, 30, 9, 2, tzinfo=MSK)):
        started = dialer.start_call(callback.id, operator, **webhooks())
        service.record_outcome(callback.id, CallbackOutcome.NO_ANSWER, user=operator, policy=policy())
    db.session.expire_all()
    [attempt] = db.session.scalars(select(CallbackAttempt)).all()
    assert attempt.id == started.id and attempt.result == "no-answer"
    assert service.open_attempt(callback) is None
    assert callback.attempts == 1 and callback.status == CallbackStatus.PLANNED
    # The retry can be called: no attempt is left «under way».
    with at(callback.planned_at):
        again = dialer.start_call(callback.id, operator, **webhooks())
    assert again.id != started.id


def test_a_callback_left_in_the_queue_gets_its_retry_time(school, planned):
    callback = planned[0]
    operator = user("operator")
    with at(datetime(2026, 11, 30, 9, 2, tzinfo=MSK)):
        service.claim(callback.id, operator)
        service.release(callback.id, operator)  # back to the queue: `manual`
        service.claim(callback.id, operator)
        service.record_outcome(callback.id, CallbackOutcome.NO_ANSWER, user=operator, policy=policy())
    db.session.expire_all()
    assert callback.manual and callback.status == CallbackStatus.PLANNED
    assert callback.planned_at is not None
    planned_at = callback.planned_at.astimezone(MSK)
    assert datetime(2026, 11, 30, 10, 2, tzinfo=MSK) <= planned_at
    assert planned_at.time() <= time(18, 0)  # inside a callback window


def test_postpone_15_minutes_stays_inside_the_window(school, planned):
    callback = planned[0]
    operator = user("operator")
    with at(datetime(2026, 11, 30, 9, 2, tzinfo=MSK)):
        service.claim(callback.id, operator)
        service.postpone(callback.id, user=operator, policy=policy())
    assert callback.planned_at.astimezone(MSK) == datetime(2026, 11, 30, 9, 17, tzinfo=MSK)
    assert callback.status == CallbackStatus.PLANNED and callback.pinned
    with at(datetime(2026, 11, 30, 17, 55, tzinfo=MSK)):
        service.postpone(callback.id, user=operator, policy=policy())
    # 18:10 is after the window: the next morning.
    assert callback.planned_at.astimezone(MSK) == datetime(2026, 12, 1, 9, 0, tzinfo=MSK)


def test_release_gives_the_callback_back(school, planned):
    callback = planned[0]
    operator = user("operator")
    with at(datetime(2026, 11, 30, 9, 5, tzinfo=MSK)):
        service.claim(callback.id, operator)
        service.release(callback.id, operator)
        assert ids(service.queue(school, policy=policy()).due_now)[0] == callback.id
    assert callback.status == CallbackStatus.PLANNED and callback.manual


def test_the_queue_of_another_school_is_not_yours(school, planned):
    omsk_admin = User(organization_id=org_service.find_by_number("+73817600002").id,
                      username="omsk", name="Омск", roles=["operator"])
    db.session.add(omsk_admin)
    db.session.commit()
    with pytest.raises(service.CallbackError):
        service.claim(planned[0].id, omsk_admin)
    assert service.get(omsk_admin.organization_id, planned[0].id) is None


def test_message_words_prefer_the_consultants_correction(school, planned):
    from tickets.models import Recording, Transcript

    ticket = planned[0].ticket
    recording = Recording(organization_id=school.id, ticket_id=ticket.id, call_sid="CAw",
                          recording_sid="REw", duration=9)
    db.session.add(recording)
    db.session.flush()
    db.session.add(Transcript(recording_id=recording.id, ticket_id=ticket.id,
                              text="здравствуйте у сына не видно оценок за четверть",
                              corrected_text=None))
    db.session.commit()
    assert service.message_words(ticket, limit=4) == "здравствуйте у сына не…"
    recording.transcript.corrected_text = "Здравствуйте, у сына не видны оценки."
    db.session.commit()
    assert service.message_words(ticket) == "Здравствуйте, у сына не видны оценки."


def test_manual_mode_callbacks_are_due_in_the_queue_not_rung(app, school, planned):
    from callbacks import jobs

    with at(datetime(2026, 11, 30, 9, 30, tzinfo=MSK)):
        assert jobs.dial_due_callbacks(app) == []
        assert len(service.queue(school, policy=policy()).due_now) == 4
    assert app.extensions["telephony"].placed == []
    assert time(9) <= planned[0].planned_at.astimezone(MSK).time()


def webhooks() -> dict:
    """What a view passes the dialer: the public base URL and the callback policy."""
    config = settings.current()
    return {"base_url": config.public_url, "policy": config.callbacks}


def policy():
    """The application's callback policy, as the views and jobs pass it."""
    from core import settings

    return settings.current().callbacks
