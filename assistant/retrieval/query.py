"""What a query asks for: its language, whether it wants a list, the glossary terms it names."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from assistant.datafile import load_yaml
from assistant.retrieval.glossary import Glossary, GlossaryEntry
from assistant.text import detect_language, fold

LIST_CUES = Path(__file__).with_name("list_cues.yaml")


@cache
def _list_intent(path: Path = LIST_CUES) -> re.Pattern[str]:
    """One pattern of every language's list cues (``list_cues.yaml``)."""
    table = load_yaml(path.read_text(encoding="utf-8"))
    cues = [cue for language in table.values() for cue in language]
    return re.compile(r"\b(" + "|".join(f"(?:{cue})" for cue in cues) + r")\b")


@dataclass(frozen=True)
class AnalyzedQuery:
    text: str
    language: str
    wants_list: bool
    glossary_terms: tuple[GlossaryEntry, ...]

    @property
    def expansion(self) -> str:
        """Every glossary term named, with its expansion and synonyms (for the lexical side)."""
        return " ".join(entry.expansion_text for entry in self.glossary_terms)

    @property
    def dense_text(self) -> str:
        """What is embedded: the query, then the glossary terms it names spelled out
        ("SCIC (société coopérative d'intérêt collectif)"), so that an acronym or a word the
        model knows badly ("recyclerie") brings its meaning to the dense side too."""
        terms = [
            entry.term if fold(entry.term) == fold(entry.expansion)
            else f"{entry.term} ({entry.expansion})"
            for entry in self.glossary_terms
        ]  # fmt: skip
        return f"{self.text} {', '.join(terms)}" if terms else self.text


def analyze(query: str, glossary: Glossary | None = None) -> AnalyzedQuery:
    folded = fold(query)
    return AnalyzedQuery(
        text=query,
        language=detect_language(query),
        wants_list=bool(_list_intent().search(folded)),
        glossary_terms=tuple(glossary.find(query)) if glossary else (),
    )
