"""Understand voicemail transcripts in bulk: one JSON-ready dict per input line.

The ``helpline understand`` command feeds it stdin and writes JSON lines. A line is a
transcript as plain text, or a Vosk result object (``{"text": ..., "result": [words]}``),
whose word confidences are then used.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping

from transcription.engine import Transcript
from transcription.extract import extract

# The topic for a message no keyword matches (the labels call empty messages "other").
FALLBACK_TOPIC = "other"


def _parse_line(line: str) -> tuple[str, list[dict] | None]:
    stripped = line.strip()
    if stripped.startswith("{"):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError:
            return stripped, None
        if isinstance(data, dict):
            words = data.get("result")
            return str(data.get("text", "")), words if isinstance(words, list) else None
    return stripped, None


def understand(lines: Iterable[str], topics: Mapping[str, Iterable[str]]) -> Iterator[dict]:
    """Yield ``{"phone", "class", "topic", "abusive"}`` for each line, blank lines included.

    ``topic`` is "other" when no keyword matches and the topics include "other", else null.
    """
    default = FALLBACK_TOPIC if FALLBACK_TOPIC in topics else None
    for line in lines:
        text, words = _parse_line(line)
        yield extract(text, topics, words=words, default_topic=default).as_dict()


def understand_transcript(transcript: Transcript, topics: Mapping[str, Iterable[str]]) -> dict:
    """``{"phone", "class", "topic", "abusive"}`` of one engine transcript, word
    confidences included (either engine)."""
    default = FALLBACK_TOPIC if FALLBACK_TOPIC in topics else None
    words = [{"word": w.word, "start": w.start, "end": w.end, "conf": w.conf}
             for w in transcript.words]
    return extract(transcript.text, topics, words=words or None,
                   default_topic=default).as_dict()
