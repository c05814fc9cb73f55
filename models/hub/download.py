"""Download one file from the Hugging Face hub with progress, resume and a sha256 check.

The file's metadata (size, sha256 = the LFS etag, where to fetch it) comes from the hub client,
``huggingface_hub.get_hf_file_metadata``, so endpoints, tokens and the hub's redirects behave as
everywhere else. The bytes themselves are fetched by a plain ranged HTTP GET of our own into
``<file>.part``, because ``hf_hub_download`` throws its partial file away when a download fails:
a 5 GB model cut off at 90 % would start again from zero. Here the ``.part`` file stays (with a
small ``.part.json`` naming the sha256 it belongs to) and the next call continues from its end.
Every failure is a ``HubError`` whose message is one sentence a user can act on.
"""

from __future__ import annotations

import hashlib
import http.client
import importlib
import json
import os
import re
import shutil
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urljoin, urlsplit

ProgressFn = Callable[[int, "int | None"], None]
"""Called as ``progress(downloaded_bytes, total_bytes_or_None)`` while a file arrives."""

CHUNK = 1 << 20
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class HubError(Exception):
    """A download or hub problem, explained in one line."""


class HubUnreachable(HubError):
    """The hub (or its file server) could not be reached, or the connection broke."""


class NotOnHub(HubError):
    """The hub answered 404: the repository or the file does not exist (at that revision)."""


class ChecksumMismatch(HubError):
    """The downloaded bytes do not hash to the sha256 the hub announced; the file is deleted."""


@dataclass(frozen=True)
class RemoteFile:
    """What the hub says about one file."""

    repo: str
    filename: str
    url: str  # where the bytes are (the hub's redirect target, e.g. its CDN)
    size: int | None
    sha256: str | None  # None when the hub gives no LFS sha256 (small git-stored files)
    commit: str | None
    from_hub: bool = False  # served by the hub itself (gated repos want the token), not a CDN


@dataclass(frozen=True)
class Downloaded:
    path: Path
    size: int
    sha256: str
    resumed_from: int  # bytes that were already on disk from an earlier attempt


def _transport_errors() -> tuple[type[BaseException], ...]:
    """Network errors of the hub client's HTTP library, whichever it is, plus OSError."""
    errors: list[type[BaseException]] = [OSError]
    for module in ("httpx2", "httpx"):
        try:
            errors.append(importlib.import_module(module).TransportError)
        except (ImportError, AttributeError):
            continue
    return tuple(errors)


def _reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None) or exc
    text = str(reason).strip() or type(exc).__name__
    return text.splitlines()[0]


def _endpoint(endpoint: str | None) -> str:
    from huggingface_hub import constants

    return (endpoint or constants.ENDPOINT).rstrip("/")


def remote_file(repo: str, filename: str, *, revision: str = "main", endpoint: str | None = None,
                timeout: float = 15.0) -> RemoteFile:
    """Ask the hub for the size, sha256 and location of ``repo/filename``."""
    from huggingface_hub import get_hf_file_metadata, hf_hub_url
    from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled

    base = _endpoint(endpoint)
    url = hf_hub_url(repo, filename, revision=revision, endpoint=base)
    try:
        meta = get_hf_file_metadata(url, endpoint=base, timeout=timeout)
    except OfflineModeIsEnabled:
        raise HubUnreachable("the hub is switched off (HF_HUB_OFFLINE is set)") from None
    except HfHubHTTPError as exc:
        status = exc.response.status_code if exc.response is not None else None
        if status in (401, 403):
            raise HubError(f"{repo}/{filename}: the hub refused access (HTTP {status}); "
                           "the repository may be gated or need a token") from None
        if status == 404:
            raise NotOnHub(f"{repo}/{filename} does not exist on {base}") from None
        raise HubError(f"{repo}/{filename}: the hub answered HTTP {status}") from None
    except _transport_errors() as exc:
        raise HubUnreachable(f"cannot reach the model hub at {base} ({_reason(exc)}); "
                             "check the connection, or add files you already have with "
                             "`deskhand models add`") from None
    etag = (meta.etag or "").lower()
    where = urljoin(url, meta.location)
    return RemoteFile(repo=repo, filename=filename, url=where,
                      size=meta.size, sha256=etag if _SHA256.match(etag) else None,
                      commit=meta.commit_hash,
                      from_hub=urlsplit(where).netloc == urlsplit(base).netloc)


def download_file(repo: str, filename: str, dest: Path, *, revision: str = "main",
                  endpoint: str | None = None, progress: ProgressFn | None = None,
                  retries: int = 3, timeout: float = 30.0) -> Downloaded:
    """Fetch ``repo/filename`` into ``dest``, continuing a ``.part`` left by an earlier attempt.

    The finished file is checked against the hub's sha256 before it is moved into place; on a
    mismatch it is deleted and ``ChecksumMismatch`` says so. A broken connection is retried
    ``retries`` times in this call (each retry continues where the last stopped); after that
    ``HubUnreachable`` is raised and the ``.part`` file is kept for the next call. To cancel
    (a GUI's Stop button), raise from ``progress``: the exception propagates, the ``.part`` stays.
    """
    remote = remote_file(repo, filename, revision=revision, endpoint=endpoint)
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.exists() and remote.sha256 is not None and _matches(dest, remote):
        size = dest.stat().st_size
        if progress:
            progress(size, size)
        return Downloaded(dest, size, remote.sha256, resumed_from=size)
    part = _Partial(dest, remote)
    resumed_from = part.prepare()
    check_space(dest.parent, (remote.size or 0) - resumed_from, filename)
    for attempt in range(retries + 1):
        try:
            _fetch_into(part, remote, progress, timeout)
            break
        except HubUnreachable:
            if attempt == retries:
                raise
            time.sleep(min(0.2 * 2 ** attempt, 5.0))
    return part.finish(resumed_from)


def check_space(folder: Path, needed: int, filename: str) -> None:
    """HubError unless ``folder``'s disk has ``needed`` more bytes for ``filename``."""
    free = shutil.disk_usage(folder).free
    if needed > free:
        raise HubError(f"not enough disk space for {filename} in {folder}: it needs "
                       f"{needed / 1e9:.1f} GB more, {free / 1e9:.1f} GB are free")


def _matches(path: Path, remote: RemoteFile) -> bool:
    if remote.size is not None and path.stat().st_size != remote.size:
        return False
    return remote.sha256 is not None and _sha256_of(path) == remote.sha256


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


class _Partial:
    """``dest.part`` and its ``dest.part.json`` (which remote sha256 the bytes belong to)."""

    def __init__(self, dest: Path, remote: RemoteFile) -> None:
        self.dest, self.remote = dest, remote
        self.path = dest.with_name(dest.name + ".part")
        self.meta = dest.with_name(dest.name + ".part.json")
        self.digest = hashlib.sha256()

    def prepare(self) -> int:
        """Keep a usable partial file (same remote file, not too long); return its length."""
        key = self.remote.sha256 or self.remote.commit
        try:
            known = json.loads(self.meta.read_text(encoding="utf-8")).get("key")
        except (OSError, ValueError):
            known = None
        have = self.path.stat().st_size if self.path.exists() else 0
        too_long = self.remote.size is not None and have > self.remote.size
        if key is None or known != key or too_long:
            self.path.unlink(missing_ok=True)
            have = 0
        self.meta.write_text(json.dumps({"key": key, "repo": self.remote.repo,
                                         "filename": self.remote.filename}), encoding="utf-8")
        if have:
            with self.path.open("rb") as f:
                while block := f.read(CHUNK):
                    self.digest.update(block)
        return have

    @property
    def have(self) -> int:
        return self.path.stat().st_size if self.path.exists() else 0

    def restart(self) -> None:
        """The server ignored our Range header and sends the whole file: start over."""
        self.path.unlink(missing_ok=True)
        self.digest = hashlib.sha256()

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)
        self.meta.unlink(missing_ok=True)

    def finish(self, resumed_from: int) -> Downloaded:
        size, sha = self.have, self.digest.hexdigest()
        if self.remote.size is not None and size != self.remote.size:
            self.discard()
            raise HubError(f"{self.remote.filename}: got {size} bytes, the hub said "
                           f"{self.remote.size}; the partial file was deleted, try again")
        if self.remote.sha256 is not None and sha != self.remote.sha256:
            self.discard()
            raise ChecksumMismatch(
                f"{self.remote.filename}: sha256 {sha} does not match the hub's "
                f"{self.remote.sha256}; the file was deleted, download it again")
        with self.path.open("rb+") as f:
            os.fsync(f.fileno())
        os.replace(self.path, self.dest)
        self.meta.unlink(missing_ok=True)
        return Downloaded(self.dest, size, sha, resumed_from)


def _fetch_into(part: _Partial, remote: RemoteFile, progress: ProgressFn | None,
                timeout: float) -> None:
    start = part.have
    if remote.size is not None and start == remote.size:
        return
    headers = {"Accept-Encoding": "identity", "User-Agent": "deskhand"}
    if remote.from_hub and (token := _token()):
        headers["Authorization"] = f"Bearer {token}"
    if start:
        headers["Range"] = f"bytes={start}-"
    request = urllib.request.Request(remote.url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            if start and response.status == 200:
                part.restart()
                start = 0
            total = remote.size or _total_from(response, start)
            with part.path.open("ab") as out:
                _copy(response, out, part, start, total, progress)
    except urllib.error.HTTPError as exc:
        raise HubError(f"{remote.filename}: the file server answered HTTP {exc.code}") from None
    except (OSError, http.client.HTTPException) as exc:
        raise HubUnreachable(f"download of {remote.filename} broke off at "
                             f"{part.have} bytes ({_reason(exc)}); run the same command "
                             "again to continue") from None


def _token() -> str | None:
    """The user's hub token (HF_TOKEN or ``huggingface-cli login``), as the hub client finds it."""
    from huggingface_hub import get_token

    token: str | None = get_token()
    return token


def _total_from(response: http.client.HTTPResponse, start: int) -> int | None:
    length = response.headers.get("Content-Length")
    return start + int(length) if length and length.isdigit() else None


def _copy(response: http.client.HTTPResponse, out: BinaryIO, part: _Partial, done: int,
          total: int | None, progress: ProgressFn | None) -> None:
    if progress:
        progress(done, total)
    while True:
        block = response.read(CHUNK)
        if not block:
            if total is not None and done < total:  # http.client reports a cut-off body as EOF
                raise ConnectionResetError(f"connection closed, {total - done} bytes missing")
            return
        out.write(block)
        part.digest.update(block)
        done += len(block)
        if progress:
            progress(done, total)
