"""Proposed axis and action records for a new roadmap, read from its plan, for staff to review.

The plan is recognised by the profile's patterns: a heading matching ``strategic_axis`` or
``operational_axis`` becomes an axis record; the items of an operational axis (its bullet lines,
numbered ``<axis>.1``, ``<axis>.2``… in order, or lines that carry their own id by the ``action``
pattern) become action records. Every record quotes the document verbatim, so the build accepts
it like any record; themes are only suggested (a vocabulary theme whose words the action uses).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from assistant.ingest.sections import split_sections
from assistant.profile import PlanPatterns
from assistant.text import fold
from assistant.types import Document
from assistant.vocabulary import Vocabulary

_BULLET = re.compile(r"^[ \t]*(?:[-*•▪■☑}]|\d+[.)])[ \t]+(?P<text>\S.*?)[ \t]*$", re.MULTILINE)
_SEPARATORS = " \t:–—-.,"
_WORD = re.compile(r"\w{4,}")


@dataclass
class RecordDraft:
    """The records proposed for one document, as plain rows ready to be written as YAML."""

    axes: list[dict[str, Any]] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)


def draft_records(
    document: Document, plan: PlanPatterns, vocabulary: Vocabulary | None = None
) -> RecordDraft:
    """Axis and action records proposed from ``document``'s plan."""
    strategic, operational = re.compile(plan.strategic_axis), re.compile(plan.operational_axis)
    action_line = re.compile(plan.action)
    themes = (vocabulary or Vocabulary()).values("themes")
    draft = RecordDraft()
    seen: set[str] = set()
    for section in split_sections(document.text, keep_empty=True):
        if not section.path:
            continue
        heading = section.path[-1]
        match = strategic.match(heading) or operational.match(heading)
        if match is None or match.group("id") in seen:
            continue
        axis_id = match.group("id")
        seen.add(axis_id)
        draft.axes.append(_row(axis_id, "title", _title(heading, match), heading, document))
        if match.re is not operational:
            continue
        body = document.text[section.start : section.end]
        for number, line in enumerate(_BULLET.finditer(body), 1):
            text = line.group("text")
            own = action_line.match(text)
            action_id = own.group("id") if own else f"{axis_id}.{number}"
            row = _row(action_id, "text", text, text, document)
            row["themes"] = _themes_of(text, themes)
            draft.actions.append(row)
    return draft


def _title(heading: str, match: re.Match[str]) -> str:
    return heading[match.end() :].lstrip(_SEPARATORS).strip() or heading


def _row(record_id: str, key: str, value: str, quote: str, document: Document) -> dict[str, Any]:
    return {"id": record_id, key: value, "source": {"document": document.name, "quote": quote}}


def _themes_of(text: str, themes: list[str]) -> list[str]:
    """The themes whose every significant word starts a word of the text (a suggestion)."""
    words = set(_WORD.findall(fold(text)))
    return [
        theme
        for theme in themes
        if (keys := _WORD.findall(fold(theme)))
        and all(any(w.startswith(key[:5]) for w in words) for key in keys)
    ]
