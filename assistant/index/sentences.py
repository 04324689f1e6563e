"""Sentence-level vectors inside each unit: the best sentence speaks for its unit.

A passage of 1,200 characters holds many facts, and its single embedding is an average of them;
a question about one fact matches that fact's sentence far better. Each unit's sentences and
list items are embedded (with the unit's context) and a unit's dense score blends its own
similarity with that of its best sentence. The answerer reuses them to pick the sentences that
answer a question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from assistant.index.embedders import Vectors
from assistant.text import strip_span
from assistant.types import Chunk

MIN_SEGMENT_CHARS = 25
# A sentence ends with . ! ? … followed by a space and an upper-case letter, a quote or a digit.
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[A-ZÀ-ÖØ-Þ«\"(\[0-9])")


def split_segments(text: str) -> list[tuple[int, int]]:
    """Offsets of the sentences and list items of ``text``; very short pieces join the next."""
    spans: list[tuple[int, int]] = []
    position = 0
    for line in text.split("\n"):
        line_start = position
        position += len(line) + 1
        cursor = 0
        pieces: list[tuple[int, int]] = []
        for match in _SENTENCE_END.finditer(line):
            pieces.append((cursor, match.start()))
            cursor = match.end()
        pieces.append((cursor, len(line)))
        pending: int | None = None
        for start, end in pieces:
            start = pending if pending is not None else start
            if len(line[start:end].strip()) < MIN_SEGMENT_CHARS:
                pending = start
                continue
            pending = None
            spans.append(strip_span(text, line_start + start, line_start + end))
        if pending is not None and spans and spans[-1][0] >= line_start:
            spans[-1] = (spans[-1][0], line_start + len(line))
    return [span for span in spans if span[1] > span[0]]


def segment_rows(units: list[Chunk]) -> npt.NDArray[np.int64]:
    """``[unit position, start, end]`` for every sentence of every unit."""
    rows = [
        (position, start, end)
        for position, unit in enumerate(units)
        for start, end in split_segments(unit.text)
    ]
    return np.asarray(rows, dtype=np.int64).reshape(-1, 3)


def segment_text(unit: Chunk, start: int, end: int) -> str:
    """What is embedded for a sentence: the unit's context, then the sentence."""
    sentence = unit.text[start:end]
    return f"{unit.context}\n{sentence}" if unit.context else sentence


@dataclass(frozen=True)
class SegmentIndex:
    """Sentence vectors with, for each, the unit it belongs to and its offsets in the unit."""

    rows: npt.NDArray[np.int64]  # [unit position, start, end]
    vectors: Vectors

    FILE = "segments.npz"

    def __len__(self) -> int:
        return int(self.rows.shape[0])

    def best_per_unit(self, query: Vectors, unit_count: int) -> npt.NDArray[np.float32]:
        """For each unit, the cosine of its best sentence (-1 for a unit without sentences)."""
        best = np.full(unit_count, -1.0, dtype=np.float32)
        if len(self):
            np.maximum.at(best, self.rows[:, 0], self.vectors @ query)
        return best

    def ranked_in_unit(self, query: Vectors, unit: int) -> list[tuple[int, int, float]]:
        """The sentences of one unit as ``(start, end, score)``, best first."""
        mask = self.rows[:, 0] == unit
        scores = self.vectors[mask] @ query
        spans = self.rows[mask][:, 1:]
        order = np.argsort(-scores, kind="stable")
        return [(int(spans[i, 0]), int(spans[i, 1]), float(scores[i])) for i in order]

    def save(self, folder: Path) -> None:
        np.savez(folder / self.FILE, rows=self.rows, vectors=self.vectors)

    @classmethod
    def load(cls, folder: Path) -> SegmentIndex | None:
        path = folder / cls.FILE
        if not path.exists():
            return None
        with np.load(path) as data:
            return cls(rows=data["rows"], vectors=data["vectors"].astype(np.float32))
