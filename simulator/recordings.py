"""Recordings: where the simulated caller's messages are kept, and WAV arithmetic."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Protocol


class RecordingStore(Protocol):
    """Keeps recorded audio where the application can download it."""

    def save(self, recording_sid: str, wav: bytes) -> str:
        """Store the audio and return the RecordingUrl to report to the application."""
        ...


class DirectoryRecordingStore:
    """Save recordings as ``<directory>/<sid>.wav``; report ``<url_prefix>/<sid>``."""

    def __init__(self, directory: Path, url_prefix: str) -> None:
        self.directory = Path(directory)
        self.url_prefix = url_prefix.rstrip("/")

    def save(self, recording_sid: str, wav: bytes) -> str:
        """Write the file and return its URL."""
        self.directory.mkdir(parents=True, exist_ok=True)
        (self.directory / f"{recording_sid}.wav").write_bytes(wav)
        return f"{self.url_prefix}/{recording_sid}"

    def path(self, recording_sid: str) -> Path:
        """Return where a recording is (or would be) stored."""
        return self.directory / f"{recording_sid}.wav"


class MemoryRecordingStore:
    """Keep recordings in a dict (``files``); report ``<url_prefix>/<sid>``."""

    def __init__(self, url_prefix: str = "https://recordings.invalid") -> None:
        self.url_prefix = url_prefix.rstrip("/")
        self.files: dict[str, bytes] = {}

    def save(self, recording_sid: str, wav: bytes) -> str:
        """Keep the bytes and return their URL."""
        self.files[recording_sid] = wav
        return f"{self.url_prefix}/{recording_sid}"


def wav_duration(data: bytes) -> float:
    """Return the length in seconds of a RIFF/WAVE file, from its data size and byte rate.

    Works for any format tag (PCM, μ-law, A-law), which the ``wave`` module does not.
    """
    layout = _wav_layout(data)
    return layout[1] / layout[2]


def _wav_layout(data: bytes) -> tuple[int, int, int, int]:
    """Return (data offset, data size, byte rate, block align) of a WAV file."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError("not a RIFF/WAVE file")
    offset = 12
    byte_rate = block_align = 0
    while offset + 8 <= len(data):
        chunk_id = data[offset : offset + 4]
        (size,) = struct.unpack_from("<I", data, offset + 4)
        body = offset + 8
        if chunk_id == b"fmt ":
            if size < 16 or body + 16 > len(data):
                raise ValueError("truncated fmt chunk")
            _tag, _channels, _rate, byte_rate, block_align = struct.unpack_from(
                "<HHIIH", data, body
            )
        elif chunk_id == b"data":
            if not byte_rate:
                raise ValueError("data chunk before fmt chunk")
            size = min(size, len(data) - body)  # streaming writers leave 0xFFFFFFFF
            return body, size, byte_rate, max(block_align, 1)
        offset = body + size + (size & 1)
    raise ValueError("no data chunk")


def _truncate_wav(data: bytes, seconds: float) -> bytes:
    """Cut a WAV file to at most ``seconds`` of audio, fixing the chunk sizes."""
    start, size, byte_rate, block_align = _wav_layout(data)
    keep = int(seconds * byte_rate) // block_align * block_align
    if keep >= size:
        return data
    header = bytearray(data[:start])
    struct.pack_into("<I", header, start - 4, keep)
    struct.pack_into("<I", header, 4, len(header) + keep - 8)
    return bytes(header) + data[start : start + keep]
