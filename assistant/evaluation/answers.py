"""Answer quality on the gold set: key facts present, abstention where the corpus is silent.

A key fact counts when it appears in the answer text (ignoring case and spacing). Citations are
checked to quote their document exactly.
"""

from __future__ import annotations

import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from assistant.evaluation.gold import GoldQuestion
from assistant.evaluation.metrics import percentile, squash
from assistant.types import Answer

AnswerFunction = Callable[[str], Answer]


@dataclass
class AnswerResult:
    """How the answerer did, overall and by kind of question."""

    answered_with_key_facts: float
    key_fact_recall: float
    abstained_on_unanswerable: float
    wrongly_abstained: float
    exact_citations: float
    by_kind: dict[str, float]
    latency_ms: dict[str, float]
    questions: int
    misses: list[dict[str, object]] = field(default_factory=list)
    by_split: dict[str, dict[str, float]] = field(default_factory=dict)

    def metrics(self) -> dict[str, float]:
        return {
            "answered_with_key_facts": self.answered_with_key_facts,
            "key_fact_recall": self.key_fact_recall,
            "abstained_on_unanswerable": self.abstained_on_unanswerable,
            "wrongly_abstained": self.wrongly_abstained,
            "exact_citations": self.exact_citations,
        }


def evaluate_answers(
    answer: AnswerFunction,
    questions: Sequence[GoldQuestion],
    documents: Mapping[str, str],
    *,
    on_question: Callable[[], None] | None = None,
) -> AnswerResult:
    complete = 0
    recall = 0.0
    declined = 0
    wrongly = 0
    citations = 0
    exact = 0
    latencies: list[float] = []
    kinds: dict[str, list[bool]] = defaultdict(list)
    # per split: answered with all key facts / declined, for answerable / unanswerable questions
    splits: dict[str, dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
    misses: list[dict[str, object]] = []
    answerable = [q for q in questions if q.answerable]
    unanswerable = [q for q in questions if not q.answerable]
    for question in questions:
        started = time.perf_counter()
        result = answer(question.question)
        latencies.append((time.perf_counter() - started) * 1000)
        if on_question is not None:
            on_question()
        for citation in result.citations:
            citations += 1
            text = documents.get(citation.source.document, "")
            exact += text[citation.source.start : citation.source.end] == citation.text
        if not question.answerable:
            declined += result.abstained
            splits[question.split]["declined"].append(result.abstained)
            if not result.abstained:
                misses.append({"id": question.id, "abstained": False, "unanswerable": True})
            continue
        body = squash(result.text).lower()
        found = [fact for fact in question.key_facts if squash(fact).lower() in body]
        share = len(found) / len(question.key_facts) if question.key_facts else 1.0
        ok = not result.abstained and share == 1.0
        complete += ok
        recall += share
        wrongly += result.abstained
        kinds[question.kind].append(ok)
        splits[question.split]["complete"].append(ok)
        splits[question.split]["wrongly"].append(result.abstained)
        if question.lang == "en":
            kinds["english"].append(ok)
        if not ok:
            missing = [fact for fact in question.key_facts if fact not in found]
            misses.append({"id": question.id, "abstained": result.abstained, "missing": missing})
    return AnswerResult(
        answered_with_key_facts=round(complete / max(len(answerable), 1), 4),
        key_fact_recall=round(recall / max(len(answerable), 1), 4),
        abstained_on_unanswerable=round(declined / max(len(unanswerable), 1), 4),
        wrongly_abstained=round(wrongly / max(len(answerable), 1), 4),
        exact_citations=round(exact / citations, 4) if citations else 1.0,
        by_kind={k: round(sum(v) / len(v), 4) for k, v in sorted(kinds.items())},
        latency_ms={
            "p50": round(statistics.median(latencies), 2) if latencies else 0.0,
            "p95": round(percentile(latencies, 95), 2),
        },
        questions=len(questions),
        misses=misses,
        by_split={split: _split_metrics(rows) for split, rows in sorted(splits.items())},
    )


def _split_metrics(rows: Mapping[str, list[bool]]) -> dict[str, float]:
    def share(values: list[bool]) -> float:
        return round(sum(values) / len(values), 4) if values else 0.0

    return {
        "answerable": len(rows["complete"]),
        "unanswerable": len(rows["declined"]),
        "answered_with_key_facts": share(rows["complete"]),
        "abstained_on_unanswerable": share(rows["declined"]),
        "wrongly_abstained": share(rows["wrongly"]),
    }


def check_answer_thresholds(result: AnswerResult, limits: Mapping[str, float]) -> list[str]:
    """``limits`` maps a metric to its minimum, or ``max:<metric>`` to its maximum."""
    values = result.metrics()
    failures = []
    for key, bound in limits.items():
        maximum = key.startswith("max:")
        metric = key.removeprefix("max:")
        value = values.get(metric)
        if value is None:
            failures.append(f"answers {metric}: no such metric")
        elif (value > bound) if maximum else (value < bound):
            relation = "above the maximum" if maximum else "below the minimum"
            failures.append(f"answers {metric} = {value:.3f}, {relation} {bound}")
    return failures
