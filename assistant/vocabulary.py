"""The values records may use (themes, scheme types, stages, needs, actor types), as data.

Read from ``corpus/vocabulary.yaml``; records are checked against it when they are loaded, the
service exposes it (``GET /vocabulary``) and every list of the web app comes from it, so the UI
and the records cannot drift apart. A corpus without a vocabulary file accepts any value, and its
lists are the values its records use.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from assistant.datafile import read_mapping
from assistant.errors import CorpusError

# The lists a vocabulary holds, and the record fields each one checks.
FIELDS = ("themes", "scheme_types", "stages", "needs", "actor_types")


@dataclass(frozen=True)
class Term:
    """One allowed value and how the UI shows it."""

    value: str
    label: str
    outline: str | None = None  # the title of a unit listing all records with this value


@dataclass(frozen=True)
class Vocabulary:
    """Allowed values by list; an empty list (no file) accepts any value."""

    themes: tuple[Term, ...] = ()
    scheme_types: tuple[Term, ...] = ()
    stages: tuple[Term, ...] = ()
    needs: tuple[Term, ...] = ()
    actor_types: tuple[Term, ...] = ()
    source: str = field(default="", compare=False)  # the file it was read from, for messages

    def terms(self, name: str) -> tuple[Term, ...]:
        if name not in FIELDS:
            raise KeyError(f"unknown vocabulary list {name!r}; known: {', '.join(FIELDS)}")
        terms: tuple[Term, ...] = getattr(self, name)
        return terms

    def values(self, name: str) -> list[str]:
        return [term.value for term in self.terms(name)]

    def label(self, name: str, value: str) -> str:
        """The UI label of a value (the value itself when the list does not hold it)."""
        return next((t.label for t in self.terms(name) if t.value == value), value)

    def outline(self, name: str, value: str) -> str | None:
        """The title of the outline unit gathering the records with this value, if it has one."""
        return next((t.outline for t in self.terms(name) if t.value == value), None)

    def unknown(self, name: str, values: Iterable[str]) -> list[str]:
        """The values a list does not allow (none when the list is open)."""
        allowed = set(self.values(name))
        return [v for v in values if allowed and v not in allowed]

    def completed(self, used: dict[str, set[str]]) -> Vocabulary:
        """This vocabulary, with each open list filled with the values the records use."""
        lists = {
            name: self.terms(name) or tuple(Term(v, v) for v in sorted(used.get(name, set())))
            for name in FIELDS
        }
        return Vocabulary(**lists, source=self.source)

    def as_dict(self) -> dict[str, list[dict[str, str]]]:
        return {
            name: [{"value": t.value, "label": t.label} for t in self.terms(name)]
            for name in FIELDS
        }


def load_vocabulary(path: Path) -> Vocabulary:
    """The vocabulary read from ``path``; an open one when the file does not exist."""
    data = read_mapping(path, "a mapping of list names to values")
    if data is None:
        return Vocabulary()
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise CorpusError(
            f"{path}: unknown list {', '.join(map(repr, unknown))}; known: {', '.join(FIELDS)}"
        )
    lists = {name: _terms(path, name, data.get(name) or []) for name in FIELDS}
    return Vocabulary(**lists, source=str(path))


def _terms(path: Path, name: str, rows: object) -> tuple[Term, ...]:
    if not isinstance(rows, list):
        raise CorpusError(f"{path}: {name} must be a list, got {type(rows).__name__}")
    terms: list[Term] = []
    for position, row in enumerate(rows, 1):
        outline = None
        if isinstance(row, str):
            value, label = row, row[:1].upper() + row[1:]
        elif isinstance(row, dict) and isinstance(row.get("value"), str):
            value = row["value"]
            label = str(row.get("label") or value[:1].upper() + value[1:])
            outline = row.get("outline")
        else:
            raise CorpusError(
                f"{path}: {name} #{position}: must be a value or a mapping with 'value' "
                f"(and 'label'), got {row!r}"
            )
        if any(t.value == value for t in terms):
            raise CorpusError(f"{path}: {name}: {value!r} is listed twice")
        terms.append(Term(value.strip(), label.strip(), str(outline) if outline else None))
    return tuple(terms)
