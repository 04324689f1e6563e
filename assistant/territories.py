"""Which territory a question is about, from the names and adjectives people use."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from assistant.errors import CorpusError
from assistant.text import fold
from assistant.types import Chunk

ELSEWHERE = "other"


def territories_of(unit: Chunk) -> set[str]:
    """The territories a unit is about (its ``territory`` metadata)."""
    value = unit.metadata.get("territory")
    if isinstance(value, list):
        return {str(v) for v in value}
    return {str(value)} if value else set()


@dataclass(frozen=True)
class Territory:
    name: str
    covered: bool


class Gazetteer:
    """Finds territory mentions as whole words, the longest alias first."""

    def __init__(self, aliases: dict[str, Territory]) -> None:
        self._aliases = aliases
        ordered = sorted(aliases, key=len, reverse=True)
        pattern = "|".join(re.escape(alias) for alias in ordered)
        self._regex = re.compile(rf"(?<![\w-])(?:{pattern})(?![\w-])") if ordered else None

    @classmethod
    def load(cls, path: Path) -> Gazetteer:
        if not path.exists():
            return cls({})
        try:
            rows = yaml.safe_load(path.read_text(encoding="utf-8")) or []
            aliases: dict[str, Territory] = {}
            for row in rows:
                territory = Territory(str(row["name"]), bool(row.get("covered", True)))
                for alias in [row["name"], *row.get("aliases", [])]:
                    aliases[fold(str(alias))] = territory
        except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
            raise CorpusError(f"{path}: invalid territories file: {exc}") from exc
        return cls(aliases)

    def find(self, text: str) -> list[Territory]:
        """Territories named in ``text``, in order of appearance, without repeats."""
        if self._regex is None:
            return []
        found: list[Territory] = []
        for match in self._regex.finditer(fold(text)):
            territory = self._aliases[match.group(0)]
            if territory not in found:
                found.append(territory)
        return found
