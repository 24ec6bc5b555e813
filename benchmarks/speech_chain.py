"""The whole chain from audio, measured: WAV -> engine -> transcript -> number/class/topic.

Run by hand from the repository root (or in CI, see .ci/run):

    .venv/bin/python benchmarks/speech_chain.py MANIFEST [--engine whisper] [--model DIR]
        [--beam N] [--no-prompt] [--prompt TEXT] [--no-vad] [--no-fallback]
        [--cache DIR] [--limit N] [--misses]

MANIFEST is a TSV with a header: at least ``file`` and ``transcript`` (the reference text),
and for the extraction scores ``phone class topic abusive`` (the format of
``../shared/audio/voicemails/manifest.tsv``; ``../shared/audio/ru-speech/manifest.tsv``
has only the text, so only WER is printed). Files are relative to the manifest, or to
``--audio-dir`` (``--audio-dir ../shared/audio/ru-speech/8k`` for the telephony copies).

Defaults are the application's: HELPLINE_ASR_* settings, else whisper with the model of
``helpline models path whisper-base`` (the PyPI pair assembled in the cache).

Decoding is the expensive part (minutes for the 60 voicemails on 2 cores), so each file's
transcript is cached on disk per decoding configuration (``--cache``, default
$HELPLINE_ASR_CACHE or ~/.cache/helpline/transcripts): extraction changes are then measured
without decoding again. ``--no-cache`` decodes everything. RTF is printed for the files
decoded in this run only.

Prints WER (lower case, ё -> е, no punctuation), callback number exact (rows that speak
one), numbers wrong (a number given, not the spoken one) and invented (rows that speak
none), class, topic, abusive, and RTF.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import re
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from transcription import asr, audio  # noqa: E402
from transcription.engine import Transcript  # noqa: E402


def load_manifest(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def normalise(text: str) -> list[str]:
    text = text.lower().replace("ё", "е")
    return re.findall(r"[^\W_]+", text)


def edit_distance(a: list[str], b: list[str]) -> int:
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def spelled_reference(reference: str) -> list[str]:
    return normalise(reference)


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def cache_key(settings: asr.AsrSettings, path: Path) -> str:
    model = Path(settings.model)
    stamp = (model / "model.bin").stat().st_size if (model / "model.bin").is_file() else ""
    config = json.dumps(
        {"engine": settings.engine, "model": model.name, "stamp": stamp,
         "frontend": audio.FRONTEND,
         "whisper": repr(settings.whisper) if settings.engine == "whisper" else ""},
        sort_keys=True,
    )
    return hashlib.sha256(f"{config}|{_file_digest(path)}".encode()).hexdigest()[:24]


def transcribe_cached(
    path: Path, settings: asr.AsrSettings, cache: Path | None
) -> tuple[Transcript, float | None]:
    """The transcript and the seconds decoding took (None when it came from the cache)."""
    if cache is not None:
        entry = cache / f"{cache_key(settings, path)}.json"
        if entry.is_file():
            return Transcript.from_dict(json.loads(entry.read_text(encoding="utf-8"))), None
    began = time.perf_counter()
    transcript = asr.transcribe(path, settings)
    elapsed = time.perf_counter() - began
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
        tmp = entry.with_suffix(".tmp")
        tmp.write_text(json.dumps(transcript.to_dict(), ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, entry)
    return transcript, elapsed


def default_settings() -> asr.AsrSettings:
    config = {k.removeprefix("HELPLINE_"): v for k, v in os.environ.items()
              if k.startswith("HELPLINE_ASR_") or k == "HELPLINE_VOSK_MODEL"}
    config.setdefault("ASR_ENGINE", "whisper")
    settings = asr.settings_from_config(config)
    if not settings.model and settings.engine == "whisper":
        from transcription import bundled

        settings = asr.with_model(settings, bundled.ensure_whisper_base())
    return settings


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("manifest", type=Path)
    parser.add_argument("--engine", choices=asr.ENGINES)
    parser.add_argument("--model")
    parser.add_argument("--beam", type=int)
    parser.add_argument("--prompt", help="initial prompt text (whisper)")
    parser.add_argument("--no-prompt", action="store_true")
    parser.add_argument("--no-vad", action="store_true")
    parser.add_argument("--no-fallback", action="store_true", help="temperature 0 only")
    parser.add_argument("--no-confidence", action="store_true",
                        help="extract from the text alone, ignoring word confidences")
    parser.add_argument("--phone-min-conf", type=float, default=None,
                        help="word confidence under which no number is suggested "
                             "(default: transcription.extract.PHONE_MIN_CONFIDENCE)")
    parser.add_argument("--cache", type=Path,
                        default=Path(os.environ.get("HELPLINE_ASR_CACHE")
                                     or Path.home() / ".cache" / "helpline" / "transcripts"))
    parser.add_argument("--no-cache", action="store_true")
    parser.add_argument("--audio-dir", type=Path,
                        help="read the manifest's files from here (e.g. ru-speech/8k)")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--misses", action="store_true", help="list every miss")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON line")
    return parser.parse_args(argv)


def configure(args: argparse.Namespace) -> asr.AsrSettings:
    settings = default_settings()
    if args.engine:
        settings = replace(settings, engine=args.engine)
    if args.model:
        settings = asr.with_model(settings, args.model)
    w = settings.whisper
    if args.beam:
        w = replace(w, beam_size=args.beam)
    if args.prompt is not None:
        w = replace(w, initial_prompt=args.prompt or None)
    if args.no_prompt:
        w = replace(w, initial_prompt=None)
    if args.no_vad:
        w = replace(w, vad_filter=False)
    if args.no_fallback:
        w = replace(w, temperature=(0.0,))
    return replace(settings, whisper=w)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    from core.catalogue import OTHER, TOPIC_KEYWORDS
    from transcription.extract import extract

    rows = load_manifest(args.manifest)[: args.limit]
    settings = configure(args)
    cache = None if args.no_cache else args.cache
    print(f"{args.manifest} ({len(rows)} files): {settings.describe()}", file=sys.stderr)
    labelled = "phone" in (rows[0] if rows else {})

    errors = ref_words = 0
    decoded_audio = decoded_seconds = 0.0
    counts = {k: [0, 0] for k in ("phone", "phone_wrong", "invented", "class", "topic",
                                  "abusive")}
    misses: list[str] = []
    for n, row in enumerate(rows, 1):
        path = (args.audio_dir or args.manifest.parent) / row["file"]
        transcript, elapsed = transcribe_cached(path, settings, cache)
        if elapsed is not None:
            decoded_audio += transcript.duration
            decoded_seconds += elapsed
        print(f"\r{n}/{len(rows)}", end="", file=sys.stderr, flush=True)
        ref = spelled_reference(row["transcript"])
        errors += edit_distance(ref, normalise(transcript.text))
        ref_words += len(ref)
        if not labelled:
            continue
        words = None if args.no_confidence else [
            {"word": w.word, "start": w.start, "end": w.end, "conf": w.conf}
            for w in transcript.words]
        facts = extract(transcript.text, TOPIC_KEYWORDS, words=words, default_topic=OTHER,
                        phone_threshold=args.phone_min_conf)
        got = facts.as_dict()
        rid = row.get("id") or row["file"]
        want_phone = row["phone"] or None
        if want_phone:
            ok = got["phone"] == want_phone
            counts["phone"][0] += ok
            counts["phone"][1] += 1
            wrong = got["phone"] is not None and not ok
            counts["phone_wrong"][0] += wrong
            counts["phone_wrong"][1] += 1
            if not ok:
                misses.append(f"{rid} phone: want {want_phone} got {got['phone']}"
                              f"{'  WRONG' if wrong else ''}  | {transcript.text}")
        else:
            invented = got["phone"] is not None
            counts["invented"][0] += invented
            counts["invented"][1] += 1
            if invented:
                misses.append(f"{rid} phone: invented {got['phone']} | {transcript.text}")
        want_class = row["class"] or None
        counts["class"][0] += got["class"] == want_class
        counts["class"][1] += 1
        if got["class"] != want_class:
            misses.append(f"{rid} class: want {want_class} got {got['class']} | "
                          f"{transcript.text}")
        counts["topic"][0] += got["topic"] == row["topic"]
        counts["topic"][1] += 1
        if got["topic"] != row["topic"]:
            misses.append(f"{rid} topic: want {row['topic']} got {got['topic']}")
        counts["abusive"][0] += got["abusive"] == (row["abusive"] == "yes")
        counts["abusive"][1] += 1
    print(file=sys.stderr)

    figures: dict[str, object] = {"files": len(rows), "config": settings.describe(),
                                  "wer": round(errors / ref_words, 4) if ref_words else None}
    print(f"WER                                  {errors}/{ref_words} "
          f"{errors / max(ref_words, 1):7.1%}")
    if labelled:
        labels = {
            "phone": "callback number exact (spoken)",
            "phone_wrong": "number wrong (spoken, other given)",
            "invented": "number invented (none spoken)",
            "class": "class",
            "topic": "topic",
            "abusive": "abusive",
        }
        for key, (right, total) in counts.items():
            figures[key] = round(right / total, 4) if total else None
            print(f"{labels[key]:<36} {right:>3}/{total:<3} {right / max(total, 1):7.1%}")
        all_rows = counts["phone"][1] + counts["invented"][1]
        given_wrong = counts["phone_wrong"][0] + counts["invented"][0]
        figures["wrong_or_invented"] = round(given_wrong / all_rows, 4) if all_rows else None
        print(f"{'wrong or invented (all files)':<36} {given_wrong:>3}/{all_rows:<3} "
              f"{given_wrong / max(all_rows, 1):7.1%}")
    if decoded_audio:
        figures["rtf"] = round(decoded_seconds / decoded_audio, 4)
        print(f"RTF (decoded now)                    {decoded_seconds:.1f} s / "
              f"{decoded_audio:.1f} s audio = {decoded_seconds / decoded_audio:.3f}")
    else:
        print("RTF: every transcript came from the cache (--no-cache to time decoding)")
    if args.misses:
        print("\n".join(["", *misses]))
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
