"""Speed and memory of the Whisper engine (whisper-base, int8, CPU) at 8 kHz. Run by hand:

    .venv/bin/python benchmarks/whisper_rtf.py [WAV ...] [--model DIR] [--repeat N]
        [--threads N] [--long-seconds S] [--workers 1,2]

Default input: ../shared/audio/ru-speech/8k/*.wav (HELPLINE_SHARED_DIR overrides ../shared).
Model: --model, else the whisper-base PyPI pair assembled in the cache.

1. Per file, the real-time factor (processing seconds per audio second) of
   transcription.asr.transcribe (read the WAV, resample 8 -> 16 kHz, decode, build the
   Transcript) against the bare faster-whisper loop (model.transcribe on the same 16 kHz
   PCM, iterating segments and words), best of --repeat; their ratio is the engine's
   overhead (target <= 1.1x).
2. Peak RSS of one worker process transcribing a long message (--long-seconds of the
   voicemails end to end), and the RSS of the loaded model alone.
3. Throughput with 1 and 2 worker processes (--threads each) over the files, and from it
   the time an overnight batch of 1,000 one-minute messages takes on this machine.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import subprocess
import sys
import tempfile
import time
import wave
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from transcription import asr, bundled, whisper  # noqa: E402
from transcription.audio import read_pcm16  # noqa: E402

SHARED = Path(os.environ.get("HELPLINE_SHARED_DIR", ROOT.parent / "shared"))


def default_files() -> list[Path]:
    return sorted((SHARED / "audio" / "ru-speech" / "8k").glob("*.wav"))


def wav_seconds(path: Path) -> float:
    with wave.open(str(path)) as w:
        return w.getnframes() / w.getframerate()


def settings_for(model: str, threads: int) -> asr.AsrSettings:
    base = asr.settings_from_config({"ASR_ENGINE": "whisper", "ASR_MODEL": model})
    return replace(base, whisper=replace(base.whisper, cpu_threads=threads))


def bare(model, waveform, options: whisper.WhisperOptions) -> int:
    """What a faster-whisper tutorial does: transcribe, iterate segments and their words."""
    import ctranslate2

    ctranslate2.set_random_seed(whisper.SEED)
    segments, _ = model.transcribe(waveform, **options.decode_kwargs())
    return sum(len(s.words or ()) for s in segments)


def best_of(repeat: int, fn) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return min(times)


def long_wav(seconds: float) -> Path:
    """The synthetic voicemails end to end, up to `seconds`, as one 8 kHz WAV."""
    frames = bytearray()
    for path in sorted((SHARED / "audio" / "voicemails").glob("dev-*.wav")):
        frames += read_pcm16(path, sample_rate=8000)
        if len(frames) >= seconds * 16000:
            break
    out = Path(tempfile.mkstemp(suffix=".wav")[1])
    with wave.open(str(out), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(bytes(frames[: int(seconds * 16000)]))
    return out


def _rss_child(model: str, threads: int, wav: str) -> None:
    settings = settings_for(model, threads)
    whisper.load_model(model, compute_type="int8", cpu_threads=threads)
    loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    asr.transcribe(wav, settings)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{loaded:.0f} {peak:.0f}")


def _worker(args: tuple[str, int, list[str]]) -> float:
    model, threads, files = args
    settings = settings_for(model, threads)
    began = time.perf_counter()
    for f in files:
        asr.transcribe(f, settings)
    return time.perf_counter() - began


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--model")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--long-seconds", type=float, default=180)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _rss_child(args.child[0], int(args.child[1]), args.child[2])
        return 0
    model = args.model or str(bundled.ensure_whisper_base())
    files = args.files or default_files()
    if not files:
        print("no input files", file=sys.stderr)
        return 2
    settings = settings_for(model, args.threads)
    loaded = whisper.load_model(model, compute_type="int8", cpu_threads=args.threads)
    print(f"model {model} int8, {args.threads} thread(s), best of {args.repeat}\n")
    print(f"{'file':<28} {'audio s':>8} {'engine RTF':>11} {'bare RTF':>9} {'ratio':>6}")
    total_audio = total_engine = total_bare = 0.0
    for path in files:
        seconds = wav_seconds(path)
        waveform = whisper.pcm_to_float(read_pcm16(path, sample_rate=whisper.SAMPLE_RATE))
        engine_s = best_of(args.repeat, lambda p=path: asr.transcribe(p, settings))
        bare_s = best_of(args.repeat, lambda w=waveform: bare(loaded, w, settings.whisper))
        total_audio += seconds
        total_engine += engine_s
        total_bare += bare_s
        print(f"{path.name:<28} {seconds:8.1f} {engine_s / seconds:11.3f} "
              f"{bare_s / seconds:9.3f} {engine_s / bare_s:6.2f}")
    print(f"{'all':<28} {total_audio:8.1f} {total_engine / total_audio:11.3f} "
          f"{total_bare / total_audio:9.3f} {total_engine / total_bare:6.2f}  (target <= 1.10)")

    wav = long_wav(args.long_seconds)
    try:
        out = subprocess.run(
            [sys.executable, __file__, "--child", model, str(args.threads), str(wav)],
            check=True, capture_output=True, text=True).stdout.split()
    finally:
        wav.unlink()
    print(f"\npeak RSS, one worker, {args.long_seconds:.0f} s message: {out[1]} MB "
          f"(model loaded: {out[0]} MB)")

    print("\nthroughput (each worker its own process and model):")
    paths = [str(p) for p in files]
    best = 0.0
    for n in (int(x) for x in args.workers.split(",")):
        shares = [paths[i::n] for i in range(n)]
        began = time.perf_counter()
        with mp.get_context("spawn").Pool(n) as pool:
            pool.map(_worker, [(model, args.threads, share) for share in shares])
        wall = time.perf_counter() - began  # includes each worker loading the model
        speed = total_audio / wall
        best = max(best, speed)
        print(f"  {n} worker(s) x {args.threads} thread(s): {total_audio:.0f} s of audio in "
              f"{wall:.1f} s = {speed:.2f} audio s per s")
    batch = 1000 * 60
    print(f"\n1,000 one-minute messages at the best rate: {batch / best / 3600:.1f} h")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
