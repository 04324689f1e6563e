"""Everything that goes into an index: documents, records, and the units made from them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from assistant.ingest.catalog import RECORD_SUFFIXES, RecordCatalog, load_catalog
from assistant.ingest.chunking import Chunker
from assistant.ingest.documents import load_documents
from assistant.ingest.render import record_units
from assistant.profile import PlanPatterns
from assistant.text import fold
from assistant.types import Chunk, Document, SkippedFile
from assistant.vocabulary import Vocabulary


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


@dataclass(frozen=True)
class CorpusFolder:
    """Where a corpus' inputs are: its documents, its records and its data files (profile,
    vocabulary), and the limits a document must keep to."""

    documents_dir: Path
    records_dir: Path
    data_files: tuple[Path, ...] = ()
    max_pages: int | None = None
    max_bytes: int | None = None


def corpus_files(folder: CorpusFolder, extra_paths: Sequence[Path] = ()) -> list[Path]:
    """The input files of a build, for the corpus fingerprint (no parsing)."""
    files: list[Path] = []
    for root in (folder.documents_dir, *extra_paths):
        if root.is_dir():
            files += [p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")]
        elif root.is_file():
            files.append(root)
    if folder.records_dir.is_dir():
        files += [p for p in folder.records_dir.iterdir() if p.suffix.lower() in RECORD_SUFFIXES]
    files += [p for p in folder.data_files if p.is_file()]
    return sorted(files)


def assemble_corpus(
    folder: CorpusFolder,
    *,
    chunker: Chunker,
    plan: PlanPatterns,
    vocabulary: Vocabulary,
    extra_paths: Sequence[Path] = (),
) -> CorpusSnapshot:
    """Load documents and records, chunk the documents, render the records."""
    roots = [folder.documents_dir] if folder.documents_dir.exists() else []
    documents, skipped = load_documents(
        [*roots, *extra_paths], max_pages=folder.max_pages, max_bytes=folder.max_bytes
    )
    by_name = {document.name: document for document in documents}
    catalog = load_catalog(folder.records_dir, by_name, vocabulary=vocabulary, plan=plan)
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
