"""One face for the speech engines: settings in, the same Transcript out, whichever engine.

``HELPLINE_ASR_ENGINE`` picks the engine (``vosk``, the product's default, or ``whisper``),
``HELPLINE_ASR_MODEL`` the model directory (``HELPLINE_VOSK_MODEL`` still works for Vosk).
The decoding options are settings too (``HELPLINE_ASR_BEAM_SIZE`` ...); see
``settings_from_config``. Nothing here knows about Flask: callers pass a plain mapping.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, BinaryIO

from transcription.engine import ModelUnavailable, Transcript
from transcription.whisper import WhisperOptions

__all__ = ["ENGINES", "AsrSettings", "ModelUnavailable", "check", "settings_from_config",
           "transcribe"]

ENGINES = ("vosk", "whisper")


@dataclass(frozen=True)
class AsrSettings:
    engine: str = "vosk"
    model: str = ""  # the model directory; empty = none configured
    whisper: WhisperOptions = field(default_factory=WhisperOptions)

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise ValueError(f"unknown speech engine {self.engine!r}: use one of {ENGINES}")

    def describe(self) -> str:
        """A short label for logs and benchmark output (no personal data)."""
        if self.engine == "vosk":
            return f"vosk {self.model or '(no model)'}"
        w = self.whisper
        prompt = "prompt" if w.initial_prompt else "no prompt"
        return (f"whisper {self.model or '(no model)'} beam={w.beam_size} "
                f"temps={len(w.temperature)} vad={w.vad_filter} {prompt} {w.compute_type}")


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def _temperatures(value: Any) -> tuple[float, ...]:
    if isinstance(value, int | float):
        return (float(value),)
    if isinstance(value, str):
        return tuple(float(v) for v in value.replace(",", " ").split())
    return tuple(float(v) for v in value)


def settings_from_config(config: Mapping[str, Any]) -> AsrSettings:
    """Build the settings from the app's config (ASR_ENGINE, ASR_MODEL, VOSK_MODEL, ASR_*).

    Raises ValueError for an unknown engine or a malformed option.
    """
    engine = str(config.get("ASR_ENGINE") or "vosk").strip().lower()
    model = str(config.get("ASR_MODEL") or "")
    if not model and engine == "vosk":
        model = str(config.get("VOSK_MODEL") or "")
    defaults = WhisperOptions()
    prompt = config.get("ASR_INITIAL_PROMPT")
    whisper = WhisperOptions(
        language=str(config.get("ASR_LANGUAGE") or defaults.language),
        beam_size=int(config.get("ASR_BEAM_SIZE") or defaults.beam_size),
        temperature=_temperatures(config.get("ASR_TEMPERATURE", defaults.temperature)),
        vad_filter=_bool(config.get("ASR_VAD_FILTER", defaults.vad_filter)),
        initial_prompt=str(prompt) if prompt else None,
        compute_type=str(config.get("ASR_COMPUTE_TYPE") or defaults.compute_type),
        cpu_threads=int(config.get("ASR_CPU_THREADS") or 0),
    )
    if whisper.beam_size < 1:
        raise ValueError("ASR_BEAM_SIZE must be at least 1")
    return AsrSettings(engine=engine, model=model, whisper=whisper)


def with_model(settings: AsrSettings, model: str | os.PathLike[str]) -> AsrSettings:
    return replace(settings, model=str(model))


def transcribe(audio: str | os.PathLike[str] | BinaryIO, settings: AsrSettings) -> Transcript:
    """Transcribe a WAV recording with the configured engine.

    Raises ModelUnavailable when no model is configured or it does not load, and
    transcription.audio.AudioError for input that is not a readable WAV file.
    """
    if not settings.model:
        raise ModelUnavailable(f"no {settings.engine} model is configured (HELPLINE_ASR_MODEL)")
    if settings.engine == "whisper":
        from transcription import whisper

        return whisper.transcribe(audio, settings.model, settings.whisper)
    from transcription import engine

    return engine.transcribe(audio, settings.model)


def check(settings: AsrSettings) -> str:
    """Load the configured model, decode a short silence, and describe it in one line.

    Raises ModelUnavailable when it is missing or does not load.
    """
    if not settings.model:
        raise ModelUnavailable(f"no {settings.engine} model is configured (HELPLINE_ASR_MODEL)")
    if settings.engine == "vosk":
        from transcription.models import check_model

        return check_model(settings.model)
    import numpy as np

    from transcription import whisper

    model = whisper.load_model(settings.model, compute_type=settings.whisper.compute_type,
                               cpu_threads=settings.whisper.cpu_threads)
    whisper.decode(model, np.zeros(whisper.SAMPLE_RATE // 2, dtype=np.float32),
                   replace(settings.whisper, vad_filter=False), "check")
    directory = Path(settings.model).expanduser().resolve()
    size = sum(f.stat().st_size for f in directory.iterdir() if f.is_file())
    return (f"{directory.name}: faster-whisper model OK at {directory} "
            f"({settings.whisper.compute_type} on CPU, {size / 1e6:.0f} MB on disk)")


def installed_models(models_dir: str | os.PathLike[str] | None) -> list[tuple[str, Path]]:
    """(engine, directory) of every model unpacked under models_dir, sorted by name."""
    from transcription.models import is_model_dir
    from transcription.whisper import is_whisper_dir

    found: list[tuple[str, Path]] = []
    if models_dir is None or not Path(models_dir).is_dir():
        return found
    for child in sorted(Path(models_dir).iterdir()):
        if child.name.startswith("."):
            continue  # a download in progress
        if is_whisper_dir(child):
            found.append(("whisper", child))
        elif is_model_dir(child):
            found.append(("vosk", child))
    return found


def discover(
    settings: AsrSettings, models_dir: str | os.PathLike[str] | None, *, assemble: bool = True
) -> AsrSettings | None:
    """The settings with a model: the configured one, else an installed one, else None.

    Looks under models_dir (where `helpline models download` puts models), the configured
    engine's models first, then for the whisper-base PyPI packages, which are assembled
    into the model cache on first use (skipped with ``assemble=False``, which only says
    whether they are there).
    """
    if settings.model:
        return settings
    found = installed_models(models_dir)
    found.sort(key=lambda item: item[0] != settings.engine)
    if found:
        engine, path = found[0]
        return replace(settings, engine=engine, model=str(path))
    from transcription import bundled

    if bundled.bundle_installed():
        path = bundled.ensure_whisper_base() if assemble else Path(bundled.NAME)
        return replace(settings, engine="whisper", model=str(path))
    return None


NO_MODEL_HINT = (
    "no speech model: voice messages are kept untranscribed until HELPLINE_ASR_MODEL (or "
    "HELPLINE_VOSK_MODEL) names one; `helpline models download whisper-base` fetches one"
)
