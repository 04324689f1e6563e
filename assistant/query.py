"""What a query asks for: its language, whether it wants a list, the glossary terms it names."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.glossary import Glossary, GlossaryEntry
from assistant.text import detect_language, fold

# "quelles actions…", "lesquels", "la liste des…", "which…", "what are…": the user wants every
# item, not the best passage.
_LIST_INTENT = re.compile(
    r"\b(quel(le)?s|lesquel(le)?s|liste[rs]?|enumere[rz]?|tous les|toutes les|"
    r"c'?est quoi les|(deux|trois|quatre|cinq|six|sept|huit|neuf|dix) (grand(e)?s )?\w+s|"
    r"qu'?est-ce qui est prevu|que prevoit|que fait|"
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
        return " ".join(entry.expansion_text for entry in self.glossary_terms)


def analyze(query: str, glossary: Glossary | None = None) -> AnalyzedQuery:
    folded = fold(query)
    return AnalyzedQuery(
        text=query,
        language=detect_language(query),
        wants_list=bool(_LIST_INTENT.search(folded)),
        glossary_terms=tuple(glossary.find(query)) if glossary else (),
    )
