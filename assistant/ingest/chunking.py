"""Cut documents into passages that keep their context.

Headings first: each section is chunked on its own and every chunk carries its section path.
Inside a section, paragraphs are packed up to ``chunk_size`` characters, and a paragraph ending
with ":" stays with the list it introduces (split apart, both lose their meaning). A paragraph
longer than ``chunk_size`` is cut by langchain's recursive splitter, on list items first; the
pieces after the first carry the list's introduction in their context.

A chunk's text is always ``document.text[start:end]``, so citations can point at exact offsets.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass

from assistant.errors import ConfigurationError
from assistant.ingest.sections import Section, split_sections
from assistant.profile import PlanPatterns
from assistant.text import strip_span
from assistant.types import Chunk, Document, MetadataValue, SourceSpan

CHUNKING_STRATEGY = "headings+lists+recursive/v1"

_BLANK_LINES = re.compile(r"\n[ \t\u00a0]*\n")


@dataclass(frozen=True)
class _Block:
    start: int
    end: int
    intro: str  # the line introducing a list, when the block starts with one


class Chunker:
    """Chunks documents; sizes are in characters."""

    def __init__(
        self, *, chunk_size: int = 1200, chunk_overlap: int = 150, plan: PlanPatterns | None = None
    ) -> None:
        if chunk_size < 50:
            raise ConfigurationError(f"chunk_size must be at least 50, got {chunk_size}")
        if not 0 <= chunk_overlap < chunk_size:
            raise ConfigurationError(
                f"chunk_overlap must be between 0 and chunk_size - 1, got {chunk_overlap}"
            )
        self.chunk_size = chunk_size
        self.chunk_overlap = chunk_overlap
        self.plan = plan or PlanPatterns()  # recognises the axes a section path names
        # Imported here: langchain takes a fifth of a second to import, and serving (which
        # imports this module to tell whether the index is stale) never cuts text.
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        self._splitter = RecursiveCharacterTextSplitter(
            chunk_size=chunk_size,
            chunk_overlap=chunk_overlap,
            separators=["\n- ", "\n", ". ", "; ", ", ", " ", ""],
            keep_separator="start",
            strip_whitespace=True,
        )

    def chunk(self, document: Document) -> list[Chunk]:
        """All passages of a document, in reading order."""
        chunks: list[Chunk] = []
        for section in split_sections(document.text):
            for start, end, intro in self._spans(document.text, section):
                chunks.append(self._make_chunk(document, section, start, end, intro))
        return chunks

    def _spans(self, text: str, section: Section) -> Iterator[tuple[int, int, str]]:
        group: list[_Block] = []
        for block in _blocks(text, section):
            size = block.end - block.start
            if size > self.chunk_size:
                if group:
                    yield group[0].start, group[-1].end, ""
                    group = []
                yield from self._split_block(text, block)
                continue
            if group and block.end - group[0].start > self.chunk_size:
                yield group[0].start, group[-1].end, ""
                group = []
            group.append(block)
        if group:
            yield group[0].start, group[-1].end, ""

    def _split_block(self, text: str, block: _Block) -> Iterator[tuple[int, int, str]]:
        body = text[block.start : block.end]
        cursor = 0
        for index, piece in enumerate(self._splitter.split_text(body)):
            # A piece starts after the previous one and overlaps it by at most chunk_overlap.
            found = body.find(piece, cursor)
            if found < 0:  # pragma: no cover - the splitter only returns substrings
                found = body.find(piece)
            cursor = max(found + 1, found + len(piece) - self.chunk_overlap)
            start = block.start + found
            yield start, start + len(piece), block.intro if index > 0 else ""

    def _make_chunk(
        self, document: Document, section: Section, start: int, end: int, intro: str
    ) -> Chunk:
        text = document.text[start:end]
        context = " > ".join([document.title, *section.path])
        if intro:
            context = f"{context} > {intro}"
        digest = hashlib.sha1(f"{document.name}\n{context}\n{text}".encode()).hexdigest()[:16]
        metadata: dict[str, MetadataValue] = {
            "document": document.name,
            "section": section.label,
            "title": document.title,
            "axis": self.plan.axis_ids(section.path),
        }
        if document.territory:
            metadata["territory"] = document.territory
        return Chunk(
            id=f"passage:{digest}",
            kind="passage",
            text=text,
            context=context,
            source=SourceSpan(document.name, section.label, start, end),
            metadata=metadata,
        )


def _blocks(text: str, section: Section) -> list[_Block]:
    """Paragraphs of a section, a list's introduction joined to the list."""
    raw: list[tuple[int, int]] = []
    position = section.start
    for match in _BLANK_LINES.finditer(text, section.start, section.end):
        raw.append((position, match.start()))
        position = match.end()
    raw.append((position, section.end))
    blocks: list[_Block] = []
    pending_intro: tuple[int, str] | None = None
    for start, end in raw:
        start, end = strip_span(text, start, end)
        if start >= end:
            continue
        paragraph = text[start:end]
        if pending_intro is not None:
            blocks.append(_Block(pending_intro[0], end, pending_intro[1]))
            pending_intro = None
        else:
            blocks.append(_Block(start, end, ""))
        if paragraph.rstrip().endswith(":") and "\n" not in paragraph.strip():
            last = blocks.pop()
            pending_intro = (last.start, paragraph.strip())
    if pending_intro is not None:
        blocks.append(
            _Block(pending_intro[0], strip_span(text, pending_intro[0], section.end)[1], "")
        )
    return blocks
