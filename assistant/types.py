"""The typed objects that flow between stages: documents, chunks, hits."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

UnitKind = Literal["passage", "axe", "action", "dispositif", "acteur"]
UNIT_KINDS: tuple[UnitKind, ...] = ("passage", "axe", "action", "dispositif", "acteur")

MetadataValue = str | int | float | list[str] | None


@dataclass(frozen=True)
class Document:
    """A corpus document as text (Markdown-like: ``#`` headings, ``-`` bullets)."""

    name: str
    title: str
    text: str
    format: str
    path: Path | None = None
    territory: str | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class SourceSpan:
    """Where a unit's text comes from: a document, its section path, character offsets."""

    document: str
    section: str
    start: int
    end: int


@dataclass(frozen=True)
class Chunk:
    """A retrievable unit: a passage of a document, or a structured record rendered as text.

    ``text`` is what users see (the verbatim passage, or the record in readable French);
    ``context`` (document title, section path) is prepended to it for embedding and lexical
    indexing, so that a passage of a benchmark sheet still says which territory it is about.
    """

    id: str
    kind: UnitKind
    text: str
    context: str
    source: SourceSpan
    metadata: dict[str, MetadataValue] = field(default_factory=dict)

    @property
    def indexed_text(self) -> str:
        return f"{self.context}\n{self.text}" if self.context else self.text


@dataclass(frozen=True)
class Hit:
    """A unit returned by retrieval; ``score`` is higher for better matches."""

    chunk: Chunk
    score: float


@dataclass(frozen=True)
class SkippedFile:
    """A file that could not be ingested, with the reason in plain words."""

    path: str
    reason: str


@dataclass(frozen=True)
class Citation:
    """A numbered source of an answer: a verbatim passage of a document, where it stands."""

    number: int
    unit_id: str
    kind: UnitKind
    text: str
    source: SourceSpan
    record_id: str | None = None


@dataclass(frozen=True)
class RelatedPassage:
    """A passage close to the question that does not answer it: offered to read further,
    never part of the answer's text or citations."""

    unit_id: str
    kind: UnitKind
    text: str
    source: SourceSpan
    record_id: str | None = None


@dataclass(frozen=True)
class Answer:
    """An answer with its citations; ``abstained`` when the corpus does not answer.
    ``resolved_question`` is the question as understood, set only when a follow-up was
    rewritten; ``related`` holds close passages that do not answer."""

    question: str
    resolved_question: str | None
    text: str
    abstained: bool
    citations: list[Citation]
    language: str
    generator: str = "extractive"
    notice: str | None = None
    hits: list[Hit] = field(default_factory=list)
    related: list[RelatedPassage] = field(default_factory=list)
