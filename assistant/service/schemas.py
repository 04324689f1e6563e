"""Request and response schemas of the HTTP API (separate from the library's types)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from assistant.retrieve import MAX_QUERY_CHARS, MAX_TOP_K
from assistant.schemes import NEEDS, STAGES
from assistant.types import Answer, Citation, Hit, SourceSpan

MAX_HISTORY_TURNS = 20
MAX_TURN_CHARS = 4000
FilterValue = str | list[str]


def _not_blank(value: str) -> str:
    stripped = value.strip()
    if not stripped:
        raise ValueError("must not be empty or only whitespace")
    return stripped


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SearchRequest(_Request):
    query: str = Field(max_length=MAX_QUERY_CHARS, examples=["économie circulaire"])
    top_k: int = Field(default=5, ge=1, le=MAX_TOP_K)
    filters: dict[str, FilterValue] = Field(default_factory=dict, examples=[{"kind": "action"}])

    @field_validator("query")
    @classmethod
    def _query(cls, value: str) -> str:
        return _not_blank(value)


class HistoryTurn(_Request):
    role: Literal["user", "assistant"]
    content: str = Field(max_length=MAX_TURN_CHARS)


class AskRequest(_Request):
    question: str = Field(
        max_length=MAX_QUERY_CHARS, examples=["Quelles actions soutiennent l'économie circulaire ?"]
    )
    history: list[HistoryTurn] = Field(default_factory=list, max_length=MAX_HISTORY_TURNS)
    filters: dict[str, FilterValue] = Field(default_factory=dict)
    generate: bool = Field(default=True, description="Use the language model if configured.")

    @field_validator("question")
    @classmethod
    def _question(cls, value: str) -> str:
        return _not_blank(value)


class SchemeMatchRequest(_Request):
    description: str = Field(
        max_length=MAX_QUERY_CHARS,
        examples=["association d'insertion qui veut créer une recyclerie"],
    )
    territory: str | None = Field(default=None, max_length=100, examples=["Niort Agglo"])
    stage: Literal[STAGES] | None = None  # type: ignore[valid-type]
    needs: list[Literal[NEEDS]] = Field(default_factory=list)  # type: ignore[valid-type]
    amount_eur: int | None = Field(default=None, ge=0, le=1_000_000_000)
    top_k: int = Field(default=8, ge=1, le=30)

    @field_validator("description")
    @classmethod
    def _description(cls, value: str) -> str:
        return _not_blank(value)


class Source(BaseModel):
    document: str
    section: str
    start: int
    end: int

    @classmethod
    def of(cls, span: SourceSpan) -> Source:
        return cls(document=span.document, section=span.section, start=span.start, end=span.end)


class ResultOut(BaseModel):
    id: str
    text: str
    score: float
    kind: str
    source: Source
    metadata: dict[str, Any]

    @classmethod
    def of(cls, hit: Hit) -> ResultOut:
        unit = hit.chunk
        return cls(id=unit.id, text=unit.text, score=round(hit.score, 6), kind=unit.kind,
                   source=Source.of(unit.source), metadata=unit.metadata)  # fmt: skip


class SearchResponse(BaseModel):
    query: str
    results: list[ResultOut]


class CitationOut(BaseModel):
    number: int
    id: str
    kind: str
    record_id: str | None
    text: str
    source: Source

    @classmethod
    def of(cls, citation: Citation) -> CitationOut:
        return cls(number=citation.number, id=citation.unit_id, kind=citation.kind,
                   record_id=citation.record_id, text=citation.text,
                   source=Source.of(citation.source))  # fmt: skip


class AskResponse(BaseModel):
    question: str
    resolved_question: str
    answer: str
    abstained: bool
    citations: list[CitationOut]
    language: str
    generator: str
    notice: str | None

    @classmethod
    def of(cls, answer: Answer) -> AskResponse:
        return cls(
            question=answer.question,
            resolved_question=answer.resolved_question,
            answer=answer.text,
            abstained=answer.abstained,
            citations=[CitationOut.of(c) for c in answer.citations],
            language=answer.language,
            generator=answer.generator,
            notice=answer.notice,
        )


class SchemeMatchOut(BaseModel):
    kind: str
    id: str
    name: str
    territory: str
    local: bool
    score: float
    summary: str
    fits: list[str]
    may_not_fit: list[str]
    amounts: str | None
    contact: str | None
    website: str | None
    accessible: bool = Field(
        default=True, description="false for a scheme reserved to another territory"
    )
    restriction: str | None = Field(default=None, examples=["réservé au territoire de …"])
    notes: list[str] = Field(
        default_factory=list,
        description="how an inaccessible scheme would match the project (an example, not a fit)",
    )


class SchemeMatchResponse(BaseModel):
    matches: list[SchemeMatchOut]
    notice: str | None


class ErrorResponse(BaseModel):
    detail: str
