"""Answer quality on the gold set: key facts present, abstention where the corpus is silent.

A key fact counts when it appears in the answer text (ignoring case and spacing). Citations are
checked to quote their document exactly. Length, citation precision and part scores (see
``quality``) are reported overall, per split, per kind, for English and per batch.
"""

from __future__ import annotations

import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from assistant.evaluation.gold import GoldQuestion
from assistant.evaluation.metrics import percentile, squash
from assistant.evaluation.quality import QuestionView, summarise, view_answer
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
    by_batch: dict[str, dict[str, float]] = field(default_factory=dict)
    # per group ("all", a split, a kind, "english", "multi-part", "batch <name>"): answer length,
    # citation precision and, where the group has questions with parts, part scores
    quality: dict[str, dict[str, float]] = field(default_factory=dict)
    per_question: dict[str, dict[str, object]] = field(default_factory=dict)

    def metrics(self) -> dict[str, float]:
        """Flat figures for the gate; quality figures are ``<metric>`` overall and
        ``<group>/<metric>`` per group."""
        flat = {
            "answered_with_key_facts": self.answered_with_key_facts,
            "key_fact_recall": self.key_fact_recall,
            "abstained_on_unanswerable": self.abstained_on_unanswerable,
            "wrongly_abstained": self.wrongly_abstained,
            "exact_citations": self.exact_citations,
        }
        for group, figures in self.quality.items():
            prefix = "" if group == "all" else f"{group}/"
            flat |= {f"{prefix}{k}": v for k, v in figures.items() if k != "questions"}
        return flat


def evaluate_answers(
    answer: AnswerFunction,
    questions: Sequence[GoldQuestion],
    documents: Mapping[str, str],
    *,
    on_question: Callable[[], None] | None = None,
    absence_cues: Sequence[str] = (),
) -> AnswerResult:
    """Answer every question and score the answers; ``absence_cues`` are the phrases by which
    an answer says a part is absent (``quality.load_absence_cues``)."""
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
    batches: dict[str, dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
    misses: list[dict[str, object]] = []
    views: list[QuestionView] = []
    answerable = [q for q in questions if q.answerable]
    unanswerable = [q for q in questions if not q.answerable]
    for question in questions:
        started = time.perf_counter()
        result = answer(question.question)
        latencies.append((time.perf_counter() - started) * 1000)
        if on_question is not None:
            on_question()
        views.append(
            view_answer(question, result, documents, absence_cues, groups=_groups(question))
        )
        tallies = [splits[question.split]]
        if question.batch is not None:
            tallies.append(batches[question.batch])
        for citation in result.citations:
            citations += 1
            text = documents.get(citation.source.document, "")
            exact += text[citation.source.start : citation.source.end] == citation.text
        if not question.answerable:
            declined += result.abstained
            for tally in tallies:
                tally["declined"].append(result.abstained)
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
        for tally in tallies:
            tally["complete"].append(ok)
            tally["wrongly"].append(result.abstained)
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
        by_batch={batch: _split_metrics(rows) for batch, rows in sorted(batches.items())},
        quality=summarise(views),
        per_question={
            v.id: {
                "chars": v.chars,
                "citation_precision": v.precision,
                "parts_answered": list(v.parts_answered),
                "parts_absent": list(v.parts_absent),
            }
            for v in views
        },
    )


def _groups(question: GoldQuestion) -> list[str]:
    groups = ["all", question.split, question.kind]
    if question.lang == "en":
        groups.append("english")
    if question.parts:
        groups.append("multi-part")
    if question.batch is not None:
        groups.append(f"batch {question.batch}")
    return groups


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
