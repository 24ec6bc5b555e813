"""The transcription commands: worker, transcribe, understand, models check."""

import json

import pytest
from sqlalchemy import select

from core import settings
from core.extensions import db
from helpline.cli import cli
from tests.conftest import make_wav
from tickets.models import Recording, TranscriptionState


@pytest.mark.vosk
def test_worker_once_transcribes_waiting_messages(demo, vosk_model, tmp_path):
    wav = tmp_path / "m.wav"
    wav.write_bytes(make_wav(4))
    runner = demo.test_cli_runner()
    runner.invoke(cli, ["call", "--at", "2026-11-28 22:00", "--keys", "1,1",
                        "--message", str(wav)], catch_exceptions=False)
    settings.configure(demo, VOSK_MODEL=vosk_model)
    result = runner.invoke(cli, ["worker", "--once"], catch_exceptions=False)
    assert result.exit_code == 0 and "done" in result.output
    with demo.app_context():
        assert db.session.scalars(select(Recording)).one().state == TranscriptionState.DONE


@pytest.mark.vosk
def test_transcribe_prints_json_per_file(app, vosk_model, tmp_path):
    good, bad = tmp_path / "a.wav", tmp_path / "b.wav"
    good.write_bytes(make_wav(2, rate=16000))
    bad.write_bytes(b"not a wav at all")
    result = app.test_cli_runner().invoke(
        cli, ["transcribe", "--json", "--model", vosk_model, str(good), str(bad)])
    assert result.exit_code == 1  # one file failed, and says why
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert lines[0]["file"] == str(good) and lines[0]["duration"] == pytest.approx(2, abs=0.1)
    assert "b.wav: error" in result.output


def test_transcribe_without_a_model_says_what_to_do(app, tmp_path):
    wav = tmp_path / "a.wav"
    wav.write_bytes(make_wav(1))
    result = app.test_cli_runner().invoke(cli, ["transcribe", str(wav)])
    assert result.exit_code == 2 and "helpline models download" in result.output


def test_models_check_reports_a_missing_model(app, tmp_path):
    result = app.test_cli_runner().invoke(cli, ["models", "check", "--model",
                                                str(tmp_path / "nope")])
    assert result.exit_code == 1 and "nope" in result.output


@pytest.mark.vosk
def test_models_check_loads_a_model(app, vosk_model):
    result = app.test_cli_runner().invoke(cli, ["models", "check", "--model", vosk_model])
    assert result.exit_code == 0, result.output


def test_understand_reads_lines_and_writes_json(app):
    text = ("алло это папа ученика седьмого вэ класса оценки не видно в дневнике "
            "мой номер восемь девятьсот три сто двадцать три сорок пять шестьдесят семь\n"
            "\n")
    result = app.test_cli_runner().invoke(cli, ["understand"], input=text)
    assert result.exit_code == 0
    first, second = [json.loads(line) for line in result.output.splitlines()]
    assert first == {"phone": "+79031234567", "class": "7В", "topic": "grades",
                     "abusive": False}
    assert second["phone"] is None and second["class"] is None


@pytest.mark.whisper
@pytest.mark.shared
def test_understand_audio_prints_one_line_per_file_in_order(app, whisper_model, shared_dir):
    from tests.conftest import need

    first = shared_dir / "audio/voicemails/dev-054.wav"
    second = shared_dir / "audio/ru-speech/8k/voxforge_ru_0031.wav"
    need(first.is_file() and second.is_file(), "no Russian audio in ../shared")
    settings.configure(app, ASR_ENGINE="whisper", ASR_MODEL=whisper_model, ASR_CPU_THREADS=2)
    result = app.test_cli_runner().invoke(
        cli, ["understand", "--audio", str(first), str(second)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [list(row) for row in rows] == [
        ["file", "transcript", "phone", "class", "topic", "abusive"]] * 2
    assert [row["file"] for row in rows] == [str(first), str(second)]
    assert rows[0]["phone"] == "+79024613089" and rows[0]["transcript"]
    assert "часов" in rows[1]["transcript"].lower()  # «... шесть семь часов»


def test_understand_audio_without_a_model_says_what_to_do(app, tmp_path):
    wav = tmp_path / "a.wav"
    wav.write_bytes(make_wav(1))
    result = app.test_cli_runner().invoke(cli, ["understand", "--audio", str(wav)])
    assert result.exit_code == 2 and "helpline models download" in result.output


def test_understand_audio_reports_a_bad_file_and_goes_on(app, tmp_path, monkeypatch):
    from transcription import asr
    from transcription.engine import Transcript

    good, bad = tmp_path / "a.wav", tmp_path / "b.wav"
    good.write_bytes(make_wav(1))
    bad.write_bytes(b"not a wav")

    def transcribe(path, settings):
        from transcription.audio import probe

        probe(path)  # the real reader decides what is a WAV
        return Transcript("мой номер 8 903 123-45-67", (), 0.9, 1.0, "whisper", "stub")

    monkeypatch.setattr(asr, "transcribe", transcribe)
    settings.configure(app, ASR_ENGINE="whisper", ASR_MODEL=str(tmp_path))
    result = app.test_cli_runner().invoke(cli, ["understand", "--audio", str(bad), str(good)])
    assert result.exit_code == 1  # one file failed, and says why; the other is understood
    assert "b.wav: error" in result.stderr
    [row] = [json.loads(line) for line in result.stdout.splitlines()]
    assert row["file"] == str(good) and row["phone"] == "+79031234567"
