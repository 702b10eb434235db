"""Data location: environment variable first, then the repository's shared data; verified downloads."""

from __future__ import annotations

import hashlib

import pytest

from amn import data
from amn.errors import DataError


def test_environment_variable_comes_first(tmp_path, monkeypatch):
    (tmp_path / "models").mkdir()
    mine = tmp_path / "models" / "iML1515.xml.gz"
    mine.write_bytes(b"x")
    monkeypatch.setenv(data.ENV_VAR, str(tmp_path))
    assert data.model_path("iML1515") == mine
    assert data.search_dirs()[0] == tmp_path


def test_missing_file_error_names_the_file_and_the_fix(tmp_path, monkeypatch):
    monkeypatch.setenv(data.ENV_VAR, str(tmp_path))
    with pytest.raises(DataError, match=r"models/nope\.xml\.gz: not found"):
        data.model_path("nope")
    try:
        data.locate("experimental/ecoli_dh5a_growth/EXP110.csv")
    except DataError as exc:
        assert "amn data fetch ecoli_dh5a_growth" in str(exc)


def test_shared_models_match_the_pinned_checksums():
    for name in ("e_coli_core", "iML1515"):
        (remote,) = data.REGISTRY[name]
        try:
            path = data.locate(remote.relpath)
        except DataError:
            pytest.skip("no shared data directory")
        assert data.sha256_of(path) == remote.sha256


def _local_remote(tmp_path, content: bytes, sha: str) -> data.RemoteFile:
    source = tmp_path / "source.csv"
    source.write_bytes(content)
    return data.RemoteFile("experimental/x.csv", source.as_uri(), sha)


def test_fetch_verifies_the_checksum(tmp_path, monkeypatch):
    content = b"a,b\n1,2\n"
    good = _local_remote(tmp_path, content, hashlib.sha256(content).hexdigest())
    monkeypatch.setitem(data.REGISTRY, "tiny", (good,))
    (path,) = data.fetch("tiny", tmp_path / "cache")
    assert path.read_bytes() == content
    bad = _local_remote(tmp_path, content, "0" * 64)
    monkeypatch.setitem(data.REGISTRY, "tiny", (bad,))
    with pytest.raises(DataError, match="differs from the pinned"):
        data.fetch("tiny", tmp_path / "other")
    assert not (tmp_path / "other" / "experimental" / "x.csv").exists()
    with pytest.raises(DataError, match="unknown dataset"):
        data.fetch("no-such-dataset")


def _registered_copy(tmp_path, monkeypatch, where: str) -> tuple[data.RemoteFile, bytes]:
    """A registered file ``tiny`` whose URL cannot be reached, and a copy of it in ``tmp_path/where``."""
    content = b"a,b\n1,2\n"
    remote = data.RemoteFile("experimental/tiny.csv", (tmp_path / "nowhere.csv").as_uri(), hashlib.sha256(content).hexdigest())
    monkeypatch.setitem(data.REGISTRY, "tiny", (remote,))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    copy = tmp_path / where / remote.relpath
    copy.parent.mkdir(parents=True)
    copy.write_bytes(content)
    return remote, content


def test_fetch_skips_a_file_already_in_the_data_directory(tmp_path, monkeypatch):
    _registered_copy(tmp_path, monkeypatch, "mine")
    monkeypatch.setenv(data.ENV_VAR, str(tmp_path / "mine"))
    lines = []
    (path,) = data.fetch("tiny", log=lines.append)  # the URL cannot be reached: it must not be tried
    assert path == tmp_path / "mine" / "experimental" / "tiny.csv"
    assert lines == [f"experimental/tiny.csv: found at {path}; not downloading"]
    assert not (tmp_path / "cache").exists()


def test_fetch_downloads_a_copy_whose_checksum_differs(tmp_path, monkeypatch):
    remote, content = _registered_copy(tmp_path, monkeypatch, "mine")
    (tmp_path / "mine" / remote.relpath).write_bytes(b"edited")
    (tmp_path / "nowhere.csv").write_bytes(content)
    monkeypatch.setenv(data.ENV_VAR, str(tmp_path / "mine"))
    lines = []
    (path,) = data.fetch("tiny", log=lines.append)
    assert path == tmp_path / "cache" / "amn" / remote.relpath and path.read_bytes() == content
    assert lines == [f"experimental/tiny.csv: downloaded to {path}"]


def test_cli_fetch_says_it_found_the_file(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from amn.cli import main

    _registered_copy(tmp_path, monkeypatch, "mine")
    monkeypatch.setenv(data.ENV_VAR, str(tmp_path / "mine"))
    result = CliRunner().invoke(main, ["data", "fetch", "tiny"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"experimental/tiny.csv: found at {tmp_path / 'mine' / 'experimental' / 'tiny.csv'}; not downloading"
    given = CliRunner().invoke(main, ["data", "fetch", "tiny", "--dest", str(tmp_path / "mine")])
    assert given.exit_code == 0 and "not downloading" in given.output
