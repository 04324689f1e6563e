"""What users see of an answer: its length, whether its citations answer, each part answered.

Citation precision: a citation is precise when its text contains a gold quote, or when it lies in
the passage holding one (the line of the document around the quote, so that the measure does
not depend on chunking). An answer's precision is the share of its citations that are precise;
answers without citations, and unanswerable questions, have none.

Parts: an answerable part is answered when the answer holds all its key facts; an unanswerable
part is said to be absent when the answer is declined, or when one sentence of the answer holds
an absence cue (``evals/absence_cues.yaml``: "ne donne pas", "does not say"…) and one of the
part's ``topic`` words.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from assistant.errors import ConfigurationError
from assistant.evaluation.gold import GoldQuestion
from assistant.evaluation.metrics import percentile, squash
from assistant.types import Answer, Citation

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def _normalise(text: str) -> str:
    return squash(text.replace("\u2019", "'")).lower()


def load_absence_cues(path: Path) -> tuple[str, ...]:
    """Every language's cues of ``path`` (a mapping of language to a list of phrases)."""
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"cannot read the absence cues {path}: {exc}") from exc
    if not isinstance(spec, dict) or not all(isinstance(v, list) for v in spec.values()):
        raise ConfigurationError(f"{path}: expected a mapping of language to a list of phrases")
    return tuple(_normalise(str(cue)) for cues in spec.values() for cue in cues)


def quote_passages(quotes: Iterable[str], text: str) -> list[tuple[int, int]]:
    """Offsets of the line (between line breaks) around each place a quote stands in ``text``."""
    spans = []
    for quote in quotes:
        words = quote.split()
        if not words:
            continue
        pattern = re.compile(r"\s+".join(re.escape(w) for w in words))
        for match in pattern.finditer(text):
            start = text.rfind("\n", 0, match.start()) + 1
            end = text.find("\n", match.end())
            spans.append((start, len(text) if end < 0 else end))
    return spans


def precise_citations(
    citations: Sequence[Citation], quotes: Sequence[str], documents: Mapping[str, str]
) -> list[bool]:
    """For each citation, whether it quotes a gold quote or lies in a passage holding one."""
    squashed = [squash(q) for q in quotes]
    passages = {name: quote_passages(quotes, text) for name, text in documents.items()}
    flags = []
    for citation in citations:
        holds = any(q in squash(citation.text) for q in squashed)
        start, end = citation.source.start, citation.source.end
        inside = any(
            low <= start and end <= high for low, high in passages.get(citation.source.document, [])
        )
        flags.append(holds or inside)
    return flags


def said_absent(text: str, topic: Sequence[str], cues: Sequence[str]) -> bool:
    """Whether one sentence of ``text`` says the document does not give ``topic``."""
    words = [_normalise(w) for w in topic]
    for sentence in _SENTENCE_END.split(text):
        line = _normalise(sentence)
        if any(cue in line for cue in cues) and any(w in line for w in words):
            return True
    return False


def has_key_facts(text: str, facts: Sequence[str]) -> bool:
    body = squash(text).lower()
    return all(squash(fact).lower() in body for fact in facts)


@dataclass(frozen=True)
class QuestionView:
    """What the harness keeps of one answer for the quality figures."""

    id: str
    groups: tuple[str, ...]
    chars: int
    precision: float | None
    parts_answered: tuple[bool, ...] = ()
    parts_absent: tuple[bool, ...] = ()


def view_answer(
    question: GoldQuestion,
    answer: Answer,
    documents: Mapping[str, str],
    cues: Sequence[str],
    *,
    groups: Sequence[str],
) -> QuestionView:
    """Length, citation precision and part scores of one answer."""
    precision = None
    if question.answerable and answer.citations:
        flags = precise_citations(answer.citations, question.quotes, documents)
        precision = sum(flags) / len(flags)
    answered: list[bool] = []
    absent: list[bool] = []
    for part in question.parts:
        if part.answerable:
            answered.append(not answer.abstained and has_key_facts(answer.text, part.key_facts))
        else:
            absent.append(answer.abstained or said_absent(answer.text, part.topic, cues))
    return QuestionView(
        question.id, tuple(groups), len(answer.text), precision, tuple(answered), tuple(absent)
    )


def summarise(views: Sequence[QuestionView]) -> dict[str, dict[str, float]]:
    """Per group: answer length (median, p90 characters), mean citation precision, part scores.

    Part scores appear only in groups holding a question with parts.
    """
    groups: dict[str, list[QuestionView]] = {}
    for view in views:
        for group in view.groups:
            groups.setdefault(group, []).append(view)
    return {group: _figures(rows) for group, rows in groups.items()}


def _figures(rows: Sequence[QuestionView]) -> dict[str, float]:
    chars = [float(r.chars) for r in rows]
    precisions = [r.precision for r in rows if r.precision is not None]
    figures: dict[str, float] = {
        "questions": len(rows),
        "answer_chars_median": round(statistics.median(chars), 1) if chars else 0.0,
        "answer_chars_p90": round(percentile(chars, 90), 1),
        "cited_answers": len(precisions),
        "citation_precision": round(sum(precisions) / len(precisions), 4) if precisions else 0.0,
    }
    answered = [flag for r in rows for flag in r.parts_answered]
    absent = [flag for r in rows for flag in r.parts_absent]
    if answered or absent:
        figures |= {
            "answerable_parts": len(answered),
            "parts_with_key_facts": round(sum(answered) / len(answered), 4) if answered else 0.0,
            "unanswerable_parts": len(absent),
            "parts_said_absent": round(sum(absent) / len(absent), 4) if absent else 0.0,
        }
    return figures
