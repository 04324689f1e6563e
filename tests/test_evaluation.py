"""Metrics of the evaluation harness on hand-made rankings."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from assistant.errors import CorpusError
from assistant.evaluation.gold import load_gold
from assistant.evaluation.metrics import covered_quotes, percentile, score_question
from assistant.evaluation.runner import SystemResult
from assistant.evaluation.suite import check_thresholds


def test_recall_counts_quotes_found_in_the_top_k_whatever_the_chunking() -> None:
    quotes = ["alpha beta", "gamma"]
    ranked = ["noise", "x alpha  beta y", "more noise", "gamma and alpha beta"]
    score = score_question(quotes, ranked, relevant_units=2, ks=(1, 2, 4))
    assert score.recall_at == {1: 0.0, 2: 0.5, 4: 1.0}  # whitespace differences do not matter
    assert score.reciprocal_rank == 0.5
    ideal = 1 + 1 / math.log2(3)
    assert score.ndcg_at_10 == pytest.approx((1 / math.log2(3) + 1 / math.log2(5)) / ideal)
    assert covered_quotes(quotes, ranked) == [0, 1, 0, 1]


def test_nothing_found_scores_zero() -> None:
    score = score_question(["absent"], ["a", "b"], relevant_units=1)
    assert score.recall_at[5] == 0 and score.reciprocal_rank == 0 and score.ndcg_at_10 == 0


def test_percentile() -> None:
    assert percentile([10, 20, 30, 40], 50) == 25
    assert percentile([5], 95) == 5 and percentile([], 50) == 0


def test_gate_names_each_metric_below_its_minimum() -> None:
    result = SystemResult(
        name="hybrid", description="", overall={"recall@5": 0.8, "mrr@10": 0.9},
        by_group={"list": {"recall@5": 0.5}}, latency_ms={},
    )  # fmt: skip
    failures = check_thresholds(result, {"recall@5": 0.85, "mrr@10": 0.8, "list/recall@5": 0.6})
    assert failures == [
        "hybrid recall@5 = 0.800, below the minimum 0.85",
        "hybrid list/recall@5 = 0.500, below the minimum 0.6",
    ]
    assert check_thresholds(result, {"scheme/recall@5": 0.1}) == [
        "scheme/recall@5: no such metric in the report"
    ]


def test_gold_questions_are_validated(tmp_path: Path) -> None:
    path = tmp_path / "gold.yaml"
    path.write_text(
        "- {id: q1, question: 'Combien ?', lang: fr, kind: unanswerable, persona: staff,"
        " answerable: true, quotes: [x]}\n",
        encoding="utf-8",
    )
    with pytest.raises(CorpusError, match=r"q1: .*answerable must be false"):
        load_gold(path)
