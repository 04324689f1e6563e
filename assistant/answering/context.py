"""What one answer is written with: the analysis, the retrieval, the sentences, the draft."""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.answering.analysis import QuestionAnalysis
from assistant.answering.draft import Draft
from assistant.answering.evidence import Evidence, Sentence
from assistant.retrieval.filters import FilterSpec
from assistant.retrieval.hybrid import Retriever, SearchResult
from assistant.types import Hit


@dataclass
class Context:
    """The inputs of an answering module, and what it reports back (``abstained``,
    ``notice``) besides the lines it writes into ``draft``."""

    analysis: QuestionAnalysis
    result: SearchResult
    sentences: list[Sentence]
    draft: Draft
    evidence: Evidence
    retriever: Retriever
    corpus_label: str
    home: str | None
    filters: FilterSpec | None = None
    abstained: bool = False
    notice: str | None = None
    set_aside: list[Sentence] = field(default_factory=list)  # related, not answering

    @property
    def hits(self) -> list[Hit]:
        return self.result.hits
