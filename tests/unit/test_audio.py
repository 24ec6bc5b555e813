"""WAV reading, G.711 decoding, mixing down, resampling and chunking (transcription.audio)."""

import io
import math
import struct
import tracemalloc
import wave

import numpy as np
import pytest

from transcription.audio import (
    AudioError,
    AudioInfo,
    Encoding,
    pcm16_chunks,
    probe,
    read_pcm16,
)

# --- building test files with the standard library ------------------------------------


def tone(rate: int, seconds: float, freq: float, amp: float = 10000.0) -> np.ndarray:
    t = np.arange(round(rate * seconds)) / rate
    return np.rint(amp * np.sin(2 * np.pi * freq * t)).astype(np.int16)


def write_pcm16(path, samples, rate: int, channels: int = 1) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.asarray(samples, dtype="<i2").tobytes())


def riff(fmt_body: bytes, data: bytes, *, extra_chunks: bytes = b"", data_size=None) -> bytes:
    """Assemble a RIFF/WAVE file by hand (what the wave module cannot write)."""
    size = len(data) if data_size is None else data_size
    chunks = (
        b"fmt "
        + struct.pack("<I", len(fmt_body))
        + fmt_body
        + extra_chunks
        + b"data"
        + struct.pack("<I", size)
        + data
    )
    return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WAVE" + chunks


def fmt_chunk(tag: int, channels: int, rate: int, width: int, cb: bytes | None = None) -> bytes:
    body = struct.pack(
        "<HHIIHH", tag, channels, rate, rate * channels * width, channels * width, 8 * width
    )
    return body if cb is None else body + struct.pack("<H", len(cb)) + cb


def ulaw_encode(sample: int) -> int:
    """G.711 mu-law encoder (the classic 16-bit 'BIAS 0x84' version), written for the test."""
    sign = 0x80 if sample < 0 else 0
    magnitude = min(-sample if sample < 0 else sample, 32635) + 0x84
    exponent = magnitude.bit_length() - 8
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


def mulaw_wav(samples, rate: int = 8000) -> bytes:
    data = bytes(ulaw_encode(int(s)) for s in samples)
    fact = b"fact" + struct.pack("<II", 4, len(data))
    return riff(fmt_chunk(7, 1, rate, 1, cb=b""), data, extra_chunks=fact)


def decoded(source, rate: int) -> np.ndarray:
    return np.frombuffer(read_pcm16(source, sample_rate=rate), dtype="<i2").astype(np.float64)


def rms(x) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))


class ReadOnlyStream(io.RawIOBase):
    """A pipe-like stream: no seek, no tell, short reads."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        chunk = self._data.read(min(len(buffer), 777))
        buffer[: len(chunk)] = chunk
        return len(chunk)


# --- probe ------------------------------------------------------------------------------


@pytest.mark.parametrize(("rate", "channels"), [(8000, 1), (16000, 1), (44100, 2)])
def test_probe_reports_pcm_format_and_duration(tmp_path, rate, channels):
    path = tmp_path / "a.wav"
    write_pcm16(path, np.zeros(rate * 3 * channels, dtype=np.int16), rate, channels)

    info = probe(path)

    assert info == AudioInfo(rate, channels, 2, Encoding.PCM, 3.0)


def test_probe_reports_mulaw(tmp_path):
    path = tmp_path / "twilio.wav"
    path.write_bytes(mulaw_wav([0] * 12000))

    info = probe(path)

    assert (info.encoding, info.sample_rate, info.sample_width, info.channels) == (
        "mulaw",
        8000,
        1,
        1,
    )
    assert info.duration_s == pytest.approx(1.5)


def test_probe_on_file_object_restores_the_position(tmp_path):
    path = tmp_path / "a.wav"
    write_pcm16(path, np.zeros(8000, dtype=np.int16), 8000)
    with open(path, "rb") as f:
        assert probe(f).duration_s == pytest.approx(1.0)
        assert f.tell() == 0
        assert len(read_pcm16(f, sample_rate=8000)) == 16000


# --- decoding ---------------------------------------------------------------------------


def test_16k_mono_pcm_passes_through_unchanged(tmp_path):
    samples = np.random.default_rng(1).integers(-30000, 30000, 16000, dtype=np.int16)
    path = tmp_path / "a.wav"
    write_pcm16(path, samples, 16000)

    assert read_pcm16(path, sample_rate=16000) == samples.astype("<i2").tobytes()


def test_mulaw_decoding_matches_g711(tmp_path):
    # Reference points of the G.711 mu-law expansion (the values audioop.ulaw2lin gave).
    data = bytes([0xFF, 0x7F, 0x00, 0x80, 0xFE, 0x7E])
    path = tmp_path / "points.wav"
    path.write_bytes(riff(fmt_chunk(7, 1, 8000, 1, cb=b""), data))

    assert list(decoded(path, 8000)) == [0, 0, -32124, 32124, 8, -8]


def test_mulaw_round_trip_through_own_encoder(tmp_path):
    signal = tone(8000, 1.0, 440, amp=20000).astype(np.int64)
    path = tmp_path / "tone.wav"
    path.write_bytes(mulaw_wav(signal))

    out = decoded(path, 8000)

    assert len(out) == len(signal)
    # mu-law keeps about 1/16 relative precision: the error grows with the magnitude.
    assert np.all(np.abs(out - signal) <= (np.abs(signal) + 0x84) / 16)


def test_alaw_decoding_matches_g711(tmp_path):
    data = bytes([0xD5, 0x55, 0xAA, 0x2A])
    path = tmp_path / "alaw.wav"
    path.write_bytes(riff(fmt_chunk(6, 1, 8000, 1, cb=b""), data))

    assert probe(path).encoding == "alaw"
    assert list(decoded(path, 8000)) == [8, -8, 32256, -32256]


def test_8bit_pcm_is_unsigned(tmp_path):
    path = tmp_path / "u8.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(1)
        w.setframerate(8000)
        w.writeframes(bytes([0, 128, 255]))

    assert probe(path).sample_width == 1
    assert list(decoded(path, 8000)) == [-32768, 0, 32512]


@pytest.mark.parametrize(
    ("name", "fmt_body", "encode"),
    [
        (
            "pcm24",
            fmt_chunk(1, 1, 8000, 3),
            lambda x: b"".join(int(v * 256).to_bytes(3, "little", signed=True) for v in x),
        ),
        ("pcm32", fmt_chunk(1, 1, 8000, 4), lambda x: (x.astype("<i4") * 65536).tobytes()),
        ("float32", fmt_chunk(3, 1, 8000, 4), lambda x: (x / 32768).astype("<f4").tobytes()),
        ("float64", fmt_chunk(3, 1, 8000, 8), lambda x: (x / 32768).astype("<f8").tobytes()),
        (
            "extensible-pcm16",
            fmt_chunk(
                0xFFFE,
                1,
                8000,
                2,
                cb=struct.pack("<HI", 16, 4)
                + b"\x01\x00\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71",
            ),
            lambda x: x.astype("<i2").tobytes(),
        ),
    ],
)
def test_other_sample_formats(tmp_path, name, fmt_body, encode):
    signal = tone(8000, 0.25, 300)
    path = tmp_path / f"{name}.wav"
    path.write_bytes(riff(fmt_body, encode(signal.astype(np.float64))))

    out = decoded(path, 8000)

    assert np.max(np.abs(out - signal)) <= 1


def test_float_out_of_range_and_nan_are_clipped(tmp_path):
    values = np.array([0.5, 2.0, -3.0, np.nan, np.inf], dtype="<f4")
    path = tmp_path / "f.wav"
    path.write_bytes(riff(fmt_chunk(3, 1, 8000, 4), values.tobytes()))

    assert list(decoded(path, 8000)) == [16384, 32767, -32768, 0, 32767]


def test_stereo_is_mixed_down_to_mono(tmp_path):
    frames = np.empty((8000, 2), dtype=np.int16)
    frames[:, 0] = 1000
    frames[:, 1] = 3000
    path = tmp_path / "stereo.wav"
    write_pcm16(path, frames.ravel(), 8000, channels=2)

    out = decoded(path, 8000)

    assert len(out) == 8000
    assert np.all(out == 2000)


# --- resampling -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rate_in", "rate_out", "freq"),
    [(8000, 16000, 440), (16000, 8000, 1000), (44100, 16000, 1000), (22050, 16000, 3000)],
)
def test_resampling_keeps_length_and_tone(tmp_path, rate_in, rate_out, freq):
    seconds = 2.0
    path = tmp_path / "tone.wav"
    write_pcm16(path, tone(rate_in, seconds, freq), rate_in)

    out = decoded(path, rate_out)

    assert len(out) == math.ceil(round(rate_in * seconds) * rate_out / rate_in)
    ideal = tone(rate_out, len(out) / rate_out, freq).astype(np.float64)
    middle = slice(len(out) // 10, -len(out) // 10)  # away from the edges of the file
    assert rms(out[middle] - ideal[middle]) < 0.005 * rms(ideal[middle])


def test_downsampling_removes_frequencies_above_the_new_nyquist(tmp_path):
    path = tmp_path / "high.wav"
    write_pcm16(path, tone(44100, 1.0, 12000), 44100)

    out = decoded(path, 16000)

    assert rms(out[1000:-1000]) < 0.001 * 10000 / math.sqrt(2)  # more than 60 dB down


def test_resampling_adds_no_delay(tmp_path):
    # Word timestamps are computed on the resampled audio: a click must stay in place.
    samples = np.zeros(8000, dtype=np.int16)
    samples[1234] = 20000
    path = tmp_path / "click.wav"
    write_pcm16(path, samples, 8000)

    assert int(np.argmax(decoded(path, 16000))) == 2468
    assert abs(int(np.argmax(decoded(path, 44100))) - 1234 * 44100 / 8000) < 1


@pytest.mark.parametrize("rate_out", [16000, 11025])
def test_output_does_not_depend_on_chunk_size(tmp_path, rate_out):
    noise = np.random.default_rng(7).normal(0, 4000, 44100 * 3).astype(np.int16)
    path = tmp_path / "noise.wav"
    write_pcm16(path, noise, 44100)

    outputs = {
        seconds: b"".join(pcm16_chunks(path, sample_rate=rate_out, chunk_seconds=seconds))
        for seconds in (0.05, 0.5, 1.7, 10.0)
    }

    assert len(set(outputs.values())) == 1


# --- chunking and sources ---------------------------------------------------------------


def test_chunks_have_the_requested_length(tmp_path):
    path = tmp_path / "a.wav"
    write_pcm16(path, tone(8000, 2.1, 440), 8000)

    chunks = list(pcm16_chunks(path, sample_rate=16000, chunk_seconds=0.25))

    assert [len(c) for c in chunks] == [8000] * 8 + [3200]


def test_file_objects_and_pipes_read_like_paths(tmp_path):
    path = tmp_path / "a.wav"
    path.write_bytes(mulaw_wav(tone(8000, 1.3, 440)))
    expected = read_pcm16(path, sample_rate=16000)

    assert read_pcm16(io.BytesIO(path.read_bytes()), sample_rate=16000) == expected
    assert read_pcm16(ReadOnlyStream(path.read_bytes()), sample_rate=16000) == expected
    assert probe(ReadOnlyStream(path.read_bytes())).duration_s == pytest.approx(1.3)


def test_long_input_streams_in_flat_memory(tmp_path):
    # 20 minutes at 8 kHz: about 19 MB in, 38 MB out, never held at once.
    path = tmp_path / "long.wav"
    block = tone(8000, 60.0, 440).tobytes()
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        for _ in range(20):
            w.writeframes(block)

    tracemalloc.start()
    try:
        total = sum(len(c) for c in pcm16_chunks(path, sample_rate=16000))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert total == 2 * 16000 * 1200
    assert peak < 4_000_000


def test_chunked_reading_tolerates_odd_chunks_before_data(tmp_path):
    data = tone(8000, 0.1, 440).tobytes()
    junk = b"LIST" + struct.pack("<I", 3) + b"abc" + b"\x00"  # odd size, pad byte
    path = tmp_path / "list.wav"
    path.write_bytes(riff(fmt_chunk(1, 1, 8000, 2), data, extra_chunks=junk))

    assert read_pcm16(path, sample_rate=8000) == data


def test_unknown_data_size_reads_to_the_end(tmp_path):
    data = tone(8000, 0.5, 440).tobytes()
    path = tmp_path / "streamed.wav"
    path.write_bytes(riff(fmt_chunk(1, 1, 8000, 2), data, data_size=0xFFFFFFFF))

    assert probe(path).duration_s == pytest.approx(0.5)
    assert read_pcm16(path, sample_rate=8000) == data


def test_truncated_data_yields_what_is_there(tmp_path):
    data = tone(8000, 1.0, 440).tobytes()
    path = tmp_path / "cut.wav"
    path.write_bytes(riff(fmt_chunk(1, 1, 8000, 2), data[:8001], data_size=len(data)))

    assert probe(path).duration_s == pytest.approx(0.5)
    assert read_pcm16(path, sample_rate=8000) == data[:8000]


# --- bad input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"ID3\x04\x00" + bytes(100), "MP3"),
        (b"fLaC" + bytes(100), "FLAC"),
        (b"hello, this is not audio at all", "no RIFF/WAVE header"),
        (b"RIFF\x24\x00\x00\x00AVI LIST", "not WAVE"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00", "truncated fmt"),
        (b"RIFF\x04\x00\x00\x00WAVE", "no fmt chunk"),
        (
            b"RIFF\x24\x00\x00\x00WAVE"
            + b"fmt "
            + struct.pack("<I", 16)
            + fmt_chunk(1, 1, 8000, 2),
            "no data chunk",
        ),
        (riff(fmt_chunk(0x11, 1, 8000, 1, cb=b"\x00\x00"), b"\x00" * 8), "IMA ADPCM"),
        (riff(fmt_chunk(1, 0, 8000, 2), b"\x00" * 8), "0 channels"),
        (riff(fmt_chunk(1, 1, 0, 2), b"\x00" * 8), "sample rate"),
        (riff(fmt_chunk(1, 1, 8000, 5), b"\x00" * 10), "5-byte samples"),
    ],
)
def test_bad_input_raises_audio_error(tmp_path, content, message):
    path = tmp_path / "bad.wav"
    path.write_bytes(content)

    with pytest.raises(AudioError, match=message):
        probe(path)
    with pytest.raises(AudioError, match=message):
        read_pcm16(path)


def test_data_before_fmt_is_corrupt(tmp_path):
    body = b"data" + struct.pack("<I", 2) + b"\x00\x00"
    path = tmp_path / "bad.wav"
    path.write_bytes(b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WAVE" + body)

    with pytest.raises(AudioError, match="before fmt"):
        read_pcm16(path)


def test_bad_arguments():
    with pytest.raises(ValueError, match="chunk_seconds"):
        list(pcm16_chunks(io.BytesIO(), chunk_seconds=0))
    with pytest.raises(TypeError):
        list(pcm16_chunks(12345))  # type: ignore[arg-type]
