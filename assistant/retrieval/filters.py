"""Filters on unit metadata, applied inside retrieval (before ranking, not after the top k)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

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
