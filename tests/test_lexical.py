"""French lexical analysis and BM25 scores, checked against the formula computed by hand."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from assistant.index.bm25 import TermIndex
from assistant.retrieval.lexical import FrenchAnalyzer, LexicalIndex


def test_analyzer_drops_stop_and_question_words_stems_and_folds_accents() -> None:
    analyze = FrenchAnalyzer()
    assert analyze("Quelles actions soutiennent l'économie circulaire ?") == [
        "action", "soutiennent", "econom", "circulair",
    ]  # fmt: skip
    assert analyze("recycleries") == analyze("Recyclerie") == ["recycler"]
    assert analyze("Économie") == analyze("economie")
    assert analyze("Which schemes fund the SCIC?") == ["schem", "fund", "scic"]


def _reference_bm25(docs: list[list[str]], query: list[str], k1: float, b: float) -> list[float]:
    """Lucene's BM25 (since Lucene 8, without the constant (k1 + 1) factor), written out:
    idf = ln(1 + (N - df + 0.5) / (df + 0.5)), tf part = tf / (tf + k1 (1 - b + b dl / avgdl))."""
    n = len(docs)
    avgdl = sum(len(d) for d in docs) / n
    scores = []
    for doc in docs:
        score = 0.0
        for term in query:
            df = sum(term in d for d in docs)
            if not df:
                continue
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            tf = doc.count(term)
            score += idf * tf / (tf + k1 * (1 - b + b * len(doc) / avgdl))
        scores.append(score)
    return scores


def test_bm25_scores_match_the_reference_formula() -> None:
    texts = [
        "La recyclerie revend des objets réparés et crée des emplois.",
        "Le comité de pilotage suit la feuille de route.",
        "Une recyclerie, une ressourcerie et un atelier de réparation de vélos.",
        "Des locaux à bas loyers pour les associations.",
    ]
    index = LexicalIndex(texts, k1=1.2, b=0.75)
    analyzer = FrenchAnalyzer()
    query = "recyclerie réparation vélos"
    expected = _reference_bm25([analyzer(t) for t in texts], analyzer(query), 1.2, 0.75)
    assert list(index.scores(query)) == pytest.approx(expected, rel=1e-4)
    assert expected[2] > expected[0] > expected[1] == 0


def test_unknown_terms_give_zero_scores() -> None:
    index = LexicalIndex(["un texte", ""])
    assert list(index.scores("zzz inconnu")) == [0.0, 0.0]


def test_the_saved_bm25_arrays_say_how_many_units_hold_each_term(tmp_path: Path) -> None:
    corpus = [["projet", "benevol"], ["projet"], [], ["projet", "projet", "emploi"]]
    built = TermIndex.build(corpus)
    built.save(tmp_path)
    loaded = TermIndex.load(tmp_path)
    assert loaded is not None
    assert loaded.document_frequencies() == {"projet": 3, "benevol": 1, "emploi": 1}
