"""The answerer: a question is made standalone if it is a follow-up, analysed once, retrieved,
checked for answerability, and handed to the module of its intent.

- ``listing``: every item of the matching outline;
- ``facts``: each part answered by the sentence holding its fact, a plain line per part the
  documents do not answer;
- ``scheme``: the scheme's card, close schemes in brief, passages that answer;
- ``comparison``: one part per territory;
- ``project``: a home-territory project gets local support bodies and roadmap actions first,
  other territories' schemes as examples;
- ``decline``: the documents do not answer, said plainly.

Passages that are related but do not answer go to ``Answer.related``, never into the text or
the citations.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from assistant.answering import comparison, decline, facts, listing, project, scheme
from assistant.answering.analysis import QuestionAnalyser, QuestionAnalysis
from assistant.answering.context import Context
from assistant.answering.conversation import Turn
from assistant.answering.draft import Draft, paragraphs, whole_sentences
from assistant.answering.evidence import SUPPORT_ACTOR_TYPE, Evidence, Sentence, is_scheme, sheet
from assistant.answering.followup import resolve
from assistant.answering.lexicon import Lexicon, load_lexicon
from assistant.answering.relevance import TermWeights
from assistant.ingest.records import Dispositif
from assistant.retrieval.filters import FilterSpec
from assistant.retrieval.hybrid import Retriever
from assistant.retrieval.lexical import FrenchAnalyzer, LexicalIndex
from assistant.retrieval.territories import Gazetteer, territories_of
from assistant.types import Answer, Hit, RelatedPassage, SourceSpan

TOP_K = 10
RELATED = 3  # related passages returned with an answer
DEFAULT_CORPUS_LABEL = "Les documents"
DEFAULT_CORPUS_LABEL_EN = "The documents"


class Answerer:
    """Answers from retrieved units with the document's own sentences; declines plainly."""

    def __init__(
        self,
        retriever: Retriever,
        documents: Mapping[str, str],
        gazetteer: Gazetteer,
        *,
        schemes: Mapping[str, Dispositif] | None = None,
        lexicon: Lexicon | None = None,
        corpus_labels: Mapping[str, str] | None = None,
        support_actor_type: str = SUPPORT_ACTOR_TYPE,
        top_k: int = TOP_K,
    ) -> None:
        """``corpus_labels`` name the corpus in answers, by language ("Les documents ne disent
        rien…"); ``support_actor_type`` is the actor type of the local support bodies."""
        labels = {
            "fr": DEFAULT_CORPUS_LABEL,
            "en": DEFAULT_CORPUS_LABEL_EN,
            **(corpus_labels or {}),
        }
        if not all(label.strip() for label in labels.values()):
            raise ValueError(f"corpus labels must not be empty, got {labels}")
        if top_k < 1:
            raise ValueError(f"top_k must be greater than 0, got {top_k}")
        self.retriever = retriever
        self.documents = documents
        self.gazetteer = gazetteer
        self.lexicon = lexicon or load_lexicon()
        self.corpus_labels = labels
        self.top_k = top_k
        self.analyzer = FrenchAnalyzer()
        weights = term_weights(retriever, self.analyzer)
        self.evidence = Evidence(
            retriever.units,
            documents,
            self.lexicon,
            retriever.glossary,
            segments=retriever.segments,
            schemes=schemes,
            analyzer=self.analyzer,
            support_actor_type=support_actor_type,
            weights=weights,
        )
        self.analyser = QuestionAnalyser(
            self.lexicon,
            gazetteer,
            retriever.glossary,
            schemes=schemes,
            vocabulary=weights.vocabulary,
            analyzer=self.analyzer,
            identifiers=retriever.identifiers,
        )

    def analyse(self, question: str) -> QuestionAnalysis:
        return self.analyser.analyse(question)

    def answer(
        self,
        question: str,
        *,
        history: Sequence[Turn] = (),
        filters: FilterSpec | None = None,
    ) -> Answer:
        resolved = resolve(
            question,
            history,
            lexicon=self.lexicon,
            gazetteer=self.gazetteer,
            glossary=self.retriever.glossary,
            analyzer=self.analyzer,
        )
        standalone = resolved or question
        analysis = self.analyser.analyse(standalone)
        result = self.retriever.search(standalone, top_k=self.top_k, filters=filters)
        if len(analysis.territories) == 1:
            result = replace(result, hits=_prefer(result.hits, analysis.territories[0]))
        elif not analysis.territories and self.gazetteer.home is not None:
            # A question naming no place is first about the home territory's own documents.
            home = self.gazetteer.home
            result = replace(result, hits=_prefer(result.hits, home, HOME_BOOST, unplaced=True))
        context = Context(
            analysis=analysis,
            result=result,
            sentences=self._home_first(self.evidence.sentences(result, analysis), analysis),
            draft=Draft(self.documents),
            evidence=self.evidence,
            retriever=self.retriever,
            corpus_label=self.corpus_labels.get(analysis.language, self.corpus_labels["fr"]),
            home=self.gazetteer.home,
            filters=filters,
        )
        route(context)
        if context.abstained and not context.draft.lines:
            decline.write(context, "nothing")
        return Answer(
            question=question,
            resolved_question=resolved,
            text=paragraphs(context.draft.lines),
            abstained=context.abstained,
            citations=context.draft.citations,
            language=analysis.language,
            hits=result.hits,
            notice=None if context.abstained else context.notice,
            related=self._related(context),
        )

    def _home_first(self, sentences: list[Sentence], analysis: QuestionAnalysis) -> list[Sentence]:
        """For a question naming no place, the home territory's sentences (or those about no
        place in particular) before others of close similarity."""
        home = self.gazetteer.home
        if analysis.territories or home is None:
            return sentences

        def similarity(sentence: Sentence) -> float:
            places = territories_of(sentence.unit)
            return sentence.relevance + (HOME_SIMILARITY if not places or home in places else 0)

        return sorted(sentences, key=similarity, reverse=True)

    def _related(self, context: Context) -> list[RelatedPassage]:
        """The best sentence of each unit that does not answer but is close, up to
        ``RELATED``, none of them cited by the answer."""
        cited = {c.unit_id for c in context.draft.citations}
        found: list[RelatedPassage] = []
        seen: set[str] = set()
        pool: list[Sentence] = [*context.set_aside, *context.sentences]
        for sentence in pool:
            unit = sentence.unit
            if unit.id in cited or unit.id in seen or unit.metadata.get("group"):
                continue
            seen.add(unit.id)
            span = self._whole(sentence)
            text = self.documents.get(span.document, "")[span.start : span.end]
            record_id = unit.metadata.get("record_id")
            found.append(
                RelatedPassage(unit.id, unit.kind, text, span,
                               str(record_id) if record_id is not None else None)
            )  # fmt: skip
            if len(found) == RELATED:
                break
        return found

    def _whole(self, sentence: Sentence) -> SourceSpan:
        span = sentence.span
        if sentence.unit.kind != "passage":
            return span
        document = self.documents.get(span.document, "")
        start, end = whole_sentences(document, span.start, span.end)
        return SourceSpan(span.document, span.section, start, end)


def term_weights(retriever: Retriever, analyzer: FrenchAnalyzer) -> TermWeights:
    """The corpus's term weights: from the saved BM25 arrays when the retriever has them (at a
    million units, analysing every unit again at start-up takes minutes), else from the units."""
    lexical = getattr(retriever, "lexical", None)  # a store ranking in a database has none
    if isinstance(lexical, LexicalIndex):
        return TermWeights.from_frequencies(lexical.terms.document_frequencies(), lexical.size)
    return TermWeights.of(analyzer(unit.indexed_text) for unit in retriever.units)


def route(context: Context) -> None:
    """Hands the question to the module of its intent, once its answerability is checked."""
    analysis, hits = context.analysis, context.hits
    why = None if analysis.intent == "project" else decline.reason(context)
    if why is not None:
        decline.write(context, why)
    elif analysis.intent == "comparison":
        comparison.answer(context)
    elif analysis.intent == "project" and _home_project(context):
        project.answer(context)
    elif (analysis.wants_list or _names_an_outline(context)) and listing.outline(hits) is not None:
        listing.answer(context)
    elif (analysis.intent in ("scheme", "project") and _schemes_close(context)) or _about_a_scheme(
        hits
    ):
        scheme.answer(context)
    else:
        facts.answer(context, whole_lists=analysis.wants_list)


def _names_an_outline(context: Context) -> bool:
    """The question writes the code of a unit that lists ("les actions de l'axe C.1"): it asks
    what that outline lists, list words or not."""
    retriever = context.retriever
    named = retriever.identifiers.named(context.analysis.question)
    return any(retriever.units[int(p)].metadata.get("group") for p in named)


def _home_project(context: Context) -> bool:
    """A project in the home territory, named or implied by naming no other."""
    places = set(context.analysis.territories)
    return context.home is not None and places <= {context.home}


def _schemes_close(context: Context) -> bool:
    """A scheme is named, or among the first hits."""
    return bool(context.analysis.schemes) or any(
        h.chunk.kind == "dispositif" for h in context.hits[:5]
    )


def _about_a_scheme(hits: list[Hit]) -> bool:
    """The best hits are one scheme: its record, or its record close behind a passage of the
    same benchmark sheet."""
    found = next((h.chunk for h in hits[:3] if is_scheme(h.chunk)), None)
    if found is None:
        return False
    return found is hits[0].chunk or sheet(found) == sheet(hits[0].chunk)


TERRITORY_BOOST = 0.2  # added to hits about the one territory a question names
HOME_BOOST = 0.1  # added to hits about the home territory when a question names none
HOME_SIMILARITY = 0.02  # added to their sentences' cosine similarity


def _prefer(
    hits: list[Hit], territory: str, boost: float = TERRITORY_BOOST, *, unplaced: bool = False
) -> list[Hit]:
    """The hits re-ranked so that units about ``territory`` (and, with ``unplaced``, units
    about no place in particular) come before others of close score."""

    def score(hit: Hit) -> float:
        places = territories_of(hit.chunk)
        return hit.score + (boost if territory in places or (unplaced and not places) else 0.0)

    return sorted(hits, key=score, reverse=True)
