"""Read WAV recordings and stream them as mono 16-bit PCM at the rate a recogniser expects.

Telephony recordings come as 8 kHz 16-bit PCM or G.711 (mu-law, A-law); uploads may be
anything a desk recorder writes. Python's ``wave`` module rejects everything but integer
PCM, so the RIFF header is parsed here (also from pipes, for streamed WAVs of unknown
length and for truncated uploads, with a precise error for everything else). Input is read
block by block and resampled by libsoxr's streaming resampler, so memory stays flat however
long the file is.
"""

from __future__ import annotations

import io
import os
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import BinaryIO

import numpy as np
import soxr

__all__ = ["AudioError", "AudioInfo", "Encoding", "pcm16_chunks", "probe", "read_pcm16"]

AudioSource = str | os.PathLike[str] | BinaryIO
# What turns a file into the engine's PCM; cached transcripts are keyed on it.
FRONTEND = f"riff+soxr-{soxr.__version__}-vhq"


class AudioError(ValueError):
    """The input is not a WAV file this module can read, or it is corrupt."""

    retryable = False  # reading the same bytes again gives the same error


class Encoding(StrEnum):
    PCM = "pcm"  # integer PCM, 8-bit unsigned or 16/24/32-bit signed
    FLOAT = "float"  # IEEE float, 32 or 64 bit
    MULAW = "mulaw"  # G.711 mu-law (WAVE_FORMAT_MULAW), as telephony sends it
    ALAW = "alaw"  # G.711 A-law (WAVE_FORMAT_ALAW)


@dataclass(frozen=True)
class AudioInfo:
    sample_rate: int
    channels: int
    sample_width: int  # bytes per sample per channel as stored (1 for G.711)
    encoding: Encoding
    duration_s: float


# WAVE format tags (mmreg.h)
_WAVE_FORMAT_PCM = 0x0001
_WAVE_FORMAT_IEEE_FLOAT = 0x0003
_WAVE_FORMAT_ALAW = 0x0006
_WAVE_FORMAT_MULAW = 0x0007
_WAVE_FORMAT_EXTENSIBLE = 0xFFFE
_KSDATAFORMAT_SUFFIX = b"\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"

_ENCODINGS = {
    _WAVE_FORMAT_PCM: (Encoding.PCM, (1, 2, 3, 4)),
    _WAVE_FORMAT_IEEE_FLOAT: (Encoding.FLOAT, (4, 8)),
    _WAVE_FORMAT_ALAW: (Encoding.ALAW, (1,)),
    _WAVE_FORMAT_MULAW: (Encoding.MULAW, (1,)),
}
_KNOWN_UNSUPPORTED = {
    0x0002: "Microsoft ADPCM",
    0x0011: "IMA ADPCM",
    0x0031: "GSM 6.10",
    0x0050: "MPEG",
    0x0055: "MPEG Layer 3",
}
_UNKNOWN_SIZE = 0xFFFFFFFF
_MIN_RATE, _MAX_RATE = 1000, 768_000
_MAX_CHANNELS = 64


def _g711_tables() -> tuple[np.ndarray, np.ndarray]:
    """Build the ITU-T G.711 expansion tables, scaled to 16-bit PCM."""
    mulaw = np.empty(256, dtype=np.float32)
    alaw = np.empty(256, dtype=np.float32)
    for byte in range(256):
        u = ~byte & 0xFF
        magnitude = (((u & 0x0F) << 3) + 0x84) << ((u >> 4) & 0x07)
        mulaw[byte] = 0x84 - magnitude if u & 0x80 else magnitude - 0x84

        a = byte ^ 0x55
        segment = (a >> 4) & 0x07
        t = (a & 0x0F) << 4
        t = t + 8 if segment == 0 else (t + 0x108) << (segment - 1)
        alaw[byte] = t if a & 0x80 else -t
    return mulaw, alaw


_MULAW_TABLE, _ALAW_TABLE = _g711_tables()


@dataclass(frozen=True)
class _Format:
    encoding: Encoding
    channels: int
    sample_rate: int
    sample_width: int
    data_size: int | None  # None: unknown (streamed WAV), read to the end of the file
    data_offset: int | None  # None when the stream cannot tell its position

    @property
    def block_align(self) -> int:
        return self.channels * self.sample_width

    @property
    def is_native(self) -> bool:
        """True when the data already is mono signed 16-bit PCM."""
        return self.encoding is Encoding.PCM and self.sample_width == 2 and self.channels == 1


@contextmanager
def _open(source: AudioSource) -> Iterator[BinaryIO]:
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as f:
            yield f
    elif hasattr(source, "read"):
        yield source
    else:
        raise TypeError(f"expected a path or a binary file object, got {type(source).__name__}")


def _read_exactly(f: BinaryIO, n: int) -> bytes:
    """Read n bytes, or fewer only at the end of the stream (raw streams may return short)."""
    data = f.read(n)
    if data is None:
        data = b""
    if len(data) == n or not data:
        return data
    parts = [data]
    got = len(data)
    while got < n:
        more = f.read(n - got)
        if not more:
            break
        parts.append(more)
        got += len(more)
    return b"".join(parts)


def _skip(f: BinaryIO, n: int) -> None:
    if n <= 0:
        return
    try:
        seekable = f.seekable()
    except (AttributeError, ValueError):
        seekable = False
    if seekable:
        f.seek(n, io.SEEK_CUR)
        return
    while n > 0:
        block = f.read(min(n, 1 << 16))
        if not block:
            return
        n -= len(block)


def _tell(f: BinaryIO) -> int | None:
    try:
        return f.tell() if f.seekable() else None
    except (AttributeError, OSError, ValueError):
        return None


def _describe_not_wav(head: bytes) -> str:
    if not head:
        return "not a WAV file: the input is empty"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "not a WAV file: this looks like MP3 (only WAV is supported)"
    if head.startswith(b"fLaC"):
        return "not a WAV file: this looks like FLAC (only WAV is supported)"
    if head.startswith(b"OggS"):
        return "not a WAV file: this looks like Ogg (only WAV is supported)"
    if head.startswith((b"RF64", b"BW64")):
        return "RF64/BW64 WAV files are not supported"
    if head.startswith(b"RIFX"):
        return "big-endian RIFX WAV files are not supported"
    if len(head) < 12 and head.startswith(b"RIFF"):
        return f"corrupt WAV file: the header is truncated ({len(head)} bytes)"
    return "not a WAV file: no RIFF/WAVE header"


def _parse_fmt(body: bytes) -> tuple[Encoding, int, int, int]:
    if len(body) < 16:
        raise AudioError(f"corrupt WAV file: fmt chunk too short ({len(body)} bytes)")
    tag, channels, rate, _byte_rate, block_align, bits = struct.unpack("<HHIIHH", body[:16])
    if tag == _WAVE_FORMAT_EXTENSIBLE:
        if len(body) < 40:
            raise AudioError("corrupt WAV file: WAVE_FORMAT_EXTENSIBLE fmt chunk too short")
        subformat = body[24:40]
        if subformat[4:] != _KSDATAFORMAT_SUFFIX:
            raise AudioError("unsupported WAV encoding: unknown WAVE_FORMAT_EXTENSIBLE subformat")
        tag = struct.unpack("<I", subformat[:4])[0]
    if tag not in _ENCODINGS:
        name = _KNOWN_UNSUPPORTED.get(tag, "unknown")
        raise AudioError(
            f"unsupported WAV encoding: format tag 0x{tag:04x} ({name}); "
            "expected PCM, IEEE float, mu-law or A-law"
        )
    encoding, widths = _ENCODINGS[tag]
    if not 1 <= channels <= _MAX_CHANNELS:
        raise AudioError(f"corrupt WAV file: {channels} channels")
    if not _MIN_RATE <= rate <= _MAX_RATE:
        raise AudioError(f"corrupt WAV file: implausible sample rate {rate} Hz")
    if block_align == 0 or block_align % channels:
        # A few writers leave block_align empty; fall back on the bit depth.
        block_align = channels * ((bits + 7) // 8)
    width = block_align // channels
    if width not in widths:
        raise AudioError(
            f"unsupported WAV file: {encoding} with {width}-byte samples ({bits} bits)"
        )
    return encoding, channels, rate, width


def _read_header(f: BinaryIO) -> _Format:
    """Parse the RIFF header and leave f positioned at the first byte of audio data."""
    head = _read_exactly(f, 12)
    if len(head) < 12 or head[:4] != b"RIFF":
        raise AudioError(_describe_not_wav(head))
    if head[8:12] != b"WAVE":
        raise AudioError(f"not a WAV file: RIFF form type is {head[8:12]!r}, not WAVE")
    riff_size = struct.unpack("<I", head[4:8])[0]
    fmt: tuple[Encoding, int, int, int] | None = None
    while True:
        chunk = _read_exactly(f, 8)
        if len(chunk) < 8:
            what = "data" if fmt else "fmt"
            raise AudioError(f"corrupt WAV file: no {what} chunk")
        chunk_id, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
        if chunk_id == b"fmt ":
            if size > 1024:
                raise AudioError(f"corrupt WAV file: fmt chunk of {size} bytes")
            body = _read_exactly(f, size + (size & 1))
            if len(body) < size:
                raise AudioError("corrupt WAV file: truncated fmt chunk")
            fmt = _parse_fmt(body[:size])
        elif chunk_id == b"data":
            if fmt is None:
                raise AudioError("corrupt WAV file: data chunk before fmt chunk")
            unknown = size == _UNKNOWN_SIZE or (size == 0 and riff_size in (0, _UNKNOWN_SIZE))
            encoding, channels, rate, width = fmt
            return _Format(encoding, channels, rate, width, None if unknown else size, _tell(f))
        else:
            if not chunk_id.isascii():
                raise AudioError(f"corrupt WAV file: bad chunk id {chunk_id!r}")
            _skip(f, size + (size & 1))


def _iter_data(f: BinaryIO, fmt: _Format, block_bytes: int) -> Iterator[bytes]:
    """Yield the data chunk in whole frames, about block_bytes at a time."""
    align = fmt.block_align
    block_bytes = max(align, block_bytes - block_bytes % align)
    remaining = fmt.data_size  # None: to the end of the stream
    carry = b""
    while remaining is None or remaining > 0:
        want = block_bytes if remaining is None else min(block_bytes, remaining)
        data = f.read(want)
        if not data:
            break  # a truncated file: decode what is there
        if remaining is not None:
            remaining -= len(data)
        if carry:
            data = carry + data
        cut = len(data) - len(data) % align
        carry = data[cut:]
        if cut:
            yield data[:cut]


def _decode(raw: bytes, fmt: _Format) -> np.ndarray:
    """Decode whole frames into mono float32 samples on the 16-bit scale."""
    width = fmt.sample_width
    if fmt.encoding is Encoding.MULAW:
        x = _MULAW_TABLE[np.frombuffer(raw, dtype=np.uint8)]
    elif fmt.encoding is Encoding.ALAW:
        x = _ALAW_TABLE[np.frombuffer(raw, dtype=np.uint8)]
    elif fmt.encoding is Encoding.FLOAT:
        v = np.frombuffer(raw, dtype="<f4" if width == 4 else "<f8")
        # Full scale is +-1.0; NaN and out-of-range values would overflow the int16 cast.
        v = np.clip(np.nan_to_num(v, nan=0.0, posinf=1.0, neginf=-1.0), -1.0, 1.0)
        x = v.astype(np.float32) * np.float32(32768.0)
    elif width == 1:
        x = (np.frombuffer(raw, dtype=np.uint8).astype(np.float32) - 128.0) * 256.0
    elif width == 2:
        x = np.frombuffer(raw, dtype="<i2").astype(np.float32)
    elif width == 3:
        b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        v = (v ^ 0x800000) - 0x800000  # sign-extend 24 bits
        x = v.astype(np.float32) / np.float32(256.0)
    else:
        x = (np.frombuffer(raw, dtype="<i4") / 65536.0).astype(np.float32)
    if fmt.channels > 1:
        x = x.reshape(-1, fmt.channels).mean(axis=1, dtype=np.float32)
    return x


def _resampler(in_rate: int, out_rate: int) -> soxr.ResampleStream:
    """A streaming resampler (libsoxr, "VHQ": 28-bit, pass band to 95% of the lower Nyquist).

    libsoxr compensates its filter's delay, so timestamps computed on the output match the
    input, and its output does not depend on how the input is cut into blocks.
    """
    return soxr.ResampleStream(in_rate, out_rate, 1, dtype="float32", quality="VHQ")


def _to_pcm16(y: np.ndarray) -> bytes:
    return np.clip(np.rint(y), -32768, 32767).astype("<i2").tobytes()


def probe(source: AudioSource) -> AudioInfo:
    """Describe a WAV file (path or binary file object) without decoding it."""
    with _open(source) as f:
        start = _tell(f)
        try:
            fmt = _read_header(f)
            size = fmt.data_size
            if fmt.data_offset is not None:
                end = f.seek(0, io.SEEK_END)
                actual = end - fmt.data_offset
                size = actual if size is None else min(size, actual)
            elif size is None:
                size = sum(len(b) for b in _iter_data(f, fmt, 1 << 16))
        finally:
            if start is not None and not isinstance(source, str | os.PathLike):
                f.seek(start)
    frames = size // fmt.block_align
    return AudioInfo(
        sample_rate=fmt.sample_rate,
        channels=fmt.channels,
        sample_width=fmt.sample_width,
        encoding=fmt.encoding,
        duration_s=frames / fmt.sample_rate,
    )


def pcm16_chunks(
    source: AudioSource, *, sample_rate: int = 16000, chunk_seconds: float = 0.5
) -> Iterator[bytes]:
    """Yield the audio as mono 16-bit little-endian PCM at sample_rate, in chunks.

    Every chunk holds chunk_seconds of audio except the last, which may be shorter. The
    input is decoded, mixed down and resampled block by block. AudioError is raised when
    iteration starts if the input is not a readable WAV file.
    """
    if sample_rate <= 0:
        raise ValueError(f"sample_rate must be positive, got {sample_rate}")
    if chunk_seconds <= 0:
        raise ValueError(f"chunk_seconds must be positive, got {chunk_seconds}")
    chunk_bytes = 2 * max(1, round(chunk_seconds * sample_rate))
    with _open(source) as f:
        fmt = _read_header(f)
        if fmt.is_native and fmt.sample_rate == sample_rate:
            blocks: Iterator[bytes] = _iter_data(f, fmt, chunk_bytes)
        else:
            in_block = fmt.block_align * max(1, round(chunk_seconds * fmt.sample_rate))
            blocks = _converted(_iter_data(f, fmt, in_block), fmt, sample_rate)
        pending = bytearray()
        for block in blocks:
            pending += block
            while len(pending) >= chunk_bytes:
                yield bytes(pending[:chunk_bytes])
                del pending[:chunk_bytes]
        if pending:
            yield bytes(pending)


def _converted(raw_blocks: Iterator[bytes], fmt: _Format, sample_rate: int) -> Iterator[bytes]:
    resampler = _resampler(fmt.sample_rate, sample_rate) if fmt.sample_rate != sample_rate else None
    for raw in raw_blocks:
        x = _decode(raw, fmt)
        yield _to_pcm16(resampler.resample_chunk(x, last=False) if resampler else x)
    if resampler:
        tail = resampler.resample_chunk(np.zeros(0, dtype=np.float32), last=True)
        if len(tail):
            yield _to_pcm16(tail)


def read_pcm16(source: AudioSource, *, sample_rate: int = 16000) -> bytes:
    """Return the whole recording as mono 16-bit PCM (for short clips and tests)."""
    return b"".join(pcm16_chunks(source, sample_rate=sample_rate, chunk_seconds=5.0))
