"""A damaged index is named on load with the fix, treated as needing a build, and rebuilt."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.build import build_index, index_status
from assistant.config import Settings
from assistant.errors import IndexCorruptError, IndexNotFoundError
from assistant.index.store import MANIFEST, UNITS, VECTORS, current_build, load_index, verify_build
from tests.conftest import REPO, FakeEmbedder, small_settings, write_small_corpus


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _garbage(path: Path) -> None:
    path.write_bytes(b"\x00{not json at all\n")


def _json_of_wrong_shape(path: Path) -> None:
    path.write_text('{"id": 1}\n', encoding="utf-8")


def _empty(path: Path) -> None:
    path.write_bytes(b"")


CORRUPTIONS: list[tuple[str, Callable[[Path], None]]] = [
    (VECTORS, _truncate),
    (VECTORS, _garbage),
    (VECTORS, _empty),
    (VECTORS, Path.unlink),
    (UNITS, _garbage),
    (UNITS, _json_of_wrong_shape),
    (UNITS, _truncate),
    (MANIFEST, _garbage),
    (MANIFEST, _json_of_wrong_shape),
    ("documents.jsonl", _garbage),
    ("segments-vectors.npy", _truncate),
    ("segments-vectors.npy", _garbage),
    ("segments-rows.npy", _garbage),
    ("bm25/params.index.json", _garbage),
    ("bm25/data.csc.index.npy", _truncate),
]


@pytest.fixture
def built(tmp_path: Path) -> Settings:
    write_small_corpus(tmp_path)
    settings = small_settings(tmp_path)
    build_index(settings, embedder=FakeEmbedder(), progress=False)
    return settings


def _load(settings: Settings) -> None:
    load_index(settings.index_dir, embedder={"backend": "fake"}, chunking={})


@pytest.mark.parametrize(("name", "damage"), CORRUPTIONS, ids=lambda v: getattr(v, "__name__", v))
def test_each_kind_of_damage_is_named_with_the_fix_and_repaired_by_a_build(
    built: Settings, name: str, damage: Callable[[Path], None]
) -> None:
    build = current_build(built.index_dir)
    assert build is not None
    damage(build / name)
    named = name.split("/")[0]  # a file of the BM25 folder is reported as the folder
    if name == MANIFEST:
        # Without a readable manifest the build is not complete: reported as such, named.
        with pytest.raises((IndexCorruptError, IndexNotFoundError)) as caught:
            _load(built)
    else:
        with pytest.raises(IndexCorruptError) as caught:
            _load(built)
        assert named in caught.value.message
    assert caught.value.hint is not None and "assistant build" in caught.value.hint
    reason = index_status(built)  # what --if-needed says before it rebuilds
    assert reason is not None and (named in reason or "no index" in reason)
    embedder = FakeEmbedder()
    report = build_index(built, embedder=embedder, progress=False)
    assert report.units > 0 and report.reused == 0  # from scratch
    _load(built)
    verify_build(built.index_dir)


def run_cli(args: list[str], settings: Settings, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args],
        cwd=REPO,
        env={
            **os.environ,
            "ASSISTANT_CORPUS_DIR": str(settings.corpus_dir),
            "ASSISTANT_INDEX_DIR": str(settings.index_dir),
            "ASSISTANT_CHUNK_SIZE": "400",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_search_serve_and_build_on_a_truncated_faiss_file_say_so_without_a_traceback(
    tmp_path: Path,
) -> None:
    write_small_corpus(tmp_path)
    settings = small_settings(tmp_path)
    assert run_cli(["build", "--quiet"], settings).returncode == 0
    build = current_build(settings.index_dir)
    assert build is not None
    _truncate(build / VECTORS)
    for command in (["search", "vélos"], ["serve", "--port", "1"]):
        result = run_cli(command, settings)
        assert result.returncode == 1, result.stderr
        assert "Traceback" not in result.stderr
        assert VECTORS in result.stderr and 'hint: run "assistant build"' in result.stderr
    needed = run_cli(["build", "--if-needed", "--quiet"], settings)
    assert needed.returncode == 0, needed.stderr
    assert "Building the index" in needed.stdout and VECTORS in needed.stdout
    assert run_cli(["search", "vélos"], settings).returncode == 0


def test_serve_refuses_to_start_without_the_corpus_folder(tmp_path: Path) -> None:
    write_small_corpus(tmp_path)
    settings = small_settings(tmp_path)
    build_index(settings, embedder=FakeEmbedder(), progress=False)
    shutil.rmtree(settings.corpus_dir)
    result = run_cli(["serve", "--port", "1"], settings)
    assert result.returncode == 1
    assert "corpus folder" in result.stderr and "hint: set ASSISTANT_CORPUS_DIR" in result.stderr
    assert "Traceback" not in result.stderr


def test_kill_during_a_build_leaves_the_served_index_whole(tmp_path: Path) -> None:
    write_small_corpus(tmp_path)
    settings = small_settings(tmp_path)
    assert run_cli(["build", "--quiet"], settings).returncode == 0
    before = current_build(settings.index_dir)
    many = settings.documents_dir / "grand.md"
    many.write_text("\n\n".join(f"# Partie {i}\n\nTexte numéro {i} du guide." for i in range(3000)))
    process = subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "build", "--quiet"], cwd=REPO,
        env={**os.environ, "ASSISTANT_CORPUS_DIR": str(settings.corpus_dir),
             "ASSISTANT_INDEX_DIR": str(settings.index_dir), "ASSISTANT_CHUNK_SIZE": "400"},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    # A few seconds in, it is loading the model or embedding 3,000 new parts (a minute's work).
    time.sleep(5)
    assert process.poll() is None, "the build finished before it could be interrupted"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert current_build(settings.index_dir) == before
    verify_build(settings.index_dir)
    assert run_cli(["search", "vélos"], settings).returncode == 0
