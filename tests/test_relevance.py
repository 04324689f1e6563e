"""Relevance of a sentence to a question: IDF-weighted share of the question carried."""

from __future__ import annotations

import pytest

from assistant.answering.relevance import COVERAGE_WEIGHT, RANK_STEP, TermWeights, relevance

CORPUS = [
    ["projet", "territoire", "benevol"],
    ["projet", "territoire"],
    ["projet", "territoire", "emploi"],
    ["projet"],
]


def test_a_rare_word_weighs_more_than_a_common_one() -> None:
    weights = TermWeights.of(CORPUS)
    assert weights.idf["benevol"] > weights.idf["territoire"] > weights.idf["projet"] > 0


def test_coverage_is_the_share_of_the_question_weight_a_sentence_carries() -> None:
    weights = TermWeights.of(CORPUS)
    asked = frozenset({"benevol", "projet"})
    rare = weights.coverage(asked, ["benevol"])
    common = weights.coverage(asked, ["projet"])
    assert rare > 0.5 > common > 0
    assert weights.coverage(asked, ["benevol", "projet", "autre"]) == pytest.approx(1.0)
    assert weights.coverage(asked, []) == 0.0


def test_words_the_corpus_never_uses_weigh_nothing() -> None:
    weights = TermWeights.of(CORPUS)
    assert weights.coverage(frozenset({"volunteer"}), ["volunteer"]) == 0.0
    assert weights.coverage(frozenset(), ["projet"]) == 0.0


def test_relevance_adds_coverage_and_takes_off_the_unit_rank() -> None:
    assert relevance(0.8, 1.0, 0) == pytest.approx(0.8 + COVERAGE_WEIGHT)
    assert relevance(0.8, 0.0, 3) == pytest.approx(0.8 - 3 * RANK_STEP)
    # a sentence carrying the question's rare word outranks a slightly closer one that does not
    weights = TermWeights.of(CORPUS)
    asked = frozenset({"benevol", "territoire"})
    holding = relevance(0.80, weights.coverage(asked, ["benevol"]), 1)
    sounding = relevance(0.82, weights.coverage(asked, ["territoire"]), 0)
    assert holding > sounding
