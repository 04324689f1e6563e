"""Run the gold questions through several retrieval configurations, side by side."""

from __future__ import annotations

import logging
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from assistant.evaluation.gold import GoldQuestion
from assistant.evaluation.metrics import evidence, percentile, score_question, squash
from assistant.types import Chunk, Hit

logger = logging.getLogger(__name__)

METRICS = ("recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10")
EVAL_DEPTH = 10


class Searcher(Protocol):
    units: list[Chunk]

    def retrieve(self, query: str, *, top_k: int = 5) -> list[Hit]: ...


@dataclass(frozen=True)
class System:
    """A named retrieval configuration to evaluate."""

    name: str
    description: str
    searcher: Searcher


@dataclass
class SystemResult:
    """Metrics of one configuration: overall, by question kind, and latency."""

    name: str
    description: str
    overall: dict[str, float]
    by_group: dict[str, dict[str, float]]
    latency_ms: dict[str, float]
    per_question: dict[str, dict[str, object]] = field(default_factory=dict)


def evaluate(
    system: System,
    questions: Sequence[GoldQuestion],
    documents: Mapping[str, str],
    *,
    on_question: Callable[[], None] | None = None,
) -> SystemResult:
    """Score every answerable question; time every question (warm-up excluded)."""
    searcher = system.searcher
    all_evidence = [evidence(unit, documents) for unit in searcher.units]
    position = {unit.id: i for i, unit in enumerate(searcher.units)}
    searcher.retrieve("warm-up", top_k=EVAL_DEPTH)
    rows: dict[str, dict[str, float]] = {}
    groups: dict[str, list[str]] = defaultdict(list)
    latencies: list[float] = []
    per_question: dict[str, dict[str, object]] = {}
    for question in questions:
        started = time.perf_counter()
        hits = searcher.retrieve(question.question, top_k=EVAL_DEPTH)
        latencies.append((time.perf_counter() - started) * 1000)
        if on_question is not None:
            on_question()
        if not question.answerable:
            continue
        ranked = [all_evidence[position[hit.chunk.id]] for hit in hits]
        quotes = [squash(q) for q in question.quotes]
        relevant = sum(any(q in text for q in quotes) for text in all_evidence)
        score = score_question(question.quotes, ranked, relevant_units=relevant)
        rows[question.id] = {
            "recall@1": score.recall_at[1],
            "recall@5": score.recall_at[5],
            "recall@10": score.recall_at[10],
            "mrr@10": score.reciprocal_rank,
            "ndcg@10": score.ndcg_at_10,
        }
        per_question[question.id] = {
            **rows[question.id],
            "retrieved": [hit.chunk.id for hit in hits],
        }
        groups[question.kind].append(question.id)
        if question.lang == "en":
            groups["english"].append(question.id)
        groups[question.split].append(question.id)
    return SystemResult(
        name=system.name,
        description=system.description,
        overall=_mean(rows.values()),
        by_group={group: _mean(rows[i] for i in ids) for group, ids in sorted(groups.items())},
        latency_ms={
            "p50": round(statistics.median(latencies), 2),
            "p95": round(percentile(latencies, 95), 2),
        },
        per_question=per_question,
    )


def _mean(rows: Iterable[dict[str, float]]) -> dict[str, float]:
    materialised = list(rows)
    if not materialised:
        return {metric: 0.0 for metric in METRICS} | {"questions": 0}
    means = {m: round(sum(r[m] for r in materialised) / len(materialised), 4) for m in METRICS}
    return means | {"questions": len(materialised)}
