"""Offline pipeline: load → chunk → embed → index, written atomically under ``index_dir``.

Vectors of units whose indexed text did not change are taken from the previous build, so a
rebuild only embeds what is new. A corpus may also carry its vectors (``embeddings/<model>.npz``
in the corpus folder, written by ``assistant build --save-embeddings``): a fresh clone's first
build then embeds only what changed since they were saved, instead of every text (the seed
corpus' 1,061 distinct texts take 40-100 s to embed on 2 cores, its saved vectors 0.1 s to read).
"""

from __future__ import annotations

import hashlib
import logging
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from tqdm import tqdm

from assistant.config import Settings
from assistant.errors import AssistantError, CorpusError
from assistant.index.bm25 import TermIndex
from assistant.index.embedders import Embedder, Vectors, embedder_identity
from assistant.index.sentences import SegmentIndex, segment_rows, segment_text
from assistant.index.store import (
    Manifest,
    build_lock,
    check_compatible,
    corpus_fingerprint,
    current_build,
    load_index,
    read_manifest,
    skipped_to_json,
    verify_build,
    write_build,
)
from assistant.index.vectors import VectorIndex
from assistant.ingest.assemble import CorpusSnapshot, corpus_files
from assistant.retrieval.lexical import FrenchAnalyzer
from assistant.types import SkippedFile
from assistant.wiring import (
    assemble_corpus,
    chunking_settings,
    corpus_folder,
    embedder_settings,
    make_embedder,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BuildReport:
    """What a build did, for the summary line and the tests."""

    path: Path
    documents: int
    passages: int
    records: int
    units: int
    segments: int
    embedded: int
    reused: int
    seconds: float
    size_bytes: int
    skipped: list[SkippedFile] = field(default_factory=list)
    database_build: str | None = None  # the PostgreSQL build id (ASSISTANT_STORE=postgres)


def index_status(settings: Settings, extra_paths: Sequence[Path] = ()) -> str | None:
    """Why the index needs a (re)build, or ``None`` when it is current (a damaged build is
    never current)."""
    try:
        verify_build(settings.index_dir)
        manifest = read_manifest(settings.index_dir)
        check_compatible(
            manifest, embedder=embedder_settings(settings), chunking=chunking_settings(settings)
        )
    except AssistantError as exc:
        return exc.message
    if manifest.corpus_fingerprint != corpus_fingerprint(
        corpus_files(corpus_folder(settings), extra_paths)
    ):
        return "the corpus changed since the index was built"
    if settings.store == "postgres":
        from assistant.pgstore.status import database_status

        return database_status(
            settings.database_url,
            manifest.corpus_fingerprint,
            embedder=embedder_settings(settings),
            chunking=chunking_settings(settings),
        )
    return None


def build_index(
    settings: Settings,
    *,
    extra_paths: Sequence[Path] = (),
    embedder: Embedder | None = None,
    progress: bool = True,
    save_embeddings: bool = False,
) -> BuildReport:
    """Build the index from the corpus (and ``extra_paths``); return what was done.

    ``save_embeddings`` also writes every vector of the build to the corpus' embeddings file,
    for the next fresh build of the same corpus."""
    started = time.perf_counter()
    laps = _Laps()
    embedder = embedder or make_embedder(settings)
    with build_lock(settings.index_dir):
        snapshot = assemble_corpus(settings, extra_paths)
        laps.lap("assemble")
        if not snapshot.units:
            raise CorpusError(
                f"nothing to index: no readable document in {settings.documents_dir} "
                "and no records",
                hint="add Markdown, text, PDF, DOCX or HTML files to corpus/documents/",
            )
        rows = segment_rows(snapshot.units)
        texts = [unit.indexed_text for unit in snapshot.units]
        texts += [segment_text(snapshot.units[u], s, e) for u, s, e in rows.tolist()]
        cached = {**saved_embeddings(settings, embedder), **_previous_vectors(settings, embedder)}
        laps.lap("previous_vectors")
        vectors, reused = _embed(texts, embedder, cached, progress=progress)
        laps.lap("embed")
        unit_count = len(snapshot.units)
        index = VectorIndex.from_vectors(
            vectors[:unit_count], approximate_above=settings.approximate_above
        )
        segments = SegmentIndex(rows=rows, vectors=vectors[unit_count:])
        analyzer = FrenchAnalyzer()
        lexical = TermIndex.build([analyzer(unit.indexed_text) for unit in snapshot.units])
        laps.lap("index")
        if save_embeddings:
            _save_embeddings(settings, embedder, texts, vectors)
        seconds = round(time.perf_counter() - started, 2)
        manifest = _manifest(
            settings, snapshot, embedder, extra_paths, seconds, reused, len(segments), index
        )
        manifest.stage_seconds = laps.seconds
        texts_by_name = {document.name: document.text for document in snapshot.documents}
        database_build = None
        if settings.store == "postgres":
            # The database first: the local build below stays the cache of the next one.
            from assistant.pgstore.writer import write_postgres_build

            database_build = write_postgres_build(
                settings.database_url, manifest.model_dump(mode="json"), snapshot.units,
                vectors[:unit_count], segments, texts_by_name,
            ).build_id  # fmt: skip
        path = write_build(
            settings.index_dir, manifest, snapshot.units, index, segments, texts_by_name, lexical
        )
    return BuildReport(
        path=path,
        documents=len(snapshot.documents),
        passages=snapshot.passage_count,
        records=len(snapshot.catalog),
        units=len(snapshot.units),
        segments=len(rows),
        embedded=len(texts) - reused,
        reused=reused,
        seconds=round(time.perf_counter() - started, 2),
        size_bytes=sum(p.stat().st_size for p in path.rglob("*") if p.is_file()),
        skipped=snapshot.skipped,
        database_build=database_build,
    )


class _Laps:
    """Seconds spent in each stage of a build, for the manifest (where a build's time goes)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.seconds[stage] = round(now - self._last, 2)
        self._last = now


def _previous_vectors(settings: Settings, embedder: Embedder) -> dict[str, Vectors]:
    """Vectors of the current build (units and sentences) by the hash of the text embedded,
    when made by the same embedder."""
    if current_build(settings.index_dir) is None:
        return {}
    try:
        previous = load_index(
            settings.index_dir,
            embedder={"backend": embedder.backend, "model": embedder.model},
            chunking={},
        )
    except AssistantError as exc:
        logger.info("not reusing the previous build's vectors: %s", exc.message)
        return {}
    stored = previous.vectors.vectors()
    cache = {_digest(unit.indexed_text): stored[i] for i, unit in enumerate(previous.units)}
    if previous.segments is not None:
        for (u, s, e), vector in zip(
            previous.segments.rows.tolist(), previous.segments.vectors, strict=True
        ):
            cache[_digest(segment_text(previous.units[u], s, e))] = vector
    return cache


def embeddings_path(settings: Settings, embedder: Embedder) -> Path:
    """The corpus' saved vectors for this embedder."""
    name = "".join(c if c.isalnum() or c in "-." else "_" for c in embedder.model)
    return settings.corpus_dir / "embeddings" / f"{embedder.backend}-{name}.npz"


def saved_embeddings(settings: Settings, embedder: Embedder) -> dict[str, Vectors]:
    """The corpus' saved vectors by the hash of the text embedded, when saved by the same
    embedder (an unreadable or foreign file is ignored: the texts are embedded instead)."""
    path = embeddings_path(settings, embedder)
    if not path.is_file():
        return {}
    try:
        with np.load(path, allow_pickle=False) as data:
            identity = str(data["identity"])
            digests = data["digests"].tolist()
            vectors = np.asarray(data["vectors"], dtype=np.float32)
    except (OSError, ValueError, KeyError, EOFError) as exc:
        logger.warning("ignoring the saved vectors in %s: %s", path, exc)
        return {}
    if identity != f"{embedder.backend}/{embedder.model}" or vectors.shape[0] != len(digests):
        logger.info("not using %s: saved by another embedder", path)
        return {}
    return dict(zip(digests, vectors, strict=True))


def _save_embeddings(
    settings: Settings, embedder: Embedder, texts: list[str], vectors: Vectors
) -> None:
    rows = dict(zip((_digest(text) for text in texts), range(len(texts)), strict=True))
    path = embeddings_path(settings, embedder)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_suffix(".tmp.npz")
    np.savez(
        staging,
        identity=np.asarray(f"{embedder.backend}/{embedder.model}"),
        digests=np.asarray(list(rows)),
        vectors=vectors[list(rows.values())],
    )
    staging.replace(path)
    logger.info("saved %d vectors to %s", len(rows), path)


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _embed(
    texts: list[str], embedder: Embedder, cached: dict[str, Vectors], *, progress: bool
) -> tuple[Vectors, int]:
    """Vectors of ``texts``, taken from ``cached`` when present; also the count reused."""
    dim = embedder.dim
    vectors = np.empty((len(texts), dim), dtype=np.float32)
    missing: list[int] = []
    for i, text in enumerate(texts):
        vector = cached.get(_digest(text))
        if vector is not None and vector.shape == (dim,):
            vectors[i] = vector
        else:
            missing.append(i)
    # Identical texts (a page repeated in a PDF, a sentence in two units) are embedded once.
    same_text: dict[str, list[int]] = {}
    for i in missing:
        same_text.setdefault(_digest(texts[i]), []).append(i)
    if missing:
        with tqdm(
            total=len(same_text), desc="Embedding", unit="text", disable=not progress,
            file=sys.stderr,
        ) as bar:  # fmt: skip

            def advance(done: int) -> None:
                bar.update(done)

            firsts = [positions[0] for positions in same_text.values()]
            fresh = embedder.embed_documents([texts[i] for i in firsts], progress=advance)
        for row, positions in enumerate(same_text.values()):
            vectors[positions] = fresh[row]
    return vectors, len(texts) - len(missing)


def _manifest(
    settings: Settings,
    snapshot: CorpusSnapshot,
    embedder: Embedder,
    extra_paths: Sequence[Path],
    seconds: float,
    reused: int,
    segments: int,
    index: VectorIndex,
) -> Manifest:
    return Manifest(
        built_at=datetime.now(UTC).isoformat(timespec="seconds"),
        build_seconds=seconds,
        embedder=embedder_identity(embedder),
        chunking=chunking_settings(settings),
        faiss_factory=index.factory,
        index_type=index.kind,
        corpus_fingerprint=corpus_fingerprint(corpus_files(corpus_folder(settings), extra_paths)),
        documents=[
            {
                "name": d.name,
                "title": d.title,
                "format": d.format,
                "chars": len(d.text),
                "sha256": d.sha256,
            }
            for d in snapshot.documents
        ],
        record_files=snapshot.catalog.files,
        counts={
            "documents": len(snapshot.documents),
            "passages": snapshot.passage_count,
            "records": len(snapshot.catalog),
            **{f"records_{kind}": n for kind, n in snapshot.catalog.counts().items()},
            "units": len(snapshot.units),
            "segments": segments,
            "skipped": len(snapshot.skipped),
        },
        skipped=skipped_to_json(snapshot.skipped),
        reused_embeddings=reused,
    )
