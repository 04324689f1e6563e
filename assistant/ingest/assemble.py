"""Everything that goes into an index: documents, records, and the units made from them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from assistant.config import Settings
from assistant.ingest.catalog import RECORD_SUFFIXES, RecordCatalog, load_catalog
from assistant.ingest.chunking import Chunker
from assistant.ingest.documents import load_documents
from assistant.ingest.render import record_units
from assistant.profile import load_profile
from assistant.text import fold
from assistant.types import Chunk, Document, SkippedFile
from assistant.vocabulary import load_vocabulary


@dataclass(frozen=True)
class CorpusSnapshot:
    """The loaded corpus and its retrievable units (passages first, then records)."""

    documents: list[Document]
    skipped: list[SkippedFile]
    catalog: RecordCatalog
    units: list[Chunk]

    @property
    def passage_count(self) -> int:
        return sum(1 for unit in self.units if unit.kind == "passage")


def corpus_files(settings: Settings, extra_paths: Sequence[Path] = ()) -> list[Path]:
    """The input files of a build, for the corpus fingerprint (no parsing)."""
    files: list[Path] = []
    for root in (settings.documents_dir, *extra_paths):
        if root.is_dir():
            files += [p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")]
        elif root.is_file():
            files.append(root)
    if settings.records_dir.is_dir():
        files += [p for p in settings.records_dir.iterdir() if p.suffix.lower() in RECORD_SUFFIXES]
    files += [p for p in (settings.profile_path, settings.vocabulary_path) if p.is_file()]
    return sorted(files)


def assemble_corpus(settings: Settings, extra_paths: Sequence[Path] = ()) -> CorpusSnapshot:
    """Load documents and records, chunk the documents, render the records."""
    roots = [settings.documents_dir] if settings.documents_dir.exists() else []
    documents, skipped = load_documents(
        [*roots, *extra_paths],
        max_pages=settings.max_document_pages,
        max_bytes=settings.max_document_bytes,
    )
    by_name = {document.name: document for document in documents}
    plan = load_profile(settings.profile_path).plan
    vocabulary = load_vocabulary(settings.vocabulary_path)
    catalog = load_catalog(settings.records_dir, by_name, vocabulary=vocabulary, plan=plan)
    chunker = Chunker(
        chunk_size=settings.chunk_size, chunk_overlap=settings.chunk_overlap, plan=plan
    )
    passages = [chunk for document in documents for chunk in chunker.chunk(document)]
    passages = _assign_territories(passages, _territories(catalog))
    return CorpusSnapshot(documents, skipped, catalog, passages + record_units(catalog, by_name))


def _territories(catalog: RecordCatalog) -> list[str]:
    names = {scheme.territory for scheme in catalog.dispositifs.values()}
    names |= {actor.territory for actor in catalog.acteurs.values()}
    return sorted(names, key=len, reverse=True)


def _assign_territories(passages: list[Chunk], territories: list[str]) -> list[Chunk]:
    """A passage whose section path names a territory of the records is about that territory.

    This is what makes a benchmark sheet's paragraphs filterable by territory, although the
    paragraphs themselves rarely name it.
    """
    folded = [(fold(name), name) for name in territories]
    out: list[Chunk] = []
    for passage in passages:
        section = fold(passage.source.section)
        match = next((name for key, name in folded if key and key in section), None)
        if match is not None:
            passage = replace(passage, metadata={**passage.metadata, "territory": match})
        out.append(passage)
    return out
