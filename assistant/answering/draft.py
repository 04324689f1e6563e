"""An answer being written: its lines, the citations they use, and how a quote is cut.

Every line of an extractive answer ends with the numbers of the citations it draws on; a
citation is a verbatim span of a document. The draft numbers citations by first use, drops
repeated lines and the citations no line uses.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from assistant.index.sentences import split_segments
from assistant.types import Chunk, Citation, SourceSpan

_CITATION = re.compile(r"\s*\[\d+\]")
_BULLET = re.compile(r"^\s*(-|\d+[.)]|☑|}|■|•)", re.MULTILINE)
_ITEM = re.compile(r"^(- |\d+[.)] )")
_MARKERS = re.compile(r"^(?:[-•■☑}]\s*)+")  # the document's bullets: "- }", "- ☑", "■"…
MAX_LIST_CHARS = 900
MAX_INTRODUCED_LIST_CHARS = 1500  # a sentence, the rest of its paragraph and the list it introduces


@dataclass
class Draft:
    """An answer being written: lines and the citations they use, numbered by first use."""

    documents: Mapping[str, str]
    lines: list[str] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)

    def cite(self, unit: Chunk, start: int | None = None, end: int | None = None) -> int:
        """The number of the citation of ``unit`` (its record quote, or a span of its text)."""
        if start is None or end is None or unit.kind != "passage":
            span = unit.source
        else:
            offset = unit.source.start
            span = SourceSpan(
                unit.source.document, unit.source.section, offset + start, offset + end
            )
        return self.cite_span(unit, span)

    def cite_span(self, unit: Chunk, span: SourceSpan) -> int:
        """The number of the citation of ``span``, a passage that ``unit`` draws on."""
        for citation in self.citations:
            if citation.source == span:
                return citation.number
        text = self.documents.get(span.document, "")[span.start : span.end]
        number = len(self.citations) + 1
        record_id = unit.metadata.get("record_id")
        self.citations.append(
            Citation(
                number,
                unit.id,
                unit.kind,
                text,
                span,
                str(record_id) if record_id is not None else None,
            )
        )
        return number

    def says(self, line: str) -> bool:
        """Whether a line of the draft already says what ``line`` says (its words, without
        citations), alone or among other facts ("Autres apports : A ; B")."""
        body = bare(_CITATION.sub("", line)).rstrip(" .;:")
        return bool(body) and any(body in bare(_CITATION.sub("", seen)) for seen in self.lines)

    def renumber(self) -> None:
        """Drop repeated lines; keep only the citations the lines use, numbered by first
        appearance."""
        seen: set[str] = set()
        kept: list[str] = []
        for line in self.lines:
            body = bare(_CITATION.sub("", line))
            if body in seen and _CITATION.search(line):
                continue
            seen.add(body)
            kept.append(line)
        self.lines = kept
        order: list[int] = []
        for line in self.lines:
            for found in re.findall(r"\[(\d+)\]", line):
                if int(found) not in order:
                    order.append(int(found))
        mapping = {old: new for new, old in enumerate(order, 1)}
        self.lines = [
            re.sub(r"\[(\d+)\]", lambda m: f"[{mapping[int(m.group(1))]}]", line)
            for line in self.lines
        ]
        by_number = {c.number: c for c in self.citations}
        self.citations = [replace(by_number[old], number=new) for old, new in mapping.items()]

    def quote(self, unit: Chunk, start: int | None = None, end: int | None = None) -> str:
        """The verbatim text a citation of ``unit`` shows."""
        number = self.cite(unit, start, end)
        return " ".join(self.citations[number - 1].text.split())


def list_block(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen a sentence to its whole list (introduction and items) when it belongs to one: an
    answer quoting one bullet of a list, or its introduction alone, misses the rest."""
    block_start = text.rfind("\n\n", 0, start)
    block_start = 0 if block_start < 0 else block_start + 2
    block_end = text.find("\n\n", end)
    block_end = len(text) if block_end < 0 else block_end
    block = text[block_start:block_end]
    intro = text[start:end].rstrip().endswith(":")
    in_list = (intro or _BULLET.match(text[start:end])) and len(_BULLET.findall(block)) >= 2
    if in_list and block_end - block_start <= MAX_LIST_CHARS:
        return block_start, block_end
    if intro:  # an introduction alone says nothing: add what follows it
        follow = text.find("\n\n", text.find("\n", end) + 1)
        follow = len(text) if follow < 0 else follow
        return start, min(follow, start + MAX_LIST_CHARS)
    return start, end


def with_its_list(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen a sentence to the list its paragraph introduces ("… placé l'ESS au cœur de leurs
    priorités :" and the items that follow): a list question is answered by the items, not by
    the sentence that announces them."""
    paragraph_end = text.find("\n", end)
    paragraph_end = len(text) if paragraph_end < 0 else paragraph_end
    if not text[start:paragraph_end].rstrip().endswith(":"):
        return start, end
    block_start = paragraph_end
    while block_start < len(text) and text[block_start] == "\n":
        block_start += 1
    block_end = text.find("\n\n", block_start)
    block_end = len(text) if block_end < 0 else block_end
    items = _BULLET.findall(text[block_start:block_end])
    if len(items) < 2 or block_end - start > MAX_INTRODUCED_LIST_CHARS:
        return start, end
    return start, block_end


def whole_sentences(document: str, start: int, end: int) -> tuple[int, int]:
    """Widen ``document[start:end]`` to whole sentences: a unit cut from a long paragraph may
    begin or end in the middle of one ("… 4 domaines d'intervention que sont"), and a quote
    that stops there loses what the sentence says."""
    if not 0 <= start < end <= len(document):
        return start, end
    line_start = document.rfind("\n", 0, start) + 1
    line_end = document.find("\n", start)
    line_end = len(document) if line_end < 0 else line_end
    for s, e in split_segments(document[line_start:line_end]):
        if line_start + s <= start < line_start + e:
            start = line_start + s
            break
    last = end - 1
    line_start = document.rfind("\n", 0, last) + 1
    line_end = document.find("\n", last)
    line_end = len(document) if line_end < 0 else line_end
    for s, e in split_segments(document[line_start:line_end]):
        if line_start + s <= last < line_start + e:
            end = max(end, line_start + e)
            break
    return start, end


def as_markdown(quote: str) -> str:
    """A quote as it reads in an answer: one line, or, when it holds a list, its introduction
    and one Markdown item per line (the document's ☑, } or ■ bullets written "- ")."""
    lines = [" ".join(line.split()) for line in quote.split("\n") if line.strip()]
    if sum(bool(_BULLET.match(line)) for line in lines) < 2:
        return " ".join(lines)
    return "\n".join(_MARKERS.sub("- ", line) for line in lines)


def paragraphs(lines: list[str]) -> str:
    """The answer's lines as Markdown: the items of a list stay together, every other line is a
    paragraph of its own (Markdown would otherwise run consecutive lines into one, or fold a
    line into the list item above it)."""
    out: list[str] = []
    previous: str | None = None  # the marker of the list the previous line belongs to
    for line in lines:
        found = _ITEM.match(line)
        marker = ("-" if found.group(1) == "- " else "1.") if found else None
        if out and (marker is None or marker != previous):
            out.append("")
        out.append(line)
        previous = marker
    return "\n".join(out).strip()


def bare(text: str) -> str:
    return " ".join(text.split()).lstrip("- ").lower()
