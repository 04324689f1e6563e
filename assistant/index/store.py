"""The built index on disk: vectors, BM25, the units, and a manifest, swapped in atomically.

Layout of ``index_dir``::

    LATEST                 name of the current build (replaced atomically with os.replace)
    builds/<build id>/     manifest.json, units.jsonl, vectors.npy (+ vectors.faiss and
                           vectors-f16.npy for an approximate index), segments-rows.npy,
                           segments-vectors.npy (+ segments-codes.npy and segments-scale.npy
                           past 50,000 sentences), bm25/
                           (the BM25 index), documents.jsonl (the texts the units' offsets
                           point into)
    .lock                  held while a build runs

A build is written to its own folder and only then named in ``LATEST``: an interrupted build
never leaves a half-written index, and readers always see a complete one.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import sys
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast
from uuid import uuid4
from zipfile import BadZipFile

import numpy as np
from pydantic import BaseModel, ValidationError

from assistant import __version__
from assistant.errors import (
    BuildInProgressError,
    IndexCorruptError,
    IndexMismatchError,
    IndexNotFoundError,
)
from assistant.index.bm25 import FOLDER as LEXICAL
from assistant.index.bm25 import TermIndex
from assistant.index.sentences import SegmentIndex
from assistant.index.vectors import FAISS_FILE, VECTORS_FILE, VectorIndex
from assistant.types import Chunk, SkippedFile, SourceSpan, UnitKind

# 2: vectors as a memory-mapped .npy, the BM25 index saved, sentence vectors as float16 .npy,
# the index type in the manifest.
FORMAT_VERSION = 2
MANIFEST = "manifest.json"
UNITS = "units.jsonl"
DOCUMENTS = "documents.jsonl"
VECTORS = VECTORS_FILE
REBUILD_HINT = 'run "assistant build" to rebuild the index'
# What reading a damaged file can raise: truncated FAISS (RuntimeError), garbage JSON
# (ValueError, KeyError, TypeError), a broken npz (BadZipFile, EOFError), bad UTF-8 (ValueError).
_READ_ERRORS = (
    OSError, ValueError, KeyError, TypeError, RuntimeError, EOFError, BadZipFile, ValidationError
)  # fmt: skip


class Manifest(BaseModel):
    """What an index was built from and with; checked against the settings when loading."""

    format_version: int = FORMAT_VERSION
    package_version: str = __version__
    built_at: str
    build_seconds: float
    embedder: dict[str, Any]
    chunking: dict[str, Any]
    faiss_factory: str
    index_type: str = "flat"  # "flat" (exact) or "ivf-sq8" (approximate), checked on load
    corpus_fingerprint: str
    documents: list[dict[str, Any]]
    record_files: list[str]
    counts: dict[str, int]
    skipped: list[dict[str, str]]
    reused_embeddings: int
    stage_seconds: dict[str, float] = {}  # where the build's time went (assemble, embed…)


class LoadedIndex:
    """A complete build read from disk: manifest, units, their vectors and sentence vectors."""

    def __init__(
        self,
        path: Path,
        manifest: Manifest,
        units: list[Chunk],
        vectors: VectorIndex,
        segments: SegmentIndex | None = None,
        documents: dict[str, str] | None = None,
        lexical: TermIndex | None = None,
    ) -> None:
        self.path = path
        self.manifest = manifest
        self.units = units
        self.vectors = vectors
        self.segments = segments
        self.documents = documents or {}  # name -> text: citations quote it at exact offsets
        self.lexical = lexical  # the saved BM25 arrays (None: the retriever makes them)


def corpus_fingerprint(files: Iterable[Path]) -> str:
    """A hash of the corpus files' names and bytes: it changes when any input changes."""
    digest = hashlib.sha256()
    for path in sorted(set(files)):
        digest.update(str(path).encode())
        try:
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        except OSError:
            digest.update(b"<unreadable>")
    return digest.hexdigest()


def current_build(index_dir: Path) -> Path | None:
    pointer = index_dir / "LATEST"
    if not pointer.is_file():
        return None
    path = index_dir / "builds" / pointer.read_text(encoding="utf-8").strip()
    return path if (path / MANIFEST).is_file() else None


def require_build(index_dir: Path) -> Path:
    """The folder of the current build; ``IndexNotFoundError`` when nothing was built yet."""
    path = current_build(index_dir)
    if path is None:
        raise IndexNotFoundError(f"no index in {index_dir}", hint='run "assistant build" first')
    return path


def read_manifest(index_dir: Path) -> Manifest:
    path = require_build(index_dir)
    return _read_manifest(path)


def _read_manifest(path: Path) -> Manifest:
    try:
        return Manifest.model_validate_json((path / MANIFEST).read_text(encoding="utf-8"))
    except _READ_ERRORS as exc:
        raise _corrupt(path / MANIFEST, exc) from exc


def _corrupt(path: Path, exc: BaseException | str) -> IndexCorruptError:
    detail = exc if isinstance(exc, str) else (str(exc).splitlines() or [type(exc).__name__])[0]
    return IndexCorruptError(
        f"the index file {path} is damaged or incomplete ({str(detail)[:200]})",
        hint='run "assistant build" to rebuild the index from scratch',
    )


def load_index(
    index_dir: Path, *, embedder: dict[str, Any], chunking: dict[str, Any]
) -> LoadedIndex:
    """Read the current build; refuse it when it was built with another embedder or chunking,
    and raise ``IndexCorruptError`` naming the file when one is missing or damaged."""
    path = require_build(index_dir)
    manifest = _read_manifest(path)
    check_compatible(manifest, embedder=embedder, chunking=chunking)
    return _read_build(path, manifest)


def verify_build(index_dir: Path) -> None:
    """Read every file of the current build; ``IndexCorruptError`` naming the first bad one."""
    path = require_build(index_dir)
    _read_build(path, _read_manifest(path))


def _read_build(path: Path, manifest: Manifest) -> LoadedIndex:
    try:
        units = [_unit_from_json(json.loads(line)) for line in _lines(path / UNITS)]
    except _READ_ERRORS as exc:
        raise _corrupt(path / UNITS, exc) from exc
    if not (path / VECTORS).is_file():
        raise _corrupt(path / VECTORS, "the file is missing")
    try:
        vectors = VectorIndex.read(path, kind=manifest.index_type)
    except IndexMismatchError as exc:
        raise IndexMismatchError(exc.message, hint=REBUILD_HINT) from exc
    except _READ_ERRORS as exc:
        bad = _first_bad(path, [VECTORS])
        if manifest.index_type != "flat" and _readable(bad):
            bad = path / FAISS_FILE
        raise _corrupt(bad, exc) from exc
    if len(vectors) != len(units):
        raise IndexMismatchError(
            f"the index in {path} is inconsistent: {len(vectors)} vectors for {len(units)} units",
            hint=REBUILD_HINT,
        )
    documents: dict[str, str] = {}
    if (path / DOCUMENTS).exists():
        try:
            for line in _lines(path / DOCUMENTS):
                row = json.loads(line)
                documents[str(row["name"])] = str(row["text"])
        except _READ_ERRORS as exc:
            raise _corrupt(path / DOCUMENTS, exc) from exc
    try:
        segments = SegmentIndex.load(path)
    except _READ_ERRORS as exc:
        raise _corrupt(_first_bad(path, SegmentIndex.FILES), exc) from exc
    if (
        segments is not None
        and len(segments)
        and (
            segments.vectors.shape != (len(segments), vectors.dim)
            or int(segments.rows[-1, 0]) >= len(units)
        )
    ):
        raise _corrupt(path / SegmentIndex.VECTORS_FILE, "its sentences do not match the units")
    lexical = _read_lexical(path, len(units))
    return LoadedIndex(path, manifest, units, vectors, segments, documents, lexical)


def _read_lexical(path: Path, units: int) -> TermIndex | None:
    """The saved BM25 arrays of a build, memory-mapped (``None`` when it has none)."""
    try:
        lexical = TermIndex.load(path)
    except _READ_ERRORS as exc:
        raise _corrupt(path / LEXICAL, exc) from exc
    if lexical is not None and lexical.size != units:
        raise _corrupt(path / LEXICAL, f"it holds {lexical.size} units, the build {units}")
    return lexical


def _first_bad(path: Path, names: Iterable[str]) -> Path:
    """The first of the ``.npy`` files ``names`` in ``path`` that numpy cannot open (the last
    one when they all open)."""
    last = path
    for name in names:
        if name in SegmentIndex.OPTIONAL and not (path / name).exists():
            continue
        last = path / name
        if not _readable(last):
            break
    return last


def _readable(npy: Path) -> bool:
    try:
        np.load(npy, mmap_mode="r")
    except _READ_ERRORS:
        return False
    return True


def check_compatible(
    manifest: Manifest, *, embedder: dict[str, Any], chunking: dict[str, Any]
) -> None:
    """Raise ``IndexMismatchError`` naming every setting that differs from the built index."""
    problems: list[str] = []
    if manifest.format_version != FORMAT_VERSION:
        problems.append(f"index format {manifest.format_version} (expected {FORMAT_VERSION})")
    for key, wanted in embedder.items():
        built = manifest.embedder.get(key)
        if built != wanted:
            problems.append(f"embedder {key} is {built!r} in the index but {wanted!r} now")
    for key, wanted in chunking.items():
        built = manifest.chunking.get(key)
        if built != wanted:
            problems.append(f"{key} is {built!r} in the index but {wanted!r} now")
    if problems:
        raise IndexMismatchError(
            "the index was built with other settings: " + "; ".join(problems), hint=REBUILD_HINT
        )


def write_build(
    index_dir: Path,
    manifest: Manifest,
    units: list[Chunk],
    vectors: VectorIndex,
    segments: SegmentIndex | None = None,
    documents: dict[str, str] | None = None,
    lexical: TermIndex | None = None,
) -> Path:
    """Write a complete build beside the current one, then make it current atomically."""
    builds = index_dir / "builds"
    builds.mkdir(parents=True, exist_ok=True)
    build_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid4().hex[:8]
    staging = builds / f".tmp-{build_id}"
    staging.mkdir()
    try:
        vectors.write(staging)
        if segments is not None:
            segments.save(staging)
        if lexical is not None:
            lexical.save(staging)
        with (staging / DOCUMENTS).open("w", encoding="utf-8") as out:
            for name, text in (documents or {}).items():
                out.write(json.dumps({"name": name, "text": text}, ensure_ascii=False) + "\n")
        with (staging / UNITS).open("w", encoding="utf-8") as out:
            for unit in units:
                out.write(json.dumps(_unit_to_json(unit), ensure_ascii=False) + "\n")
        (staging / MANIFEST).write_text(manifest.model_dump_json(indent=2), encoding="utf-8")
        final = builds / build_id
        staging.rename(final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    pointer = index_dir / f".LATEST.{build_id}"
    pointer.write_text(build_id + "\n", encoding="utf-8")
    os.replace(pointer, index_dir / "LATEST")
    _prune(builds, keep=build_id)
    return final


@contextlib.contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    """Hold the index lock for the duration of a build; refuse a concurrent one."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with (index_dir / ".lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise BuildInProgressError(
                f"another build of {index_dir} is running", hint="wait for it to finish"
            ) from exc
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def skipped_to_json(skipped: list[SkippedFile]) -> list[dict[str, str]]:
    return [asdict(item) for item in skipped]


def _prune(builds: Path, *, keep: str) -> None:
    for path in builds.iterdir():
        if path.name != keep:
            shutil.rmtree(path, ignore_errors=True)


def _lines(path: Path) -> Iterator[str]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield line


def _unit_to_json(unit: Chunk) -> dict[str, Any]:
    return {
        "id": unit.id,
        "kind": unit.kind,
        "text": unit.text,
        "context": unit.context,
        "source": asdict(unit.source),
        "metadata": unit.metadata,
    }


def _unit_from_json(row: dict[str, Any]) -> Chunk:
    """A unit of ``units.jsonl``. Every string but its id and text is interned: units of one
    section share their context, document, section and metadata values, which JSON parsing
    would otherwise copy into every unit (at a million units, gigabytes)."""
    source = row["source"]
    return Chunk(
        id=row["id"],
        kind=cast(UnitKind, sys.intern(row["kind"])),
        text=row["text"],
        context=sys.intern(row["context"]),
        source=SourceSpan(
            document=sys.intern(source["document"]),
            section=sys.intern(source["section"]),
            start=source["start"],
            end=source["end"],
        ),
        metadata={sys.intern(key): _interned(value) for key, value in row["metadata"].items()},
    )


def _interned(value: Any) -> Any:
    if isinstance(value, str):
        return sys.intern(value)
    if isinstance(value, list):
        return [sys.intern(v) if isinstance(v, str) else v for v in value]
    return value
