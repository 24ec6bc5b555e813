"""Per-field accuracy of transcript understanding on the labelled development set.

Run by hand from the repository root:

    .venv/bin/python benchmarks/extraction_accuracy.py [path/to/dev.tsv]

The default path is ../shared/voicemail-transcripts/dev.tsv next to the repository, or
$HELPLINE_SHARED_DIR/voicemail-transcripts/dev.tsv. Prints the accuracy of each field, the
mistakes, and the time extract() takes on a long transcript once the analyzer is warm.
"""

from __future__ import annotations

import csv
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.catalogue import OTHER, TOPIC_KEYWORDS  # noqa: E402
from transcription import extract as extract_module  # noqa: E402
from transcription.extract import extract  # noqa: E402
from transcription.understand import understand  # noqa: E402


def default_path() -> Path:
    shared = os.environ.get("HELPLINE_SHARED_DIR")
    base = Path(shared) if shared else ROOT.parent / "shared"
    return base / "voicemail-transcripts" / "dev.tsv"


def load(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


@dataclass
class Score:
    """Right answers out of the rows a field is measured on, with the misses."""

    name: str
    right: int = 0
    total: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, ok: bool, miss: str) -> None:
        self.total += 1
        self.right += ok
        if not ok:
            self.misses.append(miss)

    @property
    def rate(self) -> float:
        return self.right / self.total if self.total else 1.0


def evaluate(rows: list[dict[str, str]]) -> dict[str, Score]:
    """Score each field of understand()'s output against the labels."""
    scores = {
        name: Score(name) for name in ("phone", "phone_invented", "class", "topic", "abusive")
    }
    results = understand((row["transcript"] for row in rows), TOPIC_KEYWORDS)
    for row, got in zip(rows, results, strict=True):
        rid = row["id"]
        expected_phone = row["phone"] or None
        if expected_phone:
            scores["phone"].add(
                got["phone"] == expected_phone, f"{rid}: want {expected_phone} got {got['phone']}"
            )
        else:
            scores["phone_invented"].add(got["phone"] is None, f"{rid}: invented {got['phone']}")
        want_class = row["class"] or None
        scores["class"].add(
            got["class"] == want_class, f"{rid}: want {want_class} got {got['class']}"
        )
        scores["topic"].add(
            got["topic"] == row["topic"], f"{rid}: want {row['topic']} got {got['topic']}"
        )
        want_abusive = row["abusive"] == "yes"
        scores["abusive"].add(
            got["abusive"] == want_abusive, f"{rid}: want {want_abusive} got {got['abusive']}"
        )
    return scores


def timing(rows: list[dict[str, str]], words: int = 60) -> tuple[int, float, float]:
    """Mean ms of extract() on a transcript of ``words`` words, once the analyzer is warm.

    Returns the word count, the time with every word new to the per-word caches (caches
    cleared before each round) and the time with the words already seen.
    """
    texts = sorted((row["transcript"] for row in rows), key=lambda t: -len(t.split()))
    text = " ".join(" ".join(texts).split()[:words])
    extract(text, TOPIC_KEYWORDS, default_topic=OTHER)  # start the analyzer
    word_caches = [
        getattr(extract_module, name)
        for name in ("_parses", "_lemmas", "_top_parse", "_is_locative_phrase_word", "_is_noun")
    ]
    rounds, cold = 50, 0.0
    for _ in range(rounds):
        for cached in word_caches:
            cached.cache_clear()
        began = time.perf_counter()
        extract(text, TOPIC_KEYWORDS, default_topic=OTHER)
        cold += time.perf_counter() - began
    began = time.perf_counter()
    for _ in range(rounds):
        extract(text, TOPIC_KEYWORDS, default_topic=OTHER)
    warm = time.perf_counter() - began
    return len(text.split()), cold / rounds * 1000, warm / rounds * 1000


def main(argv: list[str]) -> int:
    path = Path(argv[1]) if len(argv) > 1 else default_path()
    if not path.is_file():
        print(f"no data set at {path}", file=sys.stderr)
        return 2
    rows = load(path)
    began = time.perf_counter()
    scores = evaluate(rows)
    cold = time.perf_counter() - began
    print(f"{path} ({len(rows)} rows, first pass {cold:.2f} s incl. analyzer start-up)\n")
    labels = {
        "phone": "phone exact match (rows that speak one)",
        "phone_invented": "phone invented (rows that speak none)",
        "class": "class",
        "topic": "topic",
        "abusive": "abusive",
    }
    for name, score in scores.items():
        if name == "phone_invented":
            wrong = score.total - score.right
            rate = wrong / score.total if score.total else 0.0
            print(f"{labels[name]:<42} {wrong:>3}/{score.total:<3} {rate:7.1%}")
        else:
            print(f"{labels[name]:<42} {score.right:>3}/{score.total:<3} {score.rate:7.1%}")
    words, cold_ms, warm_ms = timing(rows)
    print(
        f"\nextract() on a {words}-word transcript, analyzer warm: {cold_ms:.2f} ms with new "
        f"words, {warm_ms:.2f} ms with words seen before"
    )
    for name, score in scores.items():
        if score.misses:
            print(f"\nmistakes, {labels[name]}:")
            for miss in score.misses:
                print(f"  {miss}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
