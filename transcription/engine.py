"""Offline speech recognition with Vosk: a WAV recording in, a Transcript with word timings out.

Nothing here knows about Flask or the database. The model is loaded once per process and
path, and shared by every call (a Vosk model is read-only once loaded, so threads may
share it; each call gets its own recogniser).
"""

from __future__ import annotations

import functools
import json
import os
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from transcription.audio import pcm16_chunks

if TYPE_CHECKING:
    import vosk

__all__ = [
    "ENGINE",
    "ModelUnavailable",
    "Transcript",
    "Word",
    "load_model",
    "model_sample_rate",
    "transcribe",
]

ENGINE = "vosk"
DEFAULT_SAMPLE_RATE = 16000  # Kaldi's default --sample-frequency

# Where Vosk looks for the acoustic model and feature settings (model.cc: v2 then v1 layout).
_AM_FILES = ("am/final.mdl", "final.mdl")
_FEATURE_CONFS = ("conf/mfcc.conf", "conf/fbank.conf", "mfcc.conf")
_SAMPLE_FREQUENCY = re.compile(r"^\s*--sample-frequency\s*=\s*(\d+(?:\.\d+)?)\s*$", re.MULTILINE)


class ModelUnavailable(Exception):
    """The Vosk model is missing, is not a Vosk model, or fails to load."""


@dataclass(frozen=True)
class Word:
    word: str
    start: float  # seconds from the start of the recording
    end: float
    conf: float  # 0..1, Vosk's posterior for the word


@dataclass(frozen=True)
class Transcript:
    text: str
    words: tuple[Word, ...]
    confidence: float  # word confidences weighted by word duration; 0.0 without words
    duration: float  # seconds of audio
    engine: str
    model: str
    language: str = "ru"

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict (the inverse of from_dict)."""
        return {
            "text": self.text,
            "words": [
                {"word": w.word, "start": w.start, "end": w.end, "conf": w.conf} for w in self.words
            ],
            "confidence": self.confidence,
            "duration": self.duration,
            "engine": self.engine,
            "model": self.model,
            "language": self.language,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Transcript:
        """Rebuild a Transcript stored with to_dict."""
        return cls(
            text=data["text"],
            words=tuple(Word(**w) for w in data["words"]),
            confidence=data["confidence"],
            duration=data["duration"],
            engine=data["engine"],
            model=data["model"],
            language=data.get("language", "ru"),  # stored before engines had a language
        )


def _model_dir(path: str | os.PathLike[str]) -> Path:
    """Return the absolute model directory, or raise ModelUnavailable saying what is wrong."""
    p = Path(path).expanduser()
    try:
        p = p.resolve()
    except OSError as exc:
        raise ModelUnavailable(f"Vosk model path {p} cannot be resolved: {exc}") from exc
    if not p.exists():
        raise ModelUnavailable(f"Vosk model not found: {p} does not exist")
    if not p.is_dir():
        raise ModelUnavailable(f"Vosk model path {p} is not a directory")
    if not any((p / name).is_file() for name in _AM_FILES):
        raise ModelUnavailable(
            f"{p} is not a Vosk model directory: no acoustic model (am/final.mdl)"
        )
    if not any((p / name).is_file() for name in _FEATURE_CONFS):
        raise ModelUnavailable(
            f"{p} is not a Vosk model directory: no feature config (conf/mfcc.conf)"
        )
    return p


def model_name(path: str | os.PathLike[str]) -> str:
    """Name a model by its directory, e.g. vosk-model-small-ru-0.22.

    A directory called just "model" (as Python packages ship it) is named with its parent.
    """
    p = Path(path).expanduser().resolve()
    return f"{p.parent.name}/{p.name}" if p.name == "model" and p.parent.name else p.name


_load_lock = threading.Lock()


def load_model(path: str | os.PathLike[str]) -> vosk.Model:
    """Load the Vosk model at path once per process and return the shared instance."""
    directory = _model_dir(path)
    with _load_lock:  # a model takes seconds and hundreds of MB: never load it twice
        return _load(str(directory))


@functools.cache
def _load(directory: str) -> vosk.Model:
    import vosk

    vosk.SetLogLevel(-1)  # Kaldi logs every loading step to stderr otherwise
    try:
        return vosk.Model(directory)
    except Exception as exc:  # vosk raises a bare Exception("Failed to create a model")
        raise ModelUnavailable(f"Vosk model at {directory} failed to load: {exc}") from exc


def model_sample_rate(path: str | os.PathLike[str]) -> int:
    """Return the sample rate the model was trained on (its --sample-frequency)."""
    return _sample_rate(str(_model_dir(path)))


@functools.cache
def _sample_rate(directory: str) -> int:
    for name in _FEATURE_CONFS:
        conf = Path(directory, name)
        if conf.is_file():
            match = _SAMPLE_FREQUENCY.search(conf.read_text(encoding="utf-8", errors="replace"))
            if match:
                return round(float(match.group(1)))
            break  # Vosk reads only the first config it finds
    return DEFAULT_SAMPLE_RATE


def transcribe(
    audio: str | os.PathLike[str] | BinaryIO,
    model_path: str | os.PathLike[str],
    *,
    chunk_seconds: float = 0.5,
) -> Transcript:
    """Transcribe a WAV recording (path or binary file object) with the Vosk model at model_path.

    Raises ModelUnavailable for a bad model and transcription.audio.AudioError for
    input that is not a readable WAV file.
    """
    import vosk

    model = load_model(model_path)
    rate = model_sample_rate(model_path)
    recognizer = vosk.KaldiRecognizer(model, rate)
    recognizer.SetWords(True)
    results: list[str] = []
    samples = 0
    for chunk in pcm16_chunks(audio, sample_rate=rate, chunk_seconds=chunk_seconds):
        samples += len(chunk) // 2
        if recognizer.AcceptWaveform(chunk):
            # An utterance ended: its result is gone from FinalResult(), so keep it now.
            results.append(recognizer.Result())
    results.append(recognizer.FinalResult())
    return _transcript((json.loads(r) for r in results), samples / rate, model_name(model_path))


def _transcript(results: Iterable[dict[str, Any]], duration: float, model: str) -> Transcript:
    texts: list[str] = []
    words: list[Word] = []
    for result in results:
        text = result.get("text", "").strip()
        if text:
            texts.append(text)
        for w in result.get("result", ()):
            words.append(
                Word(
                    word=w["word"],
                    start=float(w["start"]),
                    end=float(w["end"]),
                    conf=float(w["conf"]),
                )
            )
    return Transcript(
        text=" ".join(texts),
        words=tuple(words),
        confidence=_confidence(words),
        duration=duration,
        engine=ENGINE,
        model=model,
    )


def _confidence(words: list[Word]) -> float:
    """Average word confidence weighted by duration, so a long mumbled stretch counts more
    than a crisp short word; the plain mean when no word has a duration."""
    if not words:
        return 0.0
    total = sum(w.end - w.start for w in words)
    if total <= 0:
        return sum(w.conf for w in words) / len(words)
    return sum(w.conf * (w.end - w.start) for w in words) / total
