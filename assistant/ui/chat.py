"""What the chat page shows around an answer: citation chips, sources grouped by document,
the question as understood, suggested follow-ups. Pure functions of the API's JSON."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import yaml

from assistant.text import fold

FOLLOW_UPS = Path(__file__).with_name("follow_ups.yaml")
REASONS = ("hors sujet", "chiffre faux", "incomplet")
_MARKER = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def with_chips(text: str, numbers: Sequence[int]) -> str:
    """The answer with its ``[n]`` markers as compact chips (a Streamlit badge per number)."""
    known = set(numbers)

    def chip(match: re.Match[str]) -> str:
        cited = [int(n) for n in re.findall(r"\d+", match.group(1))]
        if not all(n in known for n in cited):
            return match.group(0)
        return "".join(f":blue-background[{n}]" for n in cited)

    return _MARKER.sub(chip, text)


def group_by_document(
    citations: Sequence[Mapping[str, Any]],
) -> list[tuple[str, list[Mapping[str, Any]]]]:
    """Citations grouped by document, in the order documents are first cited."""
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for citation in citations:
        groups.setdefault(str(citation["source"]["document"]), []).append(citation)
    return list(groups.items())


def passage_link(source: Mapping[str, Any]) -> str:
    """The document view's address for a cited passage."""
    query = {"doc": source["document"], "start": source["start"], "end": source["end"]}
    return f"/document?{urlencode(query)}"


def rewritten(question: str, resolved: str | None) -> str | None:
    """The question as understood, when it differs from what was typed (a follow-up rewritten)."""
    if not resolved or _norm(resolved) == _norm(question):
        return None
    return resolved


def follow_ups(
    answer: Mapping[str, Any], records: Mapping[str, Mapping[str, Any]], *, limit: int = 3
) -> list[str]:
    """Questions to ask next, from the records the answer cites (none after an abstention)."""
    if answer.get("abstained"):
        return []
    templates = _templates()
    asked = {
        _norm(str(answer.get("question", ""))),
        _norm(str(answer.get("resolved_question", ""))),
    }
    suggestions: list[str] = []
    for citation in answer.get("citations", []):
        record_id = citation.get("record_id")
        if not record_id:
            continue
        record = records.get(str(record_id), {})
        values = {
            "record_id": str(record_id),
            "axis": str(record_id).rsplit(".", 1)[0] if citation.get("kind") == "action" else "",
            "name": str(record.get("name", "")),
            "territory": str(record.get("territory", "")),
        }
        for template in templates.get(str(citation.get("kind")), []):
            needed = _PLACEHOLDER.findall(template)
            if not all(values.get(key) for key in needed):
                continue
            suggestion = template.format(**values)
            if _norm(suggestion) not in asked and suggestion not in suggestions:
                suggestions.append(suggestion)
    return suggestions[:limit]


def related(answer: Mapping[str, Any]) -> list[str]:
    """The answer's "related" entries (questions or topics) as text, when it has any."""
    items = answer.get("related") or []
    out = []
    for item in items:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, Mapping):
            text = item.get("question") or item.get("title") or item.get("text")
            if text:
                out.append(str(text))
    return out


def vote_comment(reasons: Sequence[str], comment: str) -> str:
    """The reasons chosen and the free comment, as the one comment the feedback store keeps."""
    prefix = f"[{', '.join(reasons)}] " if reasons else ""
    return (prefix + comment.strip()).strip()


@lru_cache(maxsize=1)
def _templates() -> dict[str, list[str]]:
    data = yaml.safe_load(FOLLOW_UPS.read_text(encoding="utf-8")) or {}
    return {str(k): [str(t) for t in v] for k, v in data.items()}


def _norm(text: str) -> str:
    return " ".join(re.findall(r"\w+", fold(text)))
