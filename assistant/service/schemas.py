"""Request and response schemas of the HTTP API (separate from the library's types)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from assistant.retrieval.filters import FILTER_KEYS
from assistant.retrieval.hybrid import MAX_QUERY_CHARS, MAX_TOP_K
from assistant.types import UNIT_KINDS, Answer, Citation, Hit, RelatedPassage, SourceSpan

MAX_HISTORY_TURNS = 20
MAX_TURN_CHARS = 4000
NOT_BLANK = r"[^\s\x00-\x1f\x7f-\x9f]"  # neither a space nor a control character (C0, DEL, C1)
MAX_FILTER_VALUES = 20
MAX_FILTER_VALUE_CHARS = 200
# A filter's value: one string, or a short list of them (any of them matches).
FilterText = Annotated[
    str, Field(min_length=1, max_length=MAX_FILTER_VALUE_CHARS, pattern=NOT_BLANK)
]
FilterValue = (
    FilterText | Annotated[list[FilterText], Field(min_length=1, max_length=MAX_FILTER_VALUES)]
)
KindName = Literal[UNIT_KINDS]  # type: ignore[valid-type]
KindValue = KindName | Annotated[list[KindName], Field(min_length=1, max_length=MAX_FILTER_VALUES)]


def _not_text(value: Any) -> Any:
    if isinstance(value, str | bool):
        raise ValueError("must be a number, not a string or a boolean")
    return value


def _filter(key: str) -> Any:
    return Field(default=None, description=FILTER_KEYS[key])


class Filters(BaseModel):
    """Keep units whose metadata match every key given (any of the values given for a key)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    kind: KindValue | None = _filter("kind")
    document: FilterValue | None = _filter("document")
    section: FilterValue | None = _filter("section")
    axis: FilterValue | None = _filter("axis")
    theme: FilterValue | None = _filter("theme")
    territory: FilterValue | None = _filter("territory")
    scheme_type: FilterValue | None = _filter("scheme_type")
    stage: FilterValue | None = _filter("stage")
    need: FilterValue | None = _filter("need")
    actor_type: FilterValue | None = _filter("actor_type")
    record_id: FilterValue | None = _filter("record_id")

    def spec(self) -> dict[str, str | list[str]]:
        """The filters given, as the library takes them."""
        return {key: value for key, value in self if value is not None}


def _not_blank(value: str) -> str:
    stripped = value.strip()
    if not stripped:
        raise ValueError("must not be empty or only whitespace")
    return stripped


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    # JSON Schema counts 3.0 as an integer, so numbers are not strict; "3" and true are refused.
    @field_validator("top_k", "amount_eur", mode="before", check_fields=False)
    @classmethod
    def _numbers(cls, value: Any) -> Any:
        return _not_text(value)


class SearchRequest(_Request):
    query: str = Field(
        min_length=1,
        max_length=MAX_QUERY_CHARS,
        pattern=NOT_BLANK,
        examples=["économie circulaire"],
    )
    top_k: int = Field(default=5, ge=1, le=MAX_TOP_K, strict=False)
    filters: Filters = Field(default_factory=Filters, examples=[{"kind": "action"}])

    @field_validator("query")
    @classmethod
    def _query(cls, value: str) -> str:
        return _not_blank(value)


class HistoryTurn(_Request):
    role: Literal["user", "assistant"]
    content: str = Field(max_length=MAX_TURN_CHARS)


class AskRequest(_Request):
    question: str = Field(
        min_length=1,
        max_length=MAX_QUERY_CHARS,
        pattern=NOT_BLANK,
        examples=["Quelles actions soutiennent l'économie circulaire ?"],
    )
    history: list[HistoryTurn] = Field(default_factory=list, max_length=MAX_HISTORY_TURNS)
    filters: Filters = Field(default_factory=Filters)
    generate: bool = Field(default=True, description="Use the language model if configured.")

    @field_validator("question")
    @classmethod
    def _question(cls, value: str) -> str:
        return _not_blank(value)


class SchemeMatchRequest(_Request):
    description: str = Field(
        min_length=1,
        max_length=MAX_QUERY_CHARS,
        pattern=NOT_BLANK,
        examples=["association d'insertion qui veut créer une recyclerie"],
    )
    territory: str | None = Field(default=None, max_length=100, examples=["Pays de Valmont"])
    # Checked against the corpus vocabulary (GET /vocabulary) by the finder: a 400 naming the field.
    stage: str | None = Field(default=None, max_length=100, examples=["émergence"])
    needs: list[Annotated[str, Field(max_length=100)]] = Field(
        default_factory=list, max_length=20, examples=[["financement"]]
    )
    amount_eur: int | None = Field(default=None, ge=0, le=1_000_000_000, strict=False)
    top_k: int = Field(default=8, ge=1, le=30, strict=False)

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


class RelatedOut(BaseModel):
    """A passage close to the question that does not answer it (not cited by the answer)."""

    id: str
    kind: str
    record_id: str | None
    text: str
    source: Source

    @classmethod
    def of(cls, passage: RelatedPassage) -> RelatedOut:
        return cls(id=passage.unit_id, kind=passage.kind, record_id=passage.record_id,
                   text=passage.text, source=Source.of(passage.source))  # fmt: skip


class AskResponse(BaseModel):
    question: str
    resolved_question: str | None = Field(
        description="The question as understood, when a follow-up was rewritten; else null."
    )
    answer: str
    abstained: bool
    citations: list[CitationOut]
    language: str
    generator: str
    notice: str | None
    related: list[RelatedOut] = Field(default_factory=list)

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
            related=[RelatedOut.of(r) for r in answer.related],
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


class FeedbackRequest(_Request):
    question: str = Field(min_length=1, max_length=MAX_QUERY_CHARS)
    answer: str = Field(min_length=1, max_length=20_000)
    useful: bool
    comment: str = Field(default="", max_length=2000)
    client_id: str | None = Field(
        default=None,
        max_length=100,
        description="Who votes (one vote per answer and per client); default: the address.",
    )


class FeedbackResponse(BaseModel):
    id: int


class DocumentOut(BaseModel):
    name: str
    format: str
    size_bytes: int
    indexed: bool
    units: int
    last_indexed: str | None


class JobOut(BaseModel):
    id: str
    state: Literal["queued", "running", "succeeded", "failed"]
    stage: str
    embedded: int
    to_embed: int
    skipped: list[dict[str, str]]
    error: str | None
    started_at: str
    finished_at: str | None
    report: dict[str, Any] | None


ERROR_MODEL: dict[str, Any] = {"model": ErrorResponse}
