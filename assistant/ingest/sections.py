"""The heading structure of a document: which section path each character offset falls under."""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$", re.MULTILINE)
SECTION_SEPARATOR = " > "


@dataclass(frozen=True)
class Section:
    """The body of a section: from the end of its heading line to the next heading."""

    path: tuple[str, ...]
    start: int
    end: int
    heading_start: int = 0  # where its heading line starts (``start`` when it has none)

    @property
    def label(self) -> str:
        return SECTION_SEPARATOR.join(self.path)


def split_sections(text: str, *, keep_empty: bool = False) -> list[Section]:
    """Cut a Markdown-like text on its headings.

    The path of a section lists the titles of the headings above it, level 1 excluded: level 1 is
    the document title, which every chunk carries already. Sections with an empty body (a heading
    followed at once by another) are left out unless ``keep_empty``.
    """
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []
    body_start = heading_start = 0
    path: tuple[str, ...] = ()
    for match in _HEADING.finditer(text):
        sections.append(Section(path, body_start, match.start(), heading_start))
        level = len(match.group(1))
        stack = [(lvl, title) for lvl, title in stack if lvl < level]
        stack.append((level, match.group(2).strip()))
        path = tuple(title for lvl, title in stack if lvl > 1)
        body_start, heading_start = match.end(), match.start()
    sections.append(Section(path, body_start, len(text), heading_start))
    if keep_empty:
        return sections
    return [section for section in sections if text[section.start : section.end].strip()]


class SectionLocator:
    """Finds the section path of any offset of a document (for records quoting a passage).

    An offset inside a heading line belongs to the section that heading opens: a record quoting
    the title of an axis is filed under that axis, not under the section before it.
    """

    def __init__(self, text: str) -> None:
        self._sections = split_sections(text, keep_empty=True)
        self._starts = [section.heading_start for section in self._sections]

    def section_at(self, offset: int) -> str:
        position = bisect_right(self._starts, offset) - 1
        return self._sections[position].label if position >= 0 else ""
