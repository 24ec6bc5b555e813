"""`helpline models download whisper-*` back end, against a local HTTP server (no internet).

The server answers like the hub: a file listing at /api/models/<repo>/tree/main (size, git
blob id, and for LFS files their SHA-256) and the files at /<repo>/resolve/main/<path>.
"""

import hashlib
import json
import os

import pytest

from helpline.cli import cli
from tests.unit.test_model_download import ModelServer
from transcription.models import WHISPER_KNOWN, ModelDownloadError, download_whisper
from transcription.whisper import is_whisper_dir

REPO = WHISPER_KNOWN["whisper-base"]


def blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def publish(server: ModelServer, **tamper) -> dict[str, bytes]:
    files = {
        "config.json": b'{"lang_ids": []}',
        "model.bin": os.urandom(300_000),  # several download blocks
        "tokenizer.json": b"{}",
        "vocabulary.txt": b"a\nb\n",
        "README.md": b"not needed",
    }
    listing = []
    for path, data in files.items():
        entry = {"type": "file", "path": path, "size": len(data), "oid": blob_id(data)}
        if path == "model.bin":
            entry["oid"] = "1" * 40  # the pointer's blob id, not the content's
            entry["size"] = 134
            entry["lfs"] = {"oid": hashlib.sha256(data).hexdigest(), "size": len(data),
                            "pointerSize": 134}
        entry.update(tamper.get(path, {}))
        listing.append(entry)
        server.files[f"/{REPO}/resolve/main/{path}"] = data
    server.files[f"/api/models/{REPO}/tree/main"] = json.dumps(listing).encode()
    return files


@pytest.fixture
def server():
    s = ModelServer()
    yield s
    s.close()


def test_downloads_checks_and_installs_with_progress(server, tmp_path):
    files = publish(server)
    seen = []
    path = download_whisper("whisper-base", tmp_path, base_url=server.base,
                            progress=lambda done, total: seen.append((done, total)))
    assert path == tmp_path / "whisper-base" and is_whisper_dir(path)
    for name in ("config.json", "model.bin", "tokenizer.json", "vocabulary.txt"):
        assert (path / name).read_bytes() == files[name]
    assert not (path / "README.md").exists()
    total = sum(len(files[n]) for n in ("config.json", "model.bin", "tokenizer.json",
                                        "vocabulary.txt"))
    assert seen[-1] == (total, total)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)  # it only moves forward
    assert sorted(p.name for p in tmp_path.iterdir()) == ["whisper-base"]
    # Installed: no second download.
    server.requests.clear()
    assert download_whisper("whisper-base", tmp_path, base_url=server.base) == path
    assert server.requests == []


def test_a_corrupt_model_file_is_refused_and_nothing_installed(server, tmp_path):
    publish(server, **{"model.bin": {"lfs": {"oid": "0" * 64, "size": 300_000}}})
    with pytest.raises(ModelDownloadError, match=r"checksum mismatch.*model\.bin"):
        download_whisper("whisper-base", tmp_path, base_url=server.base)
    assert list(tmp_path.iterdir()) == []


def test_a_small_file_is_checked_by_its_git_blob_id(server, tmp_path):
    publish(server, **{"tokenizer.json": {"oid": "2" * 40}})
    with pytest.raises(ModelDownloadError, match=r"checksum mismatch.*tokenizer\.json"):
        download_whisper("whisper-base", tmp_path, base_url=server.base)
    assert list(tmp_path.iterdir()) == []


def test_a_size_mismatch_is_refused(server, tmp_path):
    publish(server, **{"model.bin": {"lfs": {"oid": "0" * 64, "size": 1000}}})
    with pytest.raises(ModelDownloadError, match="size mismatch"):
        download_whisper("whisper-base", tmp_path, base_url=server.base)


def test_missing_files_and_unknown_names(server, tmp_path):
    server.files[f"/api/models/{REPO}/tree/main"] = b"[]"
    with pytest.raises(ModelDownloadError, match=r"lists no config\.json"):
        download_whisper("whisper-base", tmp_path, base_url=server.base)
    with pytest.raises(ModelDownloadError, match="unknown Whisper model"):
        download_whisper("whisper-huge", tmp_path, base_url=server.base)
    with pytest.raises(ModelDownloadError, match="not an http"):
        download_whisper("whisper-base", tmp_path, base_url="file:///etc")


def test_the_command_downloads_and_says_what_to_set(app, server, tmp_path):
    publish(server)
    result = app.test_cli_runner().invoke(
        cli, ["models", "download", "whisper-base", "--dest", str(tmp_path),
              "--list-url", server.base])
    assert result.exit_code == 0, result.output
    assert "HELPLINE_ASR_ENGINE=whisper" in result.output
    assert f"HELPLINE_ASR_MODEL={tmp_path / 'whisper-base'}" in result.output
    assert "Downloading whisper-base" in result.stderr  # the progress bar
