"""Our WAV/G.711 reader (transcription/audio.py: RIFF parser, G.711 tables, libsoxr «VHQ»)
against soundfile + soxr «HQ».

Run by hand from the repository root, with soundfile installed in the venv
(`.venv/bin/pip install soundfile`; it is not a dependency of the help line, soxr is):

    .venv/bin/python benchmarks/audio_backends.py ../shared/audio/ru-speech/8k/*.wav \\
        ../shared/audio/voicemails/*.wav

For every file, and again for G.711 mu-law and A-law copies written by libsndfile, prints
the time to read the file as 16 kHz mono PCM16 both ways (best of --repeat), and how far
the two outputs are apart (SNR of the difference, in dB; identical = inf). Decoding G.711
is compared before resampling too (exact match in samples). Then it checks, on the inputs
transcription/audio.py's tests use, which of them libsndfile reads at all.

    .venv/bin/python benchmarks/audio_backends.py chain MANIFEST [speech_chain options]

runs benchmarks/speech_chain.py with Whisper reading its audio through soundfile + soxr
instead (pass --no-cache: the transcript cache does not know how the audio was read), so
the WER of the two readers can be compared on the same files.
"""

from __future__ import annotations

import argparse
import io
import math
import struct
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import soundfile as sf
import soxr

from transcription import audio

RATE = 16000


def ours(data: bytes, rate: int = RATE) -> np.ndarray:
    return np.frombuffer(audio.read_pcm16(io.BytesIO(data), sample_rate=rate), dtype="<i2")


def theirs(data: bytes, rate: int = RATE) -> np.ndarray:
    x, sr = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    x = x.mean(axis=1)
    if sr != rate:
        x = soxr.resample(x, sr, rate, quality="HQ")
    return np.clip(np.rint(x * 32768.0), -32768, 32767).astype("<i2")


def snr(a: np.ndarray, b: np.ndarray) -> float:
    n = min(len(a), len(b))
    a, b = a[:n].astype(np.float64), b[:n].astype(np.float64)
    noise = np.sum((a - b) ** 2)
    return math.inf if noise == 0 else 10 * math.log10(np.sum(a * a) / noise)


def best(fn, data: bytes, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn(data)
        times.append(time.perf_counter() - start)
    return min(times)


def encoded(path: Path, subtype: str) -> bytes:
    x, sr = sf.read(path, dtype="int16")
    out = io.BytesIO()
    sf.write(out, x, sr, format="WAV", subtype=subtype)
    return out.getvalue()


def header(tag: int, channels: int, rate: int, width: int, size: int) -> bytes:
    fmt = struct.pack("<HHIIHH", tag, channels, rate, rate * channels * width,
                      channels * width, 8 * width)
    return (b"RIFF" + struct.pack("<I", 36 + size if size != 0xFFFFFFFF else size) + b"WAVE"
            + b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", size))


def edge_cases() -> dict[str, bytes]:
    pcm = (np.sin(np.arange(8000) / 5) * 8000).astype("<i2").tobytes()
    return {
        "unknown data size (0xFFFFFFFF, streamed)": header(1, 1, 8000, 2, 0xFFFFFFFF) + pcm,
        "truncated data (header says more)": header(1, 1, 8000, 2, 2 * len(pcm)) + pcm,
        "odd chunk before data": (header(1, 1, 8000, 2, len(pcm))[:36] + b"LIST"
                                  + struct.pack("<I", 3) + b"abc\0" + b"data"
                                  + struct.pack("<I", len(pcm)) + pcm),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    totals = {"pcm": [0.0, 0.0, 0.0], "ulaw": [0.0, 0.0, 0.0], "alaw": [0.0, 0.0, 0.0]}
    snrs: dict[str, list[float]] = {k: [] for k in totals}
    exact = {"ulaw": 0, "alaw": 0}
    for path in args.files:
        variants = {"pcm": path.read_bytes(), "ulaw": encoded(path, "ULAW"),
                    "alaw": encoded(path, "ALAW")}
        for kind, data in variants.items():
            totals[kind][0] += sf.info(io.BytesIO(data)).duration
            totals[kind][1] += best(ours, data, args.repeat)
            totals[kind][2] += best(theirs, data, args.repeat)
            snrs[kind].append(snr(ours(data), theirs(data)))
            if kind != "pcm":
                native = sf.info(io.BytesIO(data)).samplerate
                same = np.array_equal(ours(data, native), theirs(data, native))
                exact[kind] += same
    print(f"{len(args.files)} files")
    for kind, (seconds, t_ours, t_theirs) in totals.items():
        finite = [s for s in snrs[kind] if math.isfinite(s)]
        worst = min(finite) if finite else math.inf
        print(f"{kind:5} {seconds:7.1f} s of audio: ours {t_ours * 1000:7.1f} ms "
              f"({seconds / t_ours:6.0f}x real time), soundfile+soxr {t_theirs * 1000:7.1f} ms "
              f"({seconds / t_theirs:6.0f}x); difference SNR worst {worst:.1f} dB")
    for kind, count in exact.items():
        print(f"{kind} decoded at the native rate: {count}/{len(args.files)} files identical")
    for name, data in edge_cases().items():
        try:
            n_ours = len(ours(data, 8000))
        except audio.AudioError as exc:
            n_ours = f"AudioError: {exc}"
        try:
            n_theirs = len(theirs(data, 8000))
        except Exception as exc:  # libsndfile's own error
            n_theirs = f"{type(exc).__name__}: {exc}"
        print(f"{name}: ours {n_ours} samples, soundfile {n_theirs}")
    # A pipe: libsndfile needs to seek
    try:
        sf.read(_Pipe(header(1, 1, 8000, 2, 16000) + bytes(16000)))
        pipe = "reads"
    except Exception as exc:
        pipe = f"{type(exc).__name__}: {exc}"
    print(f"non-seekable pipe: ours reads, soundfile {pipe}")


class _Pipe(io.RawIOBase):
    """A stream that cannot seek, as a pipe or a socket."""

    def __init__(self, data: bytes) -> None:
        self.data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        chunk = self.data.read(len(b))
        b[: len(chunk)] = chunk
        return len(chunk)

    def seekable(self) -> bool:
        return False


def chain(argv: list[str]) -> int:
    """speech_chain.py with Whisper's audio read by soundfile + soxr."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import speech_chain

    from transcription import whisper

    whisper.read_pcm16 = lambda source, *, sample_rate=RATE: theirs(  # type: ignore[assignment]
        Path(source).read_bytes(), sample_rate).tobytes()
    return speech_chain.main(argv)


if __name__ == "__main__":
    if sys.argv[1:2] == ["chain"]:
        raise SystemExit(chain(sys.argv[2:]))
    main()
