"""What a query asks for: its language, whether it wants a list, the glossary terms it names."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.retrieval.glossary import Glossary, GlossaryEntry
from assistant.text import detect_language, fold

# "quelles actions…", "lesquels", "la liste des…", "which…", "what are…": the user wants every
# item, not the best passage.
_LIST_INTENT = re.compile(
    r"\b(quel(le)?s|lesquel(le)?s|liste[rs]?|enumere[rz]?|tous les|toutes les|"
    r"c'?est quoi les|(deux|trois|quatre|cinq|six|sept|huit|neuf|dix) (grand(e)?s )?\w+s|"
    r"qu'?est-ce qui est prevu|qu'?est-ce qu'?on prevoit|que prevoit|prevu pour|que fait|"
    r"which|what are|list( all| the)?|name the|what kinds?|(two|three|four|five) \w+s|"
    r"what is planned|what does (the|niort)\b.*\b(plan|do))\b"
)


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
        wants_list=bool(_LIST_INTENT.search(folded)),
        glossary_terms=tuple(glossary.find(query)) if glossary else (),
    )
