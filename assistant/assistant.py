"""The facade: one object that loads the index once and serves search, answers and schemes."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from assistant import wiring
from assistant.answering import Answerer
from assistant.answering.conversation import Turn
from assistant.answering.generate import (
    ChatCompletionsGenerator,
    GenerationError,
    Generator,
    LlamaCppGenerator,
    generate_checked,
    stream_checked,
)
from assistant.answering.schemes import SchemeFinder, SchemeMatch, SchemeQuery
from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.index.store import LoadedIndex
from assistant.ingest.catalog import RecordCatalog, load_catalog, used_values
from assistant.retrieval.filters import FilterSpec
from assistant.retrieval.hybrid import Retriever
from assistant.types import Answer, Document, Hit

logger = logging.getLogger(__name__)


class RecordNotFoundError(AssistantError):
    """No record of that kind has that id."""


@dataclass(frozen=True)
class StreamEvent:
    """A piece of a streamed answer: ``token`` events, then one ``answer`` event."""

    kind: str
    text: str = ""
    answer: Answer | None = None


class Assistant:
    """Search, grounded answers and the scheme finder over one loaded index."""

    def __init__(
        self,
        settings: Settings,
        index: LoadedIndex,
        retriever: Retriever,
        catalog: RecordCatalog,
        generator: Generator | None = None,
    ) -> None:
        """How answers name the corpus and its home territory come from the corpus' profile."""
        self.settings = settings
        self.index = index
        self.retriever = retriever
        self.catalog = catalog
        self.generator = generator
        self.profile = wiring.profile(settings)
        self.vocabulary = wiring.vocabulary(settings).completed(used_values(catalog))
        gazetteer = wiring.gazetteer(settings, self.profile)
        self.gazetteer = gazetteer
        self.answerer = Answerer(
            retriever,
            index.documents,
            gazetteer,
            schemes=catalog.dispositifs,
            corpus_labels={"fr": self.profile.corpus_label, "en": self.profile.corpus_label_en},
            support_actor_type=self.profile.support_actor_type,
        )
        self.schemes = SchemeFinder(
            retriever,
            catalog,
            gazetteer=gazetteer,
            vocabulary=self.vocabulary,
            support_actor_type=self.profile.support_actor_type,
        )

    @classmethod
    def load(cls, settings: Settings) -> Assistant:
        """Load the index, the model and the records (once, at start-up)."""
        index, retriever = wiring.open_store(settings)
        retriever.embedder.embed_query("warm-up")  # load the model now, not on the first query
        documents = {
            name: Document(name=name, title=name, text=text, format="md")
            for name, text in index.documents.items()
        }
        corpus_profile = wiring.profile(settings)
        catalog = load_catalog(
            settings.records_dir,
            documents,
            vocabulary=wiring.vocabulary(settings),
            plan=corpus_profile.plan,
        )
        return cls(settings, index, retriever, catalog, _generator(settings))

    def search(
        self, query: str, *, top_k: int | None = None, filters: FilterSpec | None = None
    ) -> list[Hit]:
        return self.retriever.retrieve(query, top_k=top_k or self.settings.top_k, filters=filters)

    def ask(
        self,
        question: str,
        *,
        history: Sequence[Turn] = (),
        filters: FilterSpec | None = None,
        generate: bool = True,
    ) -> Answer:
        """The extractive answer, rewritten by the language model when one is configured."""
        answer = self.answerer.answer(question, history=history, filters=filters)
        if self.generator is None or not generate or answer.abstained or not answer.citations:
            return answer
        try:
            text = generate_checked(self.generator, answer.resolved_question or answer.question,
                                    answer.citations,
                                    language=answer.language)  # fmt: skip
        except GenerationError as exc:
            return self._fallback(answer, exc)
        return replace(answer, text=text, generator=self.generator.name)

    def ask_stream(
        self,
        question: str,
        *,
        history: Sequence[Turn] = (),
        filters: FilterSpec | None = None,
    ) -> Iterator[StreamEvent]:
        """Tokens of the answer as they come, then the complete answer with its citations."""
        answer = self.answerer.answer(question, history=history, filters=filters)
        if self.generator is None or answer.abstained or not answer.citations:
            for piece in _pieces(answer.text):
                yield StreamEvent("token", piece)
            yield StreamEvent("answer", answer=answer)
            return
        parts: list[str] = []
        try:
            for piece in stream_checked(self.generator, answer.resolved_question or answer.question,
                                        answer.citations, language=answer.language):  # fmt: skip
                parts.append(piece)
                yield StreamEvent("token", piece)
            text = "".join(parts).strip()
        except GenerationError as exc:
            fallback = self._fallback(answer, exc)
            yield StreamEvent("reset")
            for piece in _pieces(fallback.text):
                yield StreamEvent("token", piece)
            yield StreamEvent("answer", answer=fallback)
            return
        yield StreamEvent(
            "answer", answer=replace(answer, text=text, generator=self.generator.name)
        )

    def match_schemes(self, query: SchemeQuery, *, top_k: int = 8) -> list[SchemeMatch]:
        return self.schemes.match(query, top_k=top_k)

    def profile_summary(self) -> dict[str, Any]:
        """What a front end shows of the corpus: title, what it is, home territory, covered
        territories and the questions to suggest."""
        return {
            "title": self.profile.title,
            "home_territory": self.profile.home_territory,
            "corpus_label": self.profile.corpus_label,
            "corpus_description": self.profile.corpus_description,
            "examples": list(self.profile.examples),
            "territories": self.gazetteer.names(),
        }

    def records(self, kind: str) -> list[dict[str, Any]]:
        """Every record of a kind (``axe``, ``action``, ``dispositif``, ``acteur``)."""
        table = self._table(kind)
        return [self._record_json(kind, record_id, record) for record_id, record in table.items()]

    def record(self, kind: str, record_id: str) -> dict[str, Any]:
        table = self._table(kind)
        if record_id not in table:
            raise RecordNotFoundError(f"no {kind} with id {record_id!r}")
        return self._record_json(kind, record_id, table[record_id])

    def _table(self, kind: str) -> dict[str, Any]:
        tables: dict[str, dict[str, Any]] = {
            "axe": dict(self.catalog.axes),
            "action": dict(self.catalog.actions),
            "dispositif": dict(self.catalog.dispositifs),
            "acteur": dict(self.catalog.acteurs),
        }
        if kind not in tables:
            raise RecordNotFoundError(
                f"unknown record kind {kind!r}; kinds are: {', '.join(tables)}"
            )
        return tables[kind]

    def _record_json(self, kind: str, record_id: str, record: Any) -> dict[str, Any]:
        span = self.catalog.span(kind, record_id)
        data: dict[str, Any] = record.model_dump(mode="json")
        data["source"] = {**data["source"], "section": span.section, "start": span.start,
                          "end": span.end}  # fmt: skip
        data["kind"] = kind
        return data

    def _fallback(self, answer: Answer, error: GenerationError) -> Answer:
        logger.warning("generation failed, extractive answer returned: %s", error.message)
        lexicon, language = self.answerer.lexicon, answer.language
        reason = lexicon.line(language, f"failure_{error.failure}", **error.values)
        notice = lexicon.line(language, "fallback", reason=reason)
        if answer.notice:
            notice = f"{notice} {answer.notice}"
        return replace(answer, notice=notice)


def _generator(settings: Settings) -> Generator | None:
    context, max_tokens = settings.llm_context_tokens, settings.llm_max_tokens
    if settings.llm_gguf_path:
        return LlamaCppGenerator(
            settings.llm_gguf_path,
            context_tokens=context,
            max_tokens=max_tokens,
            temperature=settings.llm_temperature,
        )
    if settings.llm_url:
        return ChatCompletionsGenerator(
            settings.llm_url,
            settings.llm_model,
            api_key=settings.llm_api_key,
            timeout=settings.llm_timeout,
            context_tokens=context,
            max_tokens=max_tokens,
            temperature=settings.llm_temperature,
            extra_body=settings.llm_extra_body,
        )
    return None


def _pieces(text: str) -> Iterator[str]:
    """Words with their following space: the extractive answer streamed like generated text."""
    start = 0
    for index, char in enumerate(text):
        if char == " ":
            yield text[start : index + 1]
            start = index + 1
    if start < len(text):
        yield text[start:]
