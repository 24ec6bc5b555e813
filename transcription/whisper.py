"""Offline speech recognition with faster-whisper (CTranslate2): WAV in, Transcript out.

The second engine behind transcription.asr. Audio is read and resampled to 16 kHz by
transcription.audio (the same reader the Vosk engine uses), handed to faster-whisper as a
float32 array, and decoded on the CPU. The model is loaded once per process, path, compute
type and thread count. Nothing here knows about Flask or the database, and nothing ever
downloads: the model must be a local CTranslate2 directory (model.bin, config.json,
tokenizer.json, vocabulary.*).
"""

from __future__ import annotations

import functools
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np

from transcription.audio import read_pcm16
from transcription.engine import ModelUnavailable, Transcript, Word, _confidence, model_name

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

__all__ = ["ENGINE", "WhisperOptions", "is_whisper_dir", "load_model", "transcribe"]

ENGINE = "whisper"
SAMPLE_RATE = 16000  # Whisper's feature extractor works at 16 kHz only
SEED = 20261201
_REQUIRED = ("model.bin", "config.json")
_VOCABULARY = ("vocabulary.txt", "vocabulary.json")


@dataclass(frozen=True)
class WhisperOptions:
    """Decoding options that matter on the phone; the defaults are the measured best."""

    language: str = "ru"
    beam_size: int = 10  # measured: 8/36 numbers exact against 4 at beam 5 and 6 at 20
    # Fallback temperatures when a window's decode looks degenerate (repeats, low log-prob).
    temperature: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    vad_filter: bool = True  # skip silence (Silero VAD shipped inside faster-whisper)
    # Text "before" the message (style, vocabulary). None: every prompt measured on the
    # voicemails raised the word error rate, and one with a number leaked its digits.
    initial_prompt: str | None = None
    compute_type: str = "int8"  # int8 on CPU: ~4x smaller and faster than float32
    cpu_threads: int = 0  # 0 = CTranslate2's default (all cores)
    condition_on_previous_text: bool = True

    def decode_kwargs(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "beam_size": self.beam_size,
            "temperature": list(self.temperature),
            "vad_filter": self.vad_filter,
            "initial_prompt": self.initial_prompt or None,
            "condition_on_previous_text": self.condition_on_previous_text,
            "word_timestamps": True,
        }


def is_whisper_dir(path: str | os.PathLike[str]) -> bool:
    """Tell whether path looks like a CTranslate2 Whisper model (without loading it)."""
    p = Path(path).expanduser()
    return (
        p.is_dir()
        and all((p / name).is_file() for name in _REQUIRED)
        and any((p / name).is_file() for name in _VOCABULARY)
    )


def _model_dir(path: str | os.PathLike[str]) -> Path:
    p = Path(path).expanduser()
    if not p.exists():
        raise ModelUnavailable(f"Whisper model not found: {p} does not exist")
    if not is_whisper_dir(p):
        raise ModelUnavailable(
            f"{p} is not a faster-whisper model directory (needs model.bin, config.json "
            "and vocabulary.txt)"
        )
    return p.resolve()


_load_lock = threading.Lock()


def load_model(
    path: str | os.PathLike[str], *, compute_type: str = "int8", cpu_threads: int = 0
) -> WhisperModel:
    """Load the model at path once per process and settings; return the shared instance."""
    directory = _model_dir(path)
    with _load_lock:
        return _load(str(directory), compute_type, cpu_threads)


@functools.cache
def _load(directory: str, compute_type: str, cpu_threads: int) -> WhisperModel:
    try:
        from faster_whisper import WhisperModel
    except ImportError as exc:  # pragma: no cover - faster-whisper is a dependency
        raise ModelUnavailable("faster-whisper is not installed") from exc
    try:
        return WhisperModel(
            directory,
            device="cpu",
            compute_type=compute_type,
            cpu_threads=cpu_threads,
            local_files_only=True,
        )
    except Exception as exc:  # CTranslate2 raises RuntimeError/ValueError on a bad model
        raise ModelUnavailable(f"Whisper model at {directory} failed to load: {exc}") from exc


def pcm_to_float(pcm: bytes) -> np.ndarray:
    """16-bit little-endian PCM to the float32 waveform in [-1, 1] faster-whisper takes."""
    return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0


def transcribe(
    audio: str | os.PathLike[str] | BinaryIO,
    model_path: str | os.PathLike[str],
    options: WhisperOptions | None = None,
) -> Transcript:
    """Transcribe a WAV recording with the faster-whisper model at model_path.

    Raises ModelUnavailable for a bad model and transcription.audio.AudioError for input
    that is not a readable WAV file.
    """
    options = options or WhisperOptions()
    model = load_model(model_path, compute_type=options.compute_type,
                       cpu_threads=options.cpu_threads)
    waveform = pcm_to_float(read_pcm16(audio, sample_rate=SAMPLE_RATE))
    return decode(model, waveform, options, model_name(model_path))


def decode(
    model: WhisperModel, waveform: np.ndarray, options: WhisperOptions, name: str
) -> Transcript:
    """Run the model over a 16 kHz float32 waveform and build the Transcript."""
    duration = len(waveform) / SAMPLE_RATE
    if len(waveform) == 0:
        return Transcript("", (), 0.0, 0.0, ENGINE, name, options.language)
    import ctranslate2

    # The temperature fallback samples: a fixed seed gives the same text for the same audio
    # (benchmarks repeat their figures; a re-run job does not change a ticket's transcript).
    ctranslate2.set_random_seed(SEED)
    segments, info = model.transcribe(waveform, **options.decode_kwargs())
    texts: list[str] = []
    words: list[Word] = []
    for segment in segments:  # a generator: decoding happens while iterating
        text = segment.text.strip()
        if text:
            texts.append(text)
        for w in segment.words or ():
            token = w.word.strip()
            if token:
                words.append(Word(token, round(float(w.start), 3), round(float(w.end), 3),
                                  round(float(w.probability), 4)))
    return Transcript(
        text=" ".join(texts),
        words=tuple(words),
        confidence=_confidence(words),
        duration=duration,
        engine=ENGINE,
        model=name,
        language=info.language or options.language,
    )
