"""The document view: a corpus document read from the corpus folder, around a cited passage."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from assistant.ingest.documents import SUPPORTED_SUFFIXES, UnreadableDocument, load_document
from assistant.types import Document

CONTEXT_CHARS = 1500


@dataclass(frozen=True)
class Excerpt:
    before: str
    passage: str
    after: str


def document_names(corpus_dir: Path) -> list[str]:
    folder = corpus_dir / "documents"
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.suffix.lower() in SUPPORTED_SUFFIXES)


def open_document(corpus_dir: Path, name: str) -> Document | None:
    """The document of that name in the corpus folder (None for any other name)."""
    if name not in document_names(corpus_dir):
        return None
    try:
        return load_document(corpus_dir / "documents" / name)
    except UnreadableDocument:
        return None


def excerpt(text: str, start: int, end: int, *, context: int = CONTEXT_CHARS) -> Excerpt | None:
    """The passage ``text[start:end]`` with up to ``context`` characters around it, cut at lines."""
    if not 0 <= start < end <= len(text):
        return None
    head = max(0, start - context)
    line = text.find("\n", head, start)  # begin at a line start: the first one in the window,
    head = line + 1 if line != -1 else text.rfind("\n", 0, start) + 1  # or the passage's own
    tail = min(len(text), end + context)
    line = text.rfind("\n", end, tail)  # end at a line end: the last one in the window,
    if line == -1:  # or the passage's own
        line = text.find("\n", end)
    tail = len(text) if line == -1 else line
    return Excerpt(text[head:start], text[start:end], text[end:tail])
