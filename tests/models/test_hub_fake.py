"""A fake Hugging Face hub on 127.0.0.1 for the download tests, and tests that it is faithful.

Two loopback servers, as on the real hub: the *hub* answers ``HEAD/GET
/{repo}/resolve/{revision}/{file}`` with a 302 carrying ``X-Repo-Commit``, ``X-Linked-Etag``
(the sha256) and ``X-Linked-Size``, pointing at the *CDN*, which serves the bytes and honours
``Range``. Faults: ``cut_at`` (the CDN closes the connection after that byte of a file longer
than that, ``cuts`` times),
``wrong_sha`` (the hub announces a sha256 the bytes do not have), ``ignore_range`` (the CDN
always sends the whole file, as some proxies do). ``direct`` names small git-stored files the
hub serves itself (200, a git ETag, no sha256), and ``token`` makes the repository gated: the
hub answers 401 to any request without ``Authorization: Bearer <token>``.
The faithfulness tests run huggingface_hub's own metadata call against it.
"""

from __future__ import annotations

import hashlib
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pytest

COMMIT = "0123456789abcdef0123456789abcdef01234567"
_RESOLVE = re.compile(r"^/(?P<repo>[^/]+/[^/]+)/resolve/(?P<rev>[^/]+)/(?P<file>[^?]+)")
_BLOB = re.compile(r"^/blobs/(?P<sha>[0-9a-f]{64})$")


def write_gguf(path: Path, *, arch: str = "qwen2vl", kind: str = "model",
               name: str | None = None, n_floats: int = 1024, seed: int = 0,
               hidden: int | None = None, layers: int | None = None) -> Path:
    """A small but real GGUF file (header, one random tensor) as llama.cpp converters write;
    ``hidden`` / ``layers`` go in the header as a text model's width and depth."""
    import gguf

    path.parent.mkdir(parents=True, exist_ok=True)
    writer = gguf.GGUFWriter(path, "clip" if kind == "mmproj" else arch)
    writer.add_type(kind)
    if name:
        writer.add_name(name)
    if hidden is not None:
        writer.add_embedding_length(hidden)
    if layers is not None:
        writer.add_block_count(layers)
    rng = np.random.default_rng(seed)
    writer.add_tensor("weight", rng.standard_normal(n_floats).astype(np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


class FakeHub:
    """``with FakeHub({(repo, filename): bytes}) as hub: ... hub.endpoint ...``"""

    def __init__(self, files: dict[tuple[str, str], bytes], *, cut_at: int | None = None,
                 cuts: int = 1, wrong_sha: bool = False, ignore_range: bool = False,
                 direct: frozenset[str] = frozenset(), token: str | None = None) -> None:
        self.files = files
        self.direct, self.token = direct, token
        self.blobs = {hashlib.sha256(data).hexdigest(): data for data in files.values()}
        self.cut_at, self.cuts_left, self.wrong_sha = cut_at, cuts if cut_at else 0, wrong_sha
        self.ignore_range = ignore_range
        self.requests: list[tuple[str, str, str | None]] = []  # (method, path, Range header)
        self._lock = threading.Lock()
        self._closed = False
        self._servers = [ThreadingHTTPServer(("127.0.0.1", 0), self._handler()) for _ in "hc"]
        self._threads = [threading.Thread(target=s.serve_forever, args=(0.05,), daemon=True)
                         for s in self._servers]

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._servers[0].server_address[1]}"

    @property
    def cdn(self) -> str:
        return f"http://127.0.0.1:{self._servers[1].server_address[1]}"

    def blob_gets(self) -> list[str | None]:
        """The Range header of every GET of file bytes, in order (None = whole file)."""
        return [rng for method, path, rng in self.requests
                if method == "GET" and path.startswith("/blobs/")]

    def __enter__(self) -> FakeHub:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop both servers (the hub 'dies'); safe to call twice."""
        if self._closed:
            return
        self._closed = True
        for server in self._servers:
            server.shutdown()
            server.server_close()

    def _take_cut(self) -> bool:
        with self._lock:
            if self.cuts_left > 0:
                self.cuts_left -= 1
                return True
            return False

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        hub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"  # one request per connection: a closed hub is gone

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def do_HEAD(self) -> None:
                self._answer(head=True)

            def do_GET(self) -> None:
                self._answer(head=False)

            def _answer(self, *, head: bool) -> None:
                hub.requests.append((self.command, self.path, self.headers.get("Range")))
                resolve = _RESOLVE.match(self.path)
                if resolve and hub.token and \
                        self.headers.get("Authorization") != f"Bearer {hub.token}":
                    self.send_response(401)
                    self.send_header("X-Error-Message", "Access to this repository is gated")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif resolve and (resolve["repo"], resolve["file"]) in hub.files:
                    data = hub.files[(resolve["repo"], resolve["file"])]
                    if resolve["file"] in hub.direct:
                        self.send_response(200)
                        self.send_header("X-Repo-Commit", COMMIT)
                        self.send_header("ETag", f'"{hashlib.sha1(data).hexdigest()}"')
                        self.send_header("Content-Length", str(len(data)))
                        self.end_headers()
                        if not head:
                            self.wfile.write(data)
                    else:
                        self._redirect(data)
                elif (m := _BLOB.match(self.path)) and m["sha"] in hub.blobs:
                    self._bytes(hub.blobs[m["sha"]], head=head)
                else:
                    self.send_response(404)
                    self.send_header("X-Error-Code", "EntryNotFound")
                    self.send_header("X-Error-Message", "Entry not found")
                    self.send_header("Content-Length", "0")
                    self.end_headers()

            def _redirect(self, data: bytes) -> None:
                sha = hashlib.sha256(data).hexdigest()
                told = hashlib.sha256(data + b"x").hexdigest() if hub.wrong_sha else sha
                self.send_response(302)
                self.send_header("Location", f"{hub.cdn}/blobs/{sha}")
                self.send_header("X-Repo-Commit", COMMIT)
                self.send_header("X-Linked-Etag", f'"{told}"')
                self.send_header("X-Linked-Size", str(len(data)))
                self.send_header("ETag", '"0000000000000000000000000000000000000000"')
                self.send_header("Content-Length", "0")
                self.end_headers()

            def _bytes(self, data: bytes, *, head: bool) -> None:
                start = 0
                rng = None if hub.ignore_range else self.headers.get("Range")
                if rng and (m := re.match(r"bytes=(\d+)-$", rng)):
                    start = int(m[1])
                if start >= len(data) and start:
                    self.send_response(416)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(206 if start else 200)
                if start:
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                self.send_header("Accept-Ranges", "bytes")
                self.send_header("Content-Length", str(len(data) - start))
                self.end_headers()
                if head:
                    return
                end = len(data)
                if hub.cut_at is not None and start < hub.cut_at < end and hub._take_cut():
                    end, self.close_connection = hub.cut_at, True
                self.wfile.write(data[start:end])
                self.wfile.flush()

        return Handler


def gguf_pair_bytes(folder: Path) -> tuple[bytes, bytes]:
    """The bytes of a small text-model GGUF (~1.2 MB) and of its mmproj."""
    model = write_gguf(folder / "m.gguf", n_floats=300_000, seed=1)
    proj = write_gguf(folder / "p.gguf", kind="mmproj", n_floats=2048, seed=2)
    return model.read_bytes(), proj.read_bytes()


@pytest.fixture
def gguf_pair(tmp_path: Path) -> tuple[bytes, bytes]:
    return gguf_pair_bytes(tmp_path / "src")


def test_huggingface_hub_reads_the_fakes_metadata(gguf_pair: tuple[bytes, bytes]) -> None:
    from huggingface_hub import get_hf_file_metadata, hf_hub_url

    data = gguf_pair[0]
    with FakeHub({("org/repo", "m.gguf"): data}) as hub:
        url = hf_hub_url("org/repo", "m.gguf", endpoint=hub.endpoint)
        meta = get_hf_file_metadata(url, endpoint=hub.endpoint)
    assert meta.etag == hashlib.sha256(data).hexdigest()
    assert meta.size == len(data)
    assert meta.commit_hash == COMMIT
    assert meta.location.startswith(hub.cdn)


def test_huggingface_hub_download_works_against_the_fake(
        gguf_pair: tuple[bytes, bytes], tmp_path: Path) -> None:
    from huggingface_hub import hf_hub_download

    data = gguf_pair[1]
    with FakeHub({("org/repo", "p.gguf"): data}) as hub:
        got = hf_hub_download("org/repo", "p.gguf", endpoint=hub.endpoint,
                              local_dir=tmp_path / "hf", cache_dir=tmp_path / "cache")
    assert Path(got).read_bytes() == data


def test_the_fake_cdn_honours_range_and_cuts(gguf_pair: tuple[bytes, bytes]) -> None:
    import http.client
    import urllib.request

    data = gguf_pair[0]
    sha = hashlib.sha256(data).hexdigest()
    with FakeHub({("org/repo", "m.gguf"): data}, cut_at=1000) as hub:
        request = urllib.request.Request(f"{hub.cdn}/blobs/{sha}", headers={"Range": "bytes=10-"})
        with urllib.request.urlopen(request) as response:
            assert response.status == 206
            with pytest.raises(http.client.IncompleteRead) as cut:
                response.read()
            assert cut.value.partial == data[10:1000]  # the rest never comes
        with urllib.request.urlopen(request) as response:
            assert response.read() == data[10:]

