"""`helpline call`: the simulator in a terminal, scripted or interactive."""

from datetime import UTC, datetime
from pathlib import Path

import time_machine
from sqlalchemy import select

from core.extensions import db
from helpline.cli import cli
from tests.conftest import make_wav
from tickets.models import Recording, Ticket


def test_scripted_call_prints_the_conversation_and_leaves_a_ticket(demo, tmp_path):
    wav = tmp_path / "message.wav"
    wav.write_bytes(make_wav(6))
    result = demo.test_cli_runner().invoke(cli, [
        "call", "--to", "+74950000019", "--at", "2026-11-28 22:00", "--keys", "1,2",
        "--message", str(wav),
    ])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Линия: Здравствуйте!" in out and "Звонящий: нажимает 1" in out
    assert "[запись сообщения: 6.0 с]" in out
    assert "Мы перезвоним вам в понедельник, 30 ноября, после 9 часов." in out
    with demo.app_context():
        ticket = db.session.scalars(select(Ticket)).one()
        recording = db.session.scalars(select(Recording)).one()
        assert recording.ticket_id == ticket.id and ticket.topic == "grades"
        stored = Path(demo.config["DATA_DIR"]) / "simulator-recordings"
        assert (stored / f"{recording.recording_sid}.wav").read_bytes() == wav.read_bytes()


def test_interactive_call_reads_keys_from_stdin(demo):
    result = demo.test_cli_runner().invoke(
        cli, ["call", "--at", "2026-11-30 13:30"], input="1\n1\n\n",
    )
    assert result.exit_code == 0, result.output
    assert "Соединяю с консультантом" in result.output


def test_bad_moment_is_a_usage_error(demo):
    result = demo.test_cli_runner().invoke(cli, ["call", "--at", "next friday", "--keys", "1"])
    assert result.exit_code == 2 and "--at must look like" in result.output


def test_missing_tables_give_advice(app):
    from core.extensions import db as database

    with app.app_context():
        database.drop_all()
    result = app.test_cli_runner().invoke(cli, ["demo"])
    assert result.exit_code == 1 and "helpline db upgrade" in result.output


def test_the_readme_example_works_in_a_plain_clone(demo):
    # The README's scripted call: a relative --at and the sample message shipped with the repo.
    sample = Path(__file__).resolve().parents[2] / "samples" / "voicemail-ru.wav"
    with time_machine.travel(datetime(2026, 11, 30, 12, tzinfo=UTC), tick=False):  # Mon 15:00
        result = demo.test_cli_runner().invoke(cli, [
            "call", "--to", "+74950000019", "--at", "завтра 22:00", "--keys", "1,2",
            "--message", str(sample),
        ])
    assert result.exit_code == 0, result.output
    assert "[запись сообщения: 20.4 с]" in result.output
    # Tuesday 22:00 in Moscow: the callback is promised for Wednesday morning.
    assert "Мы перезвоним вам завтра после 9 часов." in result.output


def test_callback_run_plays_the_operators_and_the_callers_phone(demo, tmp_path):
    from callbacks.models import Callback, CallbackAttempt
    from tickets.models import TicketStatus

    wav = tmp_path / "message.wav"
    wav.write_bytes(make_wav(6))
    runner = demo.test_cli_runner()
    left = runner.invoke(cli, ["call", "--at", "2026-11-28 22:00", "--keys", "1,2",
                               "--message", str(wav)])
    assert left.exit_code == 0, left.output
    early = runner.invoke(cli, ["call", "--callback", "--at", "2026-11-30 08:30",
                                "--keys", "1,1"])
    assert early.exit_code == 0 and "обратных звонков нет" in early.output

    result = runner.invoke(cli, ["call", "--callback", "--at", "2026-11-30 09:05",
                                 "--keys", "1,1", "--dial", "completed"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "[линия звонит оператору на номер +79990000101]" in out
    assert "Обратный звонок по обращению номер 1." in out and "Соединяю." in out
    assert "Если вопрос решён, нажмите 1." in out and "итог записан" in out
    with demo.app_context():
        callback = db.session.scalars(select(Callback)).one()
        attempt = db.session.scalars(select(CallbackAttempt)).one()
        assert (callback.status, callback.outcome) == ("done", "resolved")
        assert callback.ticket.status == TicketStatus.RESOLVED
        # What Twilio's callbacks leave behind: both legs' statuses and AMD's verdict.
        assert (attempt.status, attempt.parent_status, attempt.parent_answered_by) == (
            "completed", "completed", "human")
        assert attempt.result == "connected" and attempt.duration


def test_callback_run_with_a_caller_who_does_not_answer(demo, tmp_path):
    from callbacks.models import Callback

    wav = tmp_path / "message.wav"
    wav.write_bytes(make_wav(6))
    runner = demo.test_cli_runner()
    runner.invoke(cli, ["call", "--at", "2026-11-28 22:00", "--keys", "1,2",
                        "--message", str(wav)])
    result = runner.invoke(cli, ["call", "--callback", "--at", "2026-11-30 09:05",
                                 "--keys", "1", "--dial", "no-answer"])
    assert result.exit_code == 0, result.output
    assert "Дозвониться не удалось." in result.output
    with demo.app_context():
        callback = db.session.scalars(select(Callback)).one()
        assert callback.status == "planned" and callback.attempts == 1
