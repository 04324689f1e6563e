"""The domain's vocabulary: acronyms and terms with their expansions and everyday synonyms.

Users ask about "recycleries" or "second-hand shops" where the roadmap says "réemploi", and about
the "PAT" where it never spells it out. A query that mentions a term or one of its synonyms is
expanded with the term, its expansion and its synonyms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant.datafile import load_yaml
from assistant.errors import CorpusError
from assistant.text import fold


class GlossaryEntry(BaseModel):
    """One term of the glossary."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    term: str = Field(min_length=1)
    expansion: str
    definition: str
    synonyms: tuple[str, ...] = ()

    @property
    def expansion_text(self) -> str:
        return " ".join(dict.fromkeys([self.term, self.expansion, *self.synonyms]))


@dataclass(frozen=True)
class _Pattern:
    entry: GlossaryEntry
    regex: re.Pattern[str]


class Glossary:
    """Finds the glossary terms a query mentions (as whole words, ignoring accents and case)."""

    def __init__(self, entries: list[GlossaryEntry]) -> None:
        self.entries = entries
        self._patterns = [_Pattern(entry, _regex(entry)) for entry in entries]

    @classmethod
    def load(cls, path: Path) -> Glossary:
        """Read ``glossary.yaml``; an absent file is an empty glossary."""
        if not path.exists():
            return cls([])
        try:
            rows = load_yaml(path.read_text(encoding="utf-8")) or []
            return cls([GlossaryEntry.model_validate(row) for row in rows])
        except (OSError, yaml.YAMLError, ValidationError, TypeError) as exc:
            raise CorpusError(f"{path}: invalid glossary: {exc}") from exc

    def find(self, text: str) -> list[GlossaryEntry]:
        """Entries whose term or a synonym appears in ``text``."""
        folded = fold(text)
        return [p.entry for p in self._patterns if p.regex.search(folded)]

    def expand(self, query: str) -> str:
        """The words to add to ``query`` (empty when it mentions no glossary term)."""
        return " ".join(entry.expansion_text for entry in self.find(query))

    def lookup(self, term: str) -> GlossaryEntry | None:
        key = fold(term.strip())
        return next((e for e in self.entries if fold(e.term) == key), None)


def _regex(entry: GlossaryEntry) -> re.Pattern[str]:
    names = sorted({fold(name) for name in (entry.term, *entry.synonyms) if name.strip()}, key=len)
    alternatives = "|".join(re.escape(name) for name in reversed(names))
    # Plurals ("recycleries", "SCIC") match too; \b keeps "pat" out of "patrimoine".
    return re.compile(rf"\b(?:{alternatives})(?:s|es|x)?\b")
