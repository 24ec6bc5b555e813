"""Russian text a caller hears or reads has no Latin letter hidden inside a Russian word.

"Cкажите" with a Latin C looks right on screen, and TTS mispronounces it.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MIXED = re.compile(r"\b(?=\w*[а-яёА-ЯЁ])(?=\w*[a-zA-Z])\w+\b")
SOURCES = sorted(
    p for pattern in ("*/*.py", "*/templates/**/*.html")
    for p in ROOT.glob(pattern)
    if ".venv" not in p.parts and "tests" not in p.parts
)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_mixed_script_words(path):
    text = path.read_text(encoding="utf-8")
    assert MIXED.findall(text) == []


def test_the_check_catches_a_latin_letter():
    assert MIXED.findall("Cкажите, пожалуйста") == ["Cкажите"]
    assert MIXED.findall("Скажите, пожалуйста: OK") == []
