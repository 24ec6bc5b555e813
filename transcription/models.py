"""Download and check Vosk models: the back end of `helpline models download NAME`.

The official list (https://alphacephei.com/vosk/models/model-list.json) is a JSON array
of entries such as::

    {"lang": "ru", "lang_text": "Russian", "md5": "d1759dc8...", "name":
     "vosk-model-small-ru-0.22", "obsolete": "false", "size": 46236750,
     "size_text": "44.1MiB", "type": "small", "url":
     "https://alphacephei.com/vosk/models/vosk-model-small-ru-0.22.zip", "version": "0.22"}

The zip holds one top-level folder named like the model. It is streamed to a temporary
file next to the destination, checked against the listed size and MD5 (and SHA-256 when
an entry carries one), unpacked into a temporary folder with every member path checked,
and only then renamed into place, so an interrupted download never leaves a half model.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import stat
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

from transcription.engine import (
    ModelUnavailable,
    load_model,
    model_name,
    model_sample_rate,
)

__all__ = [
    "DEFAULT_LIST_URL",
    "KNOWN",
    "WHISPER_KNOWN",
    "ModelDownloadError",
    "check_model",
    "download_model",
    "download_whisper",
    "fetch_model_list",
    "is_model_dir",
    "resolve_name",
]

# Short names for the models the help line is meant to run with.
KNOWN = {
    "small-ru": "vosk-model-small-ru-0.22",  # 45 MB, wideband; fine for a small school
    "ru": "vosk-model-ru-0.42",  # 1.8 GB, server model, much better on telephone audio
}
DEFAULT_LIST_URL = "https://alphacephei.com/vosk/models/model-list.json"

Progress = Callable[[int, int], None]  # (bytes so far, total bytes or 0 when unknown)

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_BLOCK = 1 << 16
_USER_AGENT = "helpline-models/1 (+https://alphacephei.com/vosk/models)"
_MAX_UNPACKED = 16 << 30  # no Vosk model is near 16 GiB; a bigger archive is a zip bomb


class ModelDownloadError(Exception):
    """A model could not be fetched, verified or unpacked."""


def resolve_name(name: str) -> str:
    """Map a short name from KNOWN to the full model name; leave full names as they are."""
    full = KNOWN.get(name, name)
    if not _NAME.match(full):
        raise ModelDownloadError(f"invalid model name {name!r}")
    return full


def is_model_dir(path: str | os.PathLike[str]) -> bool:
    """Tell whether path looks like an unpacked Vosk model (without loading it)."""
    try:
        return model_sample_rate(path) > 0
    except ModelUnavailable:
        return False


def _check_url(url: str) -> str:
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise ModelDownloadError(f"refusing to download from {url!r}: not an http(s) URL")
    return url


def _open_url(url: str, timeout: float) -> Any:
    request = urllib.request.Request(_check_url(url), headers={"User-Agent": _USER_AGENT})
    try:
        return urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        raise ModelDownloadError(f"HTTP {exc.code} {exc.reason} for {url}") from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ModelDownloadError(f"cannot reach {url}: {reason}") from exc


def fetch_model_list(list_url: str = DEFAULT_LIST_URL, *, timeout: float = 30) -> list[dict]:
    """Download the model list and return its entries (dicts with at least name and url)."""
    with _open_url(list_url, timeout) as response:
        try:
            data = json.load(response)
        except (ValueError, OSError) as exc:
            raise ModelDownloadError(f"the model list at {list_url} is not valid JSON") from exc
    if not isinstance(data, list):
        raise ModelDownloadError(f"the model list at {list_url} is not a JSON array")
    return [e for e in data if isinstance(e, dict) and "name" in e and "url" in e]


def _find_entry(entries: list[dict], name: str, list_url: str) -> dict:
    for entry in entries:
        if entry["name"] == name:
            return entry
    russian = sorted(e["name"] for e in entries if e.get("lang") == "ru")
    hint = f"; Russian models listed: {', '.join(russian)}" if russian else ""
    raise ModelDownloadError(f"model {name!r} is not in the model list at {list_url}{hint}")


def _expected_size(entry: dict) -> int | None:
    try:
        size = int(entry.get("size") or 0)
    except (TypeError, ValueError):
        return None
    return size or None


def _download(
    url: str, dest: Path, expected: int | None, progress: Progress | None, timeout: float
) -> dict[str, str]:
    """Stream url into dest; return the hex digests of what was written."""
    md5 = hashlib.md5(usedforsecurity=False)
    sha256 = hashlib.sha256()
    done = 0
    with _open_url(url, timeout) as response, open(dest, "wb") as out:
        length = response.headers.get("Content-Length")
        total = expected or (int(length) if length and length.isdigit() else 0)
        if progress:
            progress(0, total)
        while True:
            try:
                block = response.read(_BLOCK)
            except OSError as exc:  # timeouts and resets mid-stream
                raise ModelDownloadError(f"download of {url} failed: {exc}") from exc
            if not block:
                break
            done += len(block)
            if expected and done > expected:
                raise ModelDownloadError(
                    f"size mismatch for {url}: more than the {expected} bytes listed"
                )
            out.write(block)
            md5.update(block)
            sha256.update(block)
            if progress:
                progress(done, total)
    if expected and done != expected:
        raise ModelDownloadError(
            f"size mismatch for {url}: got {done} bytes, the model list says {expected}"
        )
    return {"md5": md5.hexdigest(), "sha256": sha256.hexdigest()}


def _verify(entry: dict, digests: dict[str, str], url: str) -> None:
    checked = False
    for algorithm in ("sha256", "md5"):
        expected = str(entry.get(algorithm) or "").strip().lower()
        if expected:
            checked = True
            if expected != digests[algorithm]:
                raise ModelDownloadError(
                    f"checksum mismatch for {url}: {algorithm} is {digests[algorithm]}, "
                    f"the model list says {expected}"
                )
    if not checked:
        raise ModelDownloadError(f"the model list gives no checksum for {url}; not installing it")


def _safe_members(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """Return the archive's members, refusing any that would land outside the target."""
    members = archive.infolist()
    unpacked = 0
    for info in members:
        name = info.filename
        path = PurePosixPath(name.replace("\\", "/"))
        if (
            not name
            or path.is_absolute()
            or ".." in path.parts
            or re.match(r"^[A-Za-z]:", name)
            or "\x00" in name
        ):
            raise ModelDownloadError(f"unsafe path in model archive: {name!r}")
        # Unix zips keep st_mode in the high 16 bits; the file type is 0 when not recorded.
        file_type = stat.S_IFMT(info.external_attr >> 16)
        if file_type not in (0, stat.S_IFREG, stat.S_IFDIR):
            raise ModelDownloadError(f"model archive holds a link or special file: {name!r}")
        unpacked += info.file_size
    if unpacked > _MAX_UNPACKED:
        raise ModelDownloadError(f"model archive unpacks to {unpacked} bytes; refusing")
    return members


def _unpack(zip_path: Path, staging: Path, url: str) -> Path:
    """Unpack into staging and return the folder that holds the model files."""
    try:
        with zipfile.ZipFile(zip_path) as archive:
            archive.extractall(staging, members=_safe_members(archive))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
        raise ModelDownloadError(f"{url} is not a valid zip archive: {exc}") from exc
    entries = [p for p in staging.iterdir() if not p.name.startswith("__MACOSX")]
    root = entries[0] if len(entries) == 1 and entries[0].is_dir() else staging
    if not is_model_dir(root):
        raise ModelDownloadError(f"{url} does not contain a Vosk model (no am/final.mdl)")
    return root


def download_model(
    name: str,
    dest_dir: str | os.PathLike[str],
    *,
    list_url: str = DEFAULT_LIST_URL,
    progress: Progress | None = None,
    timeout: float = 30,
) -> Path:
    """Install the named model (full name or a KNOWN short name) as dest_dir/<name>.

    Returns the model directory. Does nothing, and needs no network, when a model is
    already there. Raises ModelDownloadError on HTTP errors, a size or checksum mismatch,
    an archive that is unsafe or holds no model.
    """
    full_name = resolve_name(name)
    dest = Path(dest_dir).expanduser().resolve()
    target = dest / full_name
    if is_model_dir(target):
        return target
    dest.mkdir(parents=True, exist_ok=True)

    entry = _find_entry(fetch_model_list(list_url, timeout=timeout), full_name, list_url)
    url = urllib.parse.urljoin(list_url, str(entry["url"]))
    work = Path(tempfile.mkdtemp(prefix=f".{full_name}-", suffix=".part", dir=dest))
    try:
        zip_path = work / f"{full_name}.zip"
        digests = _download(url, zip_path, _expected_size(entry), progress, timeout)
        _verify(entry, digests, url)
        staging = work / "unpacked"
        staging.mkdir()
        root = _unpack(zip_path, staging, url)
        zip_path.unlink()
        if target.exists() or target.is_symlink():
            # Something that is not a working model: a leftover from an older tool.
            os.replace(target, work / "previous")
        try:
            os.replace(root, target)
        except OSError:
            if is_model_dir(target):  # another process installed it meanwhile
                return target
            raise
        return target
    except OSError as exc:
        raise ModelDownloadError(f"cannot install {full_name} into {dest}: {exc}") from exc
    finally:
        with contextlib.suppress(OSError):
            shutil.rmtree(work)


def check_model(path: str | os.PathLike[str]) -> str:
    """Load the model at path, run a short silence through it and describe it in a line.

    Raises ModelUnavailable when the model is missing or does not load.
    """
    import vosk

    model = load_model(path)
    rate = model_sample_rate(path)
    recognizer = vosk.KaldiRecognizer(model, rate)
    recognizer.AcceptWaveform(bytes(rate // 5 * 2))  # 0.2 s of silence
    json.loads(recognizer.FinalResult())

    directory = Path(path).expanduser().resolve()
    size = sum(f.stat().st_size for f in directory.rglob("*") if f.is_file())
    graph = directory / "graph"
    if (graph / "HCLG.fst").is_file():
        kind = "static graph"
    elif (graph / "HCLr.fst").is_file():
        kind = "dynamic graph"
    else:
        kind = "unknown graph"
    rescoring = ", rescoring" if (directory / "rescore").is_dir() else ""
    return (
        f"{model_name(directory)}: Vosk model OK at {directory} "
        f"({rate} Hz, {kind}{rescoring}, {size / 1e6:.0f} MB on disk)"
    )


# --- faster-whisper ---------------------------------------------------------------------

# The official CTranslate2 conversions faster-whisper itself uses, on the Hugging Face hub.
WHISPER_KNOWN = {
    "whisper-base": "Systran/faster-whisper-base",  # 145 MB; RTF ~0.1-0.3 at int8 on a core
    "whisper-small": "Systran/faster-whisper-small",  # 484 MB; better, ~3x slower
}
WHISPER_HUB = "https://huggingface.co"
WHISPER_FILES = ("config.json", "model.bin", "tokenizer.json", "vocabulary.txt")


def _git_blob_sha1(path: Path) -> str:
    """The id git (and the hub's listing) gives a small file: sha1 of "blob <size>\\0" + data."""
    digest = hashlib.sha1(usedforsecurity=False)
    digest.update(f"blob {path.stat().st_size}\0".encode())
    with open(path, "rb") as f:
        while block := f.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def _whisper_listing(base_url: str, repo: str, timeout: float) -> dict[str, dict]:
    url = f"{base_url.rstrip('/')}/api/models/{repo}/tree/main"
    with _open_url(url, timeout) as response:
        try:
            data = json.load(response)
        except (ValueError, OSError) as exc:
            raise ModelDownloadError(f"the file list at {url} is not valid JSON") from exc
    if not isinstance(data, list):
        raise ModelDownloadError(f"the file list at {url} is not a JSON array")
    return {e["path"]: e for e in data if isinstance(e, dict) and "path" in e}


def download_whisper(
    name: str,
    dest_dir: str | os.PathLike[str],
    *,
    base_url: str | None = None,
    progress: Progress | None = None,
    timeout: float = 30,
) -> Path:
    """Install an official faster-whisper model (whisper-base, whisper-small) as
    dest_dir/<name>; return its folder.

    Each file is checked against the hub's listing: its size, and its SHA-256 (large files
    kept in Git LFS) or git blob id (small files). Nothing is installed unless every file
    matches. No network is needed when the model is already there.
    """
    from transcription.whisper import is_whisper_dir

    if name not in WHISPER_KNOWN:
        raise ModelDownloadError(
            f"unknown Whisper model {name!r}: use one of {', '.join(WHISPER_KNOWN)}")
    dest = Path(dest_dir).expanduser().resolve()
    target = dest / name
    if is_whisper_dir(target):
        return target
    base = base_url or WHISPER_HUB
    _check_url(base)
    repo = WHISPER_KNOWN[name]
    listing = _whisper_listing(base, repo, timeout)
    missing = [f for f in WHISPER_FILES if f not in listing]
    if missing:
        raise ModelDownloadError(f"{repo} lists no {', '.join(missing)}")
    entries = [listing[f] for f in WHISPER_FILES]
    total = sum(int((e.get("lfs") or e).get("size") or 0) for e in entries)
    dest.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{name}-", suffix=".part", dir=dest))
    done_before = 0

    def overall(done: int, _total: int) -> None:
        if progress:
            progress(done_before + done, total)

    try:
        for entry in entries:
            path = entry["path"]
            lfs = entry.get("lfs") or {}
            size = int(lfs.get("size") or entry.get("size") or 0) or None
            url = f"{base.rstrip('/')}/{repo}/resolve/main/{urllib.parse.quote(path)}"
            digests = _download(url, work / path, size, overall, timeout)
            if lfs:
                expected = str(lfs.get("oid") or lfs.get("sha256") or "").lower()
                actual = digests["sha256"]
            else:
                expected = str(entry.get("oid") or "").lower()
                actual = _git_blob_sha1(work / path)
            if not expected:
                raise ModelDownloadError(f"the listing gives no checksum for {path}")
            if expected != actual:
                raise ModelDownloadError(
                    f"checksum mismatch for {url}: got {actual}, the listing says {expected}")
            done_before += size or (work / path).stat().st_size
        if target.exists() or target.is_symlink():
            os.replace(target, work / ".previous")
        os.replace(work, target)
        with contextlib.suppress(OSError):
            shutil.rmtree(target / ".previous")
        return target
    except OSError as exc:
        raise ModelDownloadError(f"cannot install {name} into {dest}: {exc}") from exc
    finally:
        with contextlib.suppress(OSError):
            shutil.rmtree(work)
