"""Sentences inside units: exact offsets, nothing lost, best sentence per unit."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.index.sentences import SegmentIndex, split_segments


def test_sentences_and_list_items_are_split_and_short_pieces_join_a_neighbour() -> None:
    text = (
        "Le fonds a été créé en 2017 par Nantes Métropole. Il finance 14 projets par an. Ok.\n"
        "- proposer une solution innovante\n"
        "- créer de l'emploi ; apporter une plus-value sociale"
    )
    pieces = [text[s:e] for s, e in split_segments(text)]
    assert pieces == [
        "Le fonds a été créé en 2017 par Nantes Métropole.",
        "Il finance 14 projets par an. Ok.",
        "- proposer une solution innovante",
        "- créer de l'emploi ; apporter une plus-value sociale",
    ]


@given(st.text(alphabet="abc DEF.!?\n0123", max_size=400))
def test_segments_are_ordered_non_overlapping_stripped_spans(text: str) -> None:
    previous_end = 0
    for start, end in split_segments(text):
        assert previous_end <= start < end <= len(text)
        assert text[start:end] == text[start:end].strip()
        previous_end = end


def test_best_sentence_per_unit() -> None:
    rows = np.array([[0, 0, 5], [0, 6, 9], [2, 0, 4]], dtype=np.int64)
    vectors = np.array([[1, 0], [0, 1], [0.6, 0.8]], dtype=np.float32)
    index = SegmentIndex(rows=rows, vectors=vectors)
    best = index.best_per_unit(np.array([0, 1], dtype=np.float32), 3)
    # Sentence vectors are stored in float16: scores agree to about 1e-3.
    assert list(best) == pytest.approx([1.0, -1.0, 0.8], abs=1e-3)
    # The best sentence of chosen units only, in the order asked, reads just their rows.
    some = index.best_of(np.array([0, 1], dtype=np.float32), np.array([2, 1, 0, 7]))
    assert list(some) == pytest.approx([0.8, -1.0, 1.0, -1.0], abs=1e-3)
    assert list(index.top_units(np.array([0, 1], dtype=np.float32), 1, 3, None)) == [0]
    assert list(index.top_units(np.array([0, 1], dtype=np.float32), 5, 3, np.array([2]))) == [2]
    assert index.ranked_in_unit(np.array([1, 0], dtype=np.float32), 0) == [
        (0, 5, 1.0),
        (6, 9, 0.0),
    ]
