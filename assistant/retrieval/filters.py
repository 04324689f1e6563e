"""Filters on unit metadata, applied inside retrieval (before ranking, not after the top k)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from assistant.errors import InvalidQueryError
from assistant.text import fold
from assistant.types import UNIT_KINDS, Chunk, MetadataValue

FILTER_KEYS: dict[str, str] = {
    "kind": "unit kind: " + ", ".join(UNIT_KINDS),
    "document": "document file name (part of it is enough)",
    "section": "section path (part of it is enough)",
    "axis": "strategic or operational axis id, e.g. B or B.2",
    "theme": "theme of an action, scheme or actor, e.g. économie circulaire",
    "territory": "territory, e.g. Nantes (part of the name is enough)",
    "scheme_type": "type of support scheme, e.g. subvention, prix, locaux",
    "stage": "project stage: émergence, développement, changement d'échelle",
    "need": "need covered: financement, locaux, accompagnement, visibilité, commande publique",
    "actor_type": "type of actor, e.g. accompagnement, gouvernance",
    "record_id": "id of a record, e.g. A.1.2",
}
# For these keys a filter value matches when it is part of the unit's value.
_PARTIAL_KEYS = {"document", "section", "territory"}

FilterSpec = Mapping[str, str | Sequence[str]]
Positions = npt.NDArray[np.int64]


class UnitFilter:
    """Keeps units whose metadata match every key (any of the values given for a key)."""

    def __init__(self, filters: FilterSpec | None = None) -> None:
        self.filters: dict[str, list[str]] = {}
        for key, value in (filters or {}).items():
            if key not in FILTER_KEYS:
                raise InvalidQueryError(
                    f"unknown filter {key!r}; known filters: {', '.join(FILTER_KEYS)}"
                )
            values = [value] if isinstance(value, str) else list(value)
            values = [v.strip() for v in values if v and v.strip()]
            if not values:
                raise InvalidQueryError(f"filter {key!r} needs a value ({FILTER_KEYS[key]})")
            if key == "kind":
                unknown = [v for v in values if v not in UNIT_KINDS]
                if unknown:
                    raise InvalidQueryError(
                        f"unknown kind {unknown[0]!r}; kinds are: {', '.join(UNIT_KINDS)}"
                    )
            self.filters[key] = values

    def __bool__(self) -> bool:
        return bool(self.filters)

    def matches(self, unit: Chunk) -> bool:
        return all(
            any(_match(key, _value(unit, key), wanted) for wanted in values)
            for key, values in self.filters.items()
        )

    def allowed(self, units: Sequence[Chunk]) -> list[int] | None:
        """Positions of the units that pass, or ``None`` when there is no filter."""
        if not self.filters:
            return None
        return [i for i, unit in enumerate(units) if self.matches(unit)]


class FilterIndex:
    """For each filter key, its folded values and the positions of the units having them.

    ``UnitFilter.allowed`` folds and compares every value of every unit for each query; at a
    million units that alone takes seconds. Here each field's distinct values are folded once,
    so a filter costs one lookup per value (exact keys) or one pass over the field's distinct
    values (keys matched on part of the value), never a pass over the units.
    """

    def __init__(self, units: Sequence[Chunk]) -> None:
        self.size = len(units)
        gathered: dict[str, defaultdict[str, list[int]]] = {
            key: defaultdict(list) for key in FILTER_KEYS
        }
        for position, unit in enumerate(units):
            for key, by_value in gathered.items():
                actual = _value(unit, key)
                if actual is None:
                    continue
                values = actual if isinstance(actual, list) else [actual]
                for value in {fold(str(v)) for v in values}:
                    by_value[value].append(position)
        self._values: dict[str, dict[str, Positions]] = {
            key: {value: np.asarray(ids, dtype=np.int64) for value, ids in by_value.items()}
            for key, by_value in gathered.items()
        }

    def allowed(self, filters: FilterSpec | UnitFilter | None) -> Positions | None:
        """Sorted positions of the units matching every key (any of its values); ``None`` when
        there is no filter. Values match as ``UnitFilter.matches`` matches them."""
        spec = filters if isinstance(filters, UnitFilter) else UnitFilter(filters)
        if not spec:
            return None
        result: Positions | None = None
        for key, wanted in spec.filters.items():
            matched = self._matching(key, wanted)
            result = matched if result is None else np.intersect1d(result, matched)
            if result.size == 0:
                break
        return result if result is not None else np.arange(self.size, dtype=np.int64)

    def _matching(self, key: str, wanted: list[str]) -> Positions:
        by_value = self._values[key]
        targets = [fold(w) for w in wanted]
        if key in _PARTIAL_KEYS:
            parts = [ids for value, ids in by_value.items() if any(t in value for t in targets)]
        else:
            parts = [by_value[t] for t in targets if t in by_value]
        if not parts:
            return np.empty(0, dtype=np.int64)
        return np.unique(np.concatenate(parts))


def parse_filter_pairs(pairs: Sequence[str]) -> dict[str, list[str]]:
    """``["theme=insertion", "kind=action"]`` → ``{"theme": ["insertion"], "kind": ["action"]}``."""
    parsed: dict[str, list[str]] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InvalidQueryError(
                f"filter {pair!r} must look like key=value, e.g. theme=insertion"
            )
        parsed.setdefault(key.strip(), []).append(value.strip())
    return parsed


def _value(unit: Chunk, key: str) -> MetadataValue:
    return unit.kind if key == "kind" else unit.metadata.get(key)


def _match(key: str, actual: MetadataValue, wanted: str) -> bool:
    if actual is None:
        return False
    candidates = actual if isinstance(actual, list) else [str(actual)]
    target = fold(wanted)
    if key in _PARTIAL_KEYS:
        return any(target in fold(candidate) for candidate in candidates)
    return any(target == fold(candidate) for candidate in candidates)
