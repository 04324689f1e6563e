"""The BM25 arrays of a build: bm25s' sparse score matrix over the units' analysed terms.

Built once by ``assistant build`` from terms the retrieval stage's analyser produced, saved
beside the vectors (bm25s' own arrays and a JSON of its parameters) and memory-mapped at load:
at a million units re-indexing takes minutes, mapping takes milliseconds. Turning text into
terms is retrieval's business (``assistant.retrieval.lexical``); this module only stores them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np
import numpy.typing as npt

# bm25s sets its own logger to DEBUG on import; leave the level to the application.
logging.getLogger("bm25s").setLevel(logging.NOTSET)

FOLDER = "bm25"
EMPTY = "<empty>"  # the term of a text that has none


class TermIndex:
    """BM25 (Lucene variant) over analysed units, position ``i`` being unit ``i``."""

    def __init__(self, bm25: bm25s.BM25) -> None:
        self._bm25 = bm25
        self.vocabulary = frozenset(bm25.vocab_dict)
        self.size = int(bm25.scores["num_docs"])

    @classmethod
    def build(cls, corpus: Sequence[list[str]], *, k1: float = 1.2, b: float = 0.75) -> TermIndex:
        """An index over analysed texts; bm25s needs a term per text, so an empty one gets a
        placeholder."""
        bm25 = bm25s.BM25(k1=k1, b=b, method="lucene")
        bm25.index([terms or [EMPTY] for terms in corpus], show_progress=False)
        return cls(bm25)

    @classmethod
    def load(cls, folder: Path) -> TermIndex | None:
        """The index saved in ``folder`` (memory-mapped), or ``None`` when there is none."""
        path = folder / FOLDER
        if not path.is_dir():
            return None
        return cls(bm25s.BM25.load(str(path), mmap=True))

    def save(self, folder: Path) -> None:
        self._bm25.save(str(folder / FOLDER))

    def document_frequencies(self) -> dict[str, int]:
        """How many units hold each term: the units a term scores (bm25s keeps a column of
        nonzero scores per term; its empty-string term and the placeholder have none)."""
        indptr = np.asarray(self._bm25.scores["indptr"])
        counts = np.diff(indptr)
        return {
            term: int(counts[column])
            for term, column in self._bm25.vocab_dict.items()
            if column < counts.size and term not in ("", EMPTY)
        }

    def scores(self, terms: Sequence[str]) -> npt.NDArray[np.float32]:
        """BM25 score of every unit for ``terms`` (zeros when none is indexed)."""
        known = [t for t in terms if t in self.vocabulary]
        if not known:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(known), dtype=np.float32)


def top_positions(
    scores: npt.NDArray[np.float32], top_k: int, allowed: npt.NDArray[np.int64] | None = None
) -> npt.NDArray[np.int64]:
    """Positions of the ``top_k`` best positive scores (among ``allowed``), in position order.

    bm25s' own selection (``bm25s.selection.topk``), run on the positive scores only: most
    units match no query term, and selecting among all of a million takes longer than the
    BM25 scoring itself.
    """
    positive = np.flatnonzero(scores > 0) if allowed is None else allowed[scores[allowed] > 0]
    if positive.size <= top_k:
        return np.sort(positive).astype(np.int64)
    _, best = bm25s.selection.topk(scores[positive], top_k, backend="numpy", sorted=False)
    return np.sort(positive[np.asarray(best, dtype=np.int64)])
