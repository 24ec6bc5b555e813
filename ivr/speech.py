"""Match what a caller said (Twilio's SpeechResult) to a menu option by keywords."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from transcription import extract

# Twilio's Confidence is 0..1; below this we'd rather ask again than guess.
MIN_CONFIDENCE = 0.35


def match(text: str, confidence: str | float | None,
          options: Mapping[str, Sequence[str]]) -> str | None:
    """The option code whose keywords the caller said, or None (ask again)."""
    if confidence not in (None, ""):
        try:
            if float(confidence) < MIN_CONFIDENCE:
                return None
        except ValueError:
            pass  # a malformed Confidence is no reason to ignore what was said
    return extract.match_keywords(text, options)
