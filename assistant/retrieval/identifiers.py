"""Records named by their identifier: a question that writes "B.1" or "A.3.2" as the documents
number them is about that record, whatever else it shares with other units.

An identifier is a record's ``record_id`` that reads as a code: letters or digits joined by dots
or dashes, with at least one digit ("B.1", "A.3.2", "forum-mondial-ess-2025"). Slugs of names
without a digit ("conciergerie-d-echire") are left to the names' own matching; a slug with one is
lifted only when a query writes it whole, which people do not do for names.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from assistant.types import Chunk

_CODE = re.compile(r"(?<![\w.])[A-Za-z0-9]+(?:[.-][A-Za-z0-9]+)+(?![\w]|[.-]\w)")
Positions = npt.NDArray[np.int64]


def _is_code(text: str) -> bool:
    return any(c.isdigit() for c in text) and _CODE.fullmatch(text) is not None


class Identifiers:
    """The positions of the units each code names, looked up from a query's code-like words."""

    def __init__(self, units: Sequence[Chunk]) -> None:
        positions: dict[str, list[int]] = defaultdict(list)
        for position, unit in enumerate(units):
            code = str(unit.metadata.get("record_id") or "")
            if code and _is_code(code):
                positions[code.lower()].append(position)
        self._positions = {code: np.asarray(p, dtype=np.int64) for code, p in positions.items()}

    def __len__(self) -> int:
        return len(self._positions)

    def named(self, query: str) -> Positions:
        """Sorted positions of the units whose code the query writes (none: an empty array)."""
        found: list[Positions] = []
        for written in (m.group(0).lower() for m in _CODE.finditer(query)):
            # "A.1-A.3" is no code but a range when each end is one: each names its record
            ends = written.split("-")
            if written not in self._positions and all(end in self._positions for end in ends):
                found += [self._positions[end] for end in ends]
            elif written in self._positions:
                found.append(self._positions[written])
        return np.unique(np.concatenate(found)) if found else np.empty(0, dtype=np.int64)
