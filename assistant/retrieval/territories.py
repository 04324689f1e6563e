"""Which territory a question is about, from the names and adjectives people use."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from assistant.datafile import load_yaml
from assistant.errors import CorpusError
from assistant.text import fold
from assistant.types import Chunk

ELSEWHERE = "other"
# What joins a common alias to the place it belongs to: "l'agglo de La Rochelle", "agglo rochelaise"
_OF = re.compile(r"\s*(?:(?:de|du|des)\s+(?:la\s+|l')?|d')?")


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
    """Finds territory mentions as whole words, the longest alias first.

    An alias written in capitals in the territories file (``CAN``, ``MEL``) is an acronym and
    matches only in capitals, so that "What can…" does not name a territory called CAN. A common
    alias (``common`` in the file: "agglo") names its territory unless another place follows it
    ("l'agglo de La Rochelle" is La Rochelle's).
    """

    def __init__(
        self,
        aliases: dict[str, Territory],
        acronyms: dict[str, Territory] | None = None,
        *,
        home: str | None = None,
        common: frozenset[str] = frozenset(),
    ) -> None:
        self.home = home  # the territory whose roadmap the corpus is
        self._aliases = aliases
        self._common = frozenset(fold(alias) for alias in common)
        self._acronyms = acronyms or {}
        self._regex = _words(aliases)
        self._acronym_regex = _words(self._acronyms)

    @classmethod
    def load(cls, path: Path, *, home: str | None = None) -> Gazetteer:
        """The territories of ``path``; ``home`` (the profile's home territory) must be one."""
        if not path.exists():
            return cls({}, home=home)
        try:
            rows = load_yaml(path.read_text(encoding="utf-8")) or []
            aliases: dict[str, Territory] = {}
            acronyms: dict[str, Territory] = {}
            common: set[str] = set()
            for row in rows:
                if "home" in row:
                    raise CorpusError(
                        f"{path}: territory {row.get('name')!r}: 'home' is set in the profile",
                        hint="remove 'home' here and set home_territory in profile.yaml",
                    )
                territory = Territory(str(row["name"]), bool(row.get("covered", True)))
                nouns = [str(alias) for alias in row.get("common", [])]
                common |= set(nouns)
                for alias in [str(row["name"]), *map(str, row.get("aliases", [])), *nouns]:
                    if alias.isupper() and alias.isalpha():
                        acronyms[alias] = territory
                    else:
                        aliases[fold(alias)] = territory
        except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
            raise CorpusError(f"{path}: invalid territories file: {exc}") from exc
        names = {t.name for t in [*aliases.values(), *acronyms.values()] if t.covered}
        if home is not None and names and home not in names:
            raise CorpusError(
                f"the profile's home_territory {home!r} is not a territory of {path}",
                hint=f"use one of: {', '.join(sorted(names))}",
            )
        return cls(aliases, acronyms, home=home, common=frozenset(common))

    def names(self) -> list[str]:
        """The covered territories, the home territory first, then alphabetically."""
        names = {t.name for t in [*self._aliases.values(), *self._acronyms.values()] if t.covered}
        return sorted(names, key=lambda name: (name != self.home, fold(name)))

    def find(self, text: str) -> list[Territory]:
        """Territories named in ``text``, in order of appearance, without repeats."""
        matches: list[tuple[int, Territory]] = []
        if self._regex is not None:
            folded = fold(text)
            words = [(m, self._aliases[m.group(0)]) for m in self._regex.finditer(folded)]
            matches += [
                (m.start(), territory)
                for m, territory in words
                if m.group(0) not in self._common
                or not any(  # "l'agglo de La Rochelle", "l'agglo rochelaise": that place's
                    place != territory and _OF.fullmatch(folded, m.end(), other.start())
                    for other, place in words
                )
            ]
        if self._acronym_regex is not None:
            matches += [
                (m.start(), self._acronyms[m.group(0)]) for m in self._acronym_regex.finditer(text)
            ]
        found: list[Territory] = []
        for _, territory in sorted(matches, key=lambda pair: pair[0]):
            if territory not in found:
                found.append(territory)
        return found


def _words(aliases: dict[str, Territory]) -> re.Pattern[str] | None:
    """A regex matching any alias as a whole word, the longest first."""
    if not aliases:
        return None
    pattern = "|".join(re.escape(alias) for alias in sorted(aliases, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{pattern})(?![\w-])")
