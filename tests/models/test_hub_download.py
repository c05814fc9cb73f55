"""Downloads against the fake hub: progress, resume after the server dies, checksum, offline."""

from __future__ import annotations

import hashlib
import json
import socket
from pathlib import Path

import pytest

from models.hub.download import (
    ChecksumMismatch,
    HubError,
    HubUnreachable,
    download_file,
    remote_file,
)
from tests.models.test_hub_fake import FakeHub, gguf_pair_bytes

REPO, NAME = "org/tiny-GGUF", "tiny-Q4_K_M.gguf"


@pytest.fixture
def gguf_pair(tmp_path: Path) -> tuple[bytes, bytes]:
    return gguf_pair_bytes(tmp_path / "src")


def closed_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_download_reports_progress_and_verifies(gguf_pair: tuple[bytes, bytes],
                                                tmp_path: Path) -> None:
    data = gguf_pair[0]
    seen: list[tuple[int, int | None]] = []
    dest = tmp_path / "models" / NAME
    with FakeHub({(REPO, NAME): data}) as hub:
        got = download_file(REPO, NAME, dest, endpoint=hub.endpoint,
                            progress=lambda done, total: seen.append((done, total)))
    assert dest.read_bytes() == data
    assert got.sha256 == hashlib.sha256(data).hexdigest() and got.size == len(data)
    assert got.resumed_from == 0
    assert seen[0] == (0, len(data)) and seen[-1] == (len(data), len(data))
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert not list(dest.parent.glob("*.part*"))


def test_resume_after_the_server_dies(gguf_pair: tuple[bytes, bytes], tmp_path: Path) -> None:
    data, cut = gguf_pair[0], 300_001
    dest = tmp_path / NAME
    with FakeHub({(REPO, NAME): data}, cut_at=cut) as hub:
        with pytest.raises(HubUnreachable, match="run the same command again"):
            download_file(REPO, NAME, dest, endpoint=hub.endpoint, retries=0)
    part = dest.with_name(NAME + ".part")
    assert part.read_bytes() == data[:cut] and not dest.exists()

    # the hub is gone altogether: a clear error, and the partial file survives
    with pytest.raises(HubUnreachable, match="cannot reach the model hub"):
        download_file(REPO, NAME, dest, endpoint=hub.endpoint, retries=0)
    assert part.stat().st_size == cut

    seen: list[int] = []
    with FakeHub({(REPO, NAME): data}) as back:
        got = download_file(REPO, NAME, dest, endpoint=back.endpoint,
                            progress=lambda done, total: seen.append(done))
        assert back.blob_gets() == [f"bytes={cut}-"]  # only the rest was asked for
    assert got.resumed_from == cut and seen[0] == cut
    assert dest.read_bytes() == data and got.sha256 == hashlib.sha256(data).hexdigest()
    assert not part.exists()


def test_a_broken_connection_is_retried_in_the_same_call(gguf_pair: tuple[bytes, bytes],
                                                         tmp_path: Path) -> None:
    data = gguf_pair[0]
    with FakeHub({(REPO, NAME): data}, cut_at=5000, cuts=1) as hub:
        got = download_file(REPO, NAME, tmp_path / NAME, endpoint=hub.endpoint, retries=1)
        assert hub.blob_gets() == [None, "bytes=5000-"]
    assert got.path.read_bytes() == data


def test_a_partial_of_another_version_is_thrown_away(gguf_pair: tuple[bytes, bytes],
                                                     tmp_path: Path) -> None:
    data = gguf_pair[0]
    dest = tmp_path / NAME
    dest.with_name(NAME + ".part").write_bytes(b"old bytes of an older upload")
    dest.with_name(NAME + ".part.json").write_text(json.dumps({"key": "f" * 64}))
    with FakeHub({(REPO, NAME): data}) as hub:
        got = download_file(REPO, NAME, dest, endpoint=hub.endpoint)
        assert hub.blob_gets() == [None]
    assert got.resumed_from == 0 and dest.read_bytes() == data


def test_checksum_mismatch_deletes_the_file(gguf_pair: tuple[bytes, bytes],
                                            tmp_path: Path) -> None:
    dest = tmp_path / "models" / NAME
    with FakeHub({(REPO, NAME): gguf_pair[0]}, wrong_sha=True) as hub:
        with pytest.raises(ChecksumMismatch, match="the file was deleted"):
            download_file(REPO, NAME, dest, endpoint=hub.endpoint)
    assert list(dest.parent.iterdir()) == []


def test_unreachable_hub_is_one_clear_line(tmp_path: Path) -> None:
    endpoint = f"http://127.0.0.1:{closed_port()}"
    with pytest.raises(HubUnreachable) as err:
        download_file(REPO, NAME, tmp_path / NAME, endpoint=endpoint)
    message = str(err.value)
    assert "\n" not in message and endpoint in message and "cannot reach" in message
    assert err.value.__cause__ is None and err.value.__suppress_context__


def test_missing_file_on_the_hub(gguf_pair: tuple[bytes, bytes]) -> None:
    with FakeHub({(REPO, NAME): gguf_pair[0]}) as hub:
        with pytest.raises(HubError, match="does not exist"):
            remote_file(REPO, "other.gguf", endpoint=hub.endpoint)


def test_an_existing_verified_file_is_not_downloaded_again(gguf_pair: tuple[bytes, bytes],
                                                           tmp_path: Path) -> None:
    data = gguf_pair[1]
    dest = tmp_path / NAME
    dest.write_bytes(data)
    with FakeHub({(REPO, NAME): data}) as hub:
        got = download_file(REPO, NAME, dest, endpoint=hub.endpoint)
        assert hub.blob_gets() == []
    assert got.sha256 == hashlib.sha256(data).hexdigest()


def test_not_enough_disk_space_is_said_before_downloading(
        gguf_pair: tuple[bytes, bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil
    from collections import namedtuple

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda _: usage(10**9, 10**9 - 1000, 1000))
    with FakeHub({(REPO, NAME): gguf_pair[0]}) as hub:
        with pytest.raises(HubError, match="not enough disk space"):
            download_file(REPO, NAME, tmp_path / NAME, endpoint=hub.endpoint)
        assert hub.blob_gets() == []


def test_a_server_that_ignores_range_still_gives_a_correct_file(
        gguf_pair: tuple[bytes, bytes], tmp_path: Path) -> None:
    data, cut = gguf_pair[0], 7000
    dest = tmp_path / NAME
    with FakeHub({(REPO, NAME): data}, cut_at=cut) as hub:
        with pytest.raises(HubUnreachable):
            download_file(REPO, NAME, dest, endpoint=hub.endpoint, retries=0)
    with FakeHub({(REPO, NAME): data}, ignore_range=True) as hub:
        got = download_file(REPO, NAME, dest, endpoint=hub.endpoint)
        assert hub.blob_gets() == [f"bytes={cut}-"]  # asked for the rest, got the whole file
    assert dest.read_bytes() == data and got.sha256 == hashlib.sha256(data).hexdigest()


def test_cancelling_from_the_progress_callback_keeps_the_partial_file(
        gguf_pair: tuple[bytes, bytes], tmp_path: Path) -> None:
    class Stop(Exception):
        pass

    def stop_after_first_chunk(done: int, total: int | None) -> None:
        if done > 0:
            raise Stop

    data, dest = gguf_pair[0], tmp_path / NAME
    with FakeHub({(REPO, NAME): data}) as hub:
        with pytest.raises(Stop):
            download_file(REPO, NAME, dest, endpoint=hub.endpoint, progress=stop_after_first_chunk)
        have = dest.with_name(NAME + ".part").stat().st_size
        assert 0 < have < len(data)
        got = download_file(REPO, NAME, dest, endpoint=hub.endpoint)
        assert hub.blob_gets()[-1] == f"bytes={have}-"
    assert got.resumed_from == have and dest.read_bytes() == data
