"""Grounded answers with no language model: the answer is made of the corpus's own sentences.

Every sentence of an answer is a verbatim passage of a document and carries the number of the
citation that points at that passage, so a citation always supports what it is attached to.

- A list question gets every item of the matching outline (plan, axis, theme…), actions with
  their ids.
- A question about a support scheme gets the scheme's card (amounts, conditions, calendar…, see
  ``cards``), the close schemes in brief, then the passages that say most.
- A comparison gets one part per territory named.
- Other questions lead with the sentence holding the fact asked.
- A support question about a project in the home territory ends with its local support bodies.

When the evidence does not answer (a territory not covered, another territory or year, no fact of
the kind asked about what the question names, nothing close enough), the answer says so plainly
and shows what comes closest.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from assistant.cards import CardLine, CardMaker, shared_span
from assistant.conversation import Turn, resolve_follow_up
from assistant.corpus.records import Dispositif
from assistant.draft import (
    Draft,
    as_markdown,
    bare,
    list_block,
    paragraphs,
    whole_sentences,
    with_its_list,
)
from assistant.evidence import FactQuery, Need, Salience, counts, has_fact, years
from assistant.filters import FilterSpec
from assistant.lexical import FrenchAnalyzer
from assistant.retrieve import Retriever, SearchResult
from assistant.segments import split_segments
from assistant.territories import Gazetteer, territories_of
from assistant.text import fold
from assistant.types import Answer, Chunk, Citation, Hit

ENGLISH_INTRO = "According to the roadmap and its benchmark (quoted in French):"
RECORD_KINDS = ("axe", "action", "dispositif", "acteur")
_SUPPORT_WORDS = re.compile(
    r"\b(aides?|soutiens?|soutenir|financ\w*|subventions?|dispositifs?|accompagn\w*|locaux|local|"
    r"prix|appels? a projets|fonds|pret|grants?|fund\w*|support\w*|premises|office|scheme\w*|"
    r"help|money)\b"
)


@dataclass(frozen=True)
class AnswerConfig:
    """Thresholds of the answerer, calibrated on evals/gold.yaml (see evals/reports/)."""

    top_k: int = 10
    min_similarity: float = 0.78  # best sentence cosine below which nothing answers
    max_sentences: int = 4
    max_items: int = 12
    list_item_ratio: float = 0.6  # items kept in a list: score >= ratio * best score
    outline_rank: int = 2  # a list question is answered by an outline ranked this high
    outline_ratio: float = 0.9  # …and scored at least this share of the best score
    comparison_lines: int = 3  # sentences per territory compared
    top_unit_sentences: int = 2  # sentences the best unit may give (others give one)
    brief_amounts: int = 3  # amount lines of a scheme shown in brief
    territory_boost: float = 0.2  # added to hits about the one territory a question names
    overlap_weight: float = 0.02  # added per content word a sentence shares with the question
    fact_bonus: float = 0.05  # added to a sentence's score when it holds the kind of fact asked
    fact_rank: int = 3  # an English question's fact may be in one of its closest sentences
    fact_window: int = 12  # the fact asked must be in one of this many closest sentences


@dataclass(frozen=True)
class _Sentence:
    unit: Chunk
    start: int  # offsets in the unit's text
    end: int
    similarity: float

    @property
    def text(self) -> str:
        return self.unit.text[self.start : self.end]


class ExtractiveAnswerer:
    """Answers from retrieved units; abstains when the evidence does not answer."""

    def __init__(
        self,
        retriever: Retriever,
        documents: Mapping[str, str],
        gazetteer: Gazetteer,
        *,
        config: AnswerConfig | None = None,
        schemes: Mapping[str, Dispositif] | None = None,
        corpus_label: str = "Les documents",
        corpus_label_en: str = "The documents",
        support_actor_type: str = "accompagnement",
    ) -> None:
        self.corpus_label = corpus_label  # how a decline names the corpus
        self.corpus_label_en = corpus_label_en
        self.retriever = retriever
        self.documents = documents
        self.gazetteer = gazetteer
        self.config = config or AnswerConfig()
        self.schemes = dict(schemes or {})
        self.cards = CardMaker(documents)
        # The support bodies of the home territory, named at the end of support answers.
        self._support_bodies = [
            u
            for u in retriever.units
            if u.kind == "acteur"
            and not u.metadata.get("group")
            and u.metadata.get("actor_type") == support_actor_type
            and u.metadata.get("territory") == gazetteer.home
            and u.metadata.get("name")
        ]
        self.analyzer = FrenchAnalyzer()
        self._position = {unit.id: i for i, unit in enumerate(retriever.units)}
        self._by_id = {unit.id: unit for unit in retriever.units}
        self._terms = frozenset(fold(entry.term) for entry in retriever.glossary.entries)
        self._actions = [
            u for u in retriever.units if u.kind == "action" and not u.metadata.get("group")
        ]

    def answer(
        self,
        question: str,
        *,
        history: Sequence[Turn] = (),
        filters: FilterSpec | None = None,
    ) -> Answer:
        resolved = resolve_follow_up(
            question, history, gazetteer=self.gazetteer, analyzer=self.analyzer
        )
        result = self.retriever.search(resolved, top_k=self.config.top_k, filters=filters)
        english = result.query.language == "en"
        sentences = self._sentences(result)
        fact = FactQuery.of(resolved, terms=self._terms)
        reason = self._why_not_answered(resolved, result, sentences, fact)
        draft = Draft(self.documents)
        places = self._places(resolved)
        if reason is None and len(places) == 1:
            result = replace(result, hits=self._prefer(result.hits, places[0]))
        if reason is not None:
            self._abstain(draft, reason, result, sentences, english=english)
        elif len(places) >= 2:
            self._comparison(draft, resolved, filters, fact, english=english)
        elif result.query.wants_list and self._outline(result.hits) is not None:
            named = self.retriever.themes_named(result.query)
            self._list(draft, result.hits, english=english, named=named)
        elif self._about_support(resolved, result.hits) or self._about_a_scheme(result.hits):
            self._schemes(draft, resolved, result.hits, sentences, fact, english=english)
        else:
            self._facts(
                draft,
                resolved,
                result.hits,
                sentences,
                fact.need if fact else None,
                english=english,
                whole_lists=result.query.wants_list,
                leads=self._fact_leads(resolved, fact, sentences, english=english),
            )
        if reason is None:
            self._local_support(draft, resolved, english=english)
        return Answer(
            question=question,
            resolved_question=resolved,
            text=paragraphs(draft.lines),
            abstained=reason is not None,
            citations=draft.citations,
            language=result.query.language,
            hits=result.hits,
            notice=self._notice(draft.citations, english=english) if reason is None else None,
        )

    # Evidence -----------------------------------------------------------------------------

    def _sentences(self, result: SearchResult) -> list[_Sentence]:
        """Sentences of the retrieved units, most similar to the question first."""
        segments = self.retriever.segments
        found: list[_Sentence] = []
        for hit in result.hits:
            position = self._position[hit.chunk.id]
            if segments is None or result.vector is None:
                spans = [(s, e, hit.score) for s, e in split_segments(hit.chunk.text)[:3]]
            else:
                spans = segments.ranked_in_unit(result.vector, position)[:8]
            found += [_Sentence(hit.chunk, s, e, score) for s, e, score in spans]
        return sorted(found, key=lambda s: s.similarity, reverse=True)

    def _why_not_answered(
        self,
        question: str,
        result: SearchResult,
        sentences: list[_Sentence],
        fact: FactQuery | None,
    ) -> str | None:
        """The reason the retrieved text does not answer, or ``None`` when it does."""
        if not result.hits:
            return "nothing"
        places = self.gazetteer.find(question)
        if any(not place.covered for place in places):
            return "territory"
        wanted = {place.name for place in places}
        if wanted:
            sentences = [s for s in sentences if wanted & territories_of(s.unit)]
            if not sentences:
                return "territory"
        asked_years = years(question)
        if asked_years and not any(asked_years & years(s.unit.indexed_text) for s in sentences):
            return "year"
        compared = len(wanted) >= 2  # each territory's share is checked when it is written
        english = result.query.language == "en"
        if (
            fact is not None
            and not compared
            and not self._fact_sentences(question, fact, sentences, english=english)
        ):
            return fact.need
        best = max((s.similarity for s in sentences), default=0.0)
        if result.vector is not None and best < self.config.min_similarity:
            return "distance"
        return None

    def _fact_leads(
        self,
        question: str,
        fact: FactQuery | None,
        sentences: list[_Sentence],
        *,
        english: bool,
        named: bool = True,
    ) -> list[_Sentence]:
        """The sentences an answer to a factoid leads with: for each thing counted ("combien
        de bénévoles et de salariés"), the closest sentence counting it ("29 000 bénévoles");
        otherwise the closest sentence holding the fact."""
        if fact is None:
            return []
        leads: list[_Sentence] = []
        for subject in fact.subjects:
            counting = self._fact_sentences(
                question, fact, sentences, english=english, named=named, counting=subject
            )
            if counting and counting[0] not in leads:
                leads.append(counting[0])
        if leads:
            return leads
        return self._fact_sentences(question, fact, sentences, english=english, named=named)[:1]

    def _fact_sentences(
        self,
        question: str,
        fact: FactQuery,
        sentences: list[_Sentence],
        *,
        english: bool,
        named: bool = True,
        counting: str | None = None,
    ) -> list[_Sentence]:
        """The sentences holding a fact of the kind asked, about what the question names: each
        shares a content word with the question, or, for a question in English (whose words
        the French text cannot share), is among the closest sentences, or gives a number of
        the thing ``counting`` ("545 établissements"); with ``named``, each names what the
        question names ("Eco Motiv", "GPEC" or its expansion); its unit speaks of the year
        asked, if one is. Closest first."""
        salience = Salience.of(question, self.analyzer)
        proper = _proper_nouns(question) if named else []
        names = [self._name_forms(n) for n in proper if not self.gazetteer.find(n)]
        asked_years = years(question)
        found: list[_Sentence] = []
        for rank, sentence in enumerate(sentences[: self.config.fact_window]):
            name = sentence.unit.metadata.get("name", "")  # a record's sentence is about it
            about = f"{sentence.unit.context} {name} {sentence.text}"
            if not fact.met_by(sentence.text):
                continue
            if not all(any(form in fold(about) for form in forms) for forms in names):
                continue
            if asked_years and not asked_years & years(sentence.unit.indexed_text):
                continue  # a fact of another year
            if counting is not None:
                if counts(sentence.text, counting, self.analyzer):
                    found.append(sentence)
                continue
            lexical = not salience.terms or salience.overlap(about, self.analyzer) > 0
            if not lexical and not (english and rank < self.config.fact_rank):
                continue
            found.append(sentence)
        return found

    def _name_forms(self, name: str) -> tuple[str, ...]:
        """The ways the text may write a name the question gives: an acronym of the glossary
        also as its expansion and synonyms ("GPEC", "gestion prévisionnelle des emplois…")."""
        entry = self.retriever.glossary.lookup(name)
        forms = (name,) if entry is None else (name, entry.expansion, *entry.synonyms)
        return tuple(fold(form) for form in forms)

    # Writing ------------------------------------------------------------------------------

    def _abstain(
        self,
        draft: Draft,
        reason: str,
        result: SearchResult,
        sentences: list[_Sentence],
        *,
        english: bool,
    ) -> None:
        topic = _topic(result.query.text)
        if english:
            draft.lines.append(f"{self.corpus_label_en} say nothing about {topic}.")
        else:
            draft.lines.append(f"{self.corpus_label} ne disent rien sur {topic}.")
        closest: list[str] = []
        for sentence in _distinct_units(sentences):
            line = self._sentence_line(draft, sentence).lstrip("- ")
            body = bare(line.rsplit(" [", 1)[0])
            if not any(body in bare(seen) or bare(seen) in body for seen in closest):
                closest.append(line)
            if len(closest) == 2:
                break
        if closest:
            draft.lines.append(
                "Here is what comes closest:" if english else "Voici ce qui s'en rapproche :"
            )
            draft.lines += [f"- {line}" for line in closest]
        draft.renumber()

    def _facts(
        self,
        draft: Draft,
        question: str,
        hits: list[Hit],
        sentences: list[_Sentence],
        need: Need | None,
        *,
        english: bool,
        whole_lists: bool = False,
        leads: Sequence[_Sentence] = (),
    ) -> None:
        """The best sentence of each of the best units, after the ``leads`` (the sentences
        holding the facts asked). With ``whole_lists``, a bullet of the roadmap's actions comes
        with its sibling actions."""
        salience = Salience.of(question, self.analyzer)
        chosen: list[tuple[float, str]] = []
        chosen += self._lead_lines(draft, leads, salience, need, whole_lists)
        units = [hit.chunk for hit in hits[: self.config.max_sentences + 2]]
        chosen += self._best_lines(draft, units, sentences, salience, need, whole_lists)
        chosen.sort(key=lambda pair: pair[0], reverse=True)
        if english:
            draft.lines.append(ENGLISH_INTRO)
        ordered = [line for _, line in chosen]
        draft.lines += _distinct(ordered, self.config.max_sentences, leads=len(leads))
        draft.renumber()

    def _best_lines(
        self,
        draft: Draft,
        units: Sequence[Chunk],
        sentences: list[_Sentence],
        salience: Salience,
        need: Need | None,
        whole_lists: bool = False,
    ) -> list[tuple[float, str]]:
        """The best sentences of ``units`` (best retrieved first) as scored lines: the first
        unit may give ``top_unit_sentences``, the others one each."""
        scored: list[tuple[float, str]] = []
        for rank, unit in enumerate(units):
            limit = self.config.top_unit_sentences if rank == 0 else 1
            found = self._lines(draft, unit, sentences, salience, need, limit, whole_lists)
            scored += [(score - 0.01 * rank, line) for line, score in found]
        return scored

    def _lead_lines(
        self,
        draft: Draft,
        leads: Sequence[_Sentence],
        salience: Salience,
        need: Need | None,
        whole_lists: bool = False,
    ) -> list[tuple[float, str]]:
        """The lines of the sentences an answer leads with, scored above any other line."""
        lines = [self._fact_line(draft, lead, salience, need, whole_lists) for lead in leads]
        return [(_LEAD - rank, line) for rank, line in enumerate(lines) if line]

    def _fact_line(
        self,
        draft: Draft,
        sentence: _Sentence,
        salience: Salience,
        need: Need | None,
        whole_lists: bool = False,
    ) -> str:
        """A sentence holding the fact asked, as a cited line. A record's line ("Montant :
        8 à 10K€ par projet") is cited where the document says it, when it does word for word."""
        unit = sentence.unit
        if unit.kind != "passage":
            words = _FIELD_LABEL.sub("", sentence.text).strip()
            span = self.cards.locate(words, unit.source)
            if span != unit.source:
                return f"{' '.join(words.split())} [{draft.cite_span(unit, span)}]"
        found = self._lines(draft, unit, [sentence], salience, need, 1, whole_lists)
        return found[0][0] if found else ""

    def _lines(
        self,
        draft: Draft,
        unit: Chunk,
        sentences: list[_Sentence],
        salience: Salience,
        need: Need | None,
        limit: int = 1,
        whole_lists: bool = False,
    ) -> list[tuple[str, float]]:
        """The unit's ``limit`` sentences that best answer, as cited lines, with their scores.

        A sentence that is one of the roadmap's actions (a bullet of an axis, a line of an
        outline) is given as that action, with its id; a sentence of a list comes with the
        whole list."""
        own = [s for s in sentences if s.unit.id == unit.id]
        ranked = sorted(
            (
                (self._score(s.text, unit, s.similarity, salience, need), s.start, s.end)
                for s in own
            ),
            reverse=True,
        )
        lines: list[tuple[str, float]] = []
        for score, start, end in ranked[:limit]:
            action = self._action_at(unit, start, end)
            siblings = self._sibling_actions(unit, start, end) if whole_lists else []
            if len(siblings) > 1:
                items = [f"- {self._item_line(draft, sibling)}" for sibling in siblings]
                lines.append(("\n".join(items), score))
            elif action is not None:
                lines.append((self._item_line(draft, action), score))
            elif unit.kind == "passage":
                start, end = list_block(unit.text, start, end)
                if whole_lists:
                    start, end = with_its_list(unit.text, start, end)
                lines.append((self._passage_line(draft, unit, start, end), score))
        if lines or unit.kind == "passage":
            return lines
        # A record: its text is the record's own words; quote the sentence of its passage.
        quote = self.documents.get(unit.source.document, "")[unit.source.start : unit.source.end]
        similarity = max((s.similarity for s in own), default=0.0)
        scored = [
            (self._score(quote[start:end], unit, similarity, salience, need), start, end)
            for start, end in split_segments(quote) or [(0, len(quote))]
        ]
        score, start, end = max(scored)
        if unit.kind == "action" and not unit.metadata.get("group"):
            return [(self._item_line(draft, unit), score)]
        number = draft.cite(unit)
        return [(f"{' '.join(quote[start:end].split())} [{number}]", score)]

    def _sibling_actions(self, unit: Chunk, start: int, end: int) -> list[Chunk]:
        """The actions of the list a passage's bullet belongs to (none if it is not one)."""
        if unit.kind != "passage" or self._action_at(unit, start, end) is None:
            return []
        block_start, block_end = list_block(unit.text, start, end)
        found: list[Chunk] = []
        for item_start, item_end in split_segments(unit.text[block_start:block_end]):
            action = self._action_at(unit, block_start + item_start, block_start + item_end)
            if action is not None and action not in found:
                found.append(action)
        return found

    def _action_at(self, unit: Chunk, start: int, end: int) -> Chunk | None:
        """The action a sentence of ``unit`` states: a line "- A.1.2 : …" of an outline, or a
        passage's bullet that an action record quotes."""
        if unit.metadata.get("group"):
            found = _ACTION_LINE.match(unit.text[start:end])
            return self._by_id.get(f"action:{found.group(1)}") if found else None
        if unit.kind != "passage":
            return None
        offset = unit.source.start
        for action in self._actions:
            span = action.source
            same_document = span.document == unit.source.document
            if same_document and span.start < offset + end and offset + start < span.end:
                return action
        return None

    def _score(
        self, text: str, unit: Chunk, similarity: float, salience: Salience, need: Need | None
    ) -> float:
        overlap = salience.overlap(f"{unit.context} {text}", self.analyzer)
        fact = self.config.fact_bonus if need is not None and has_fact(text, need) else 0.0
        return similarity + self.config.overlap_weight * overlap + fact

    def _list(
        self,
        draft: Draft,
        hits: list[Hit],
        *,
        english: bool,
        named: frozenset[str] = frozenset(),
    ) -> None:
        """The items of the best outline; those of a second outline of the same kind scored as
        close (two themes tied) or ``named`` by the question too (its theme outlines); then
        records close to the best hit that neither lists."""
        outline = self._outline(hits)
        if outline is None:  # pragma: no cover - checked by the caller
            return
        heading = outline.chunk.text.split("\n", 1)[0]
        draft.lines.append("The roadmap lists:" if english else heading)
        members = self._outline_members(outline.chunk)
        draft.lines += [f"- {self._item_line(draft, m)}" for m in members[: self.config.max_items]]
        listed = {m.id for m in members} | {outline.chunk.id}
        floor = self.config.outline_ratio * hits[0].score
        second = next(
            (
                h.chunk
                for h in hits[: self.config.outline_rank + 1]
                if h.chunk.metadata.get("group")
                and h.chunk.kind == outline.chunk.kind
                and h.chunk.id not in listed
                and (h.score >= floor or h.chunk.id in named)
            ),
            None,
        )
        if second is not None:
            more = [m for m in self._outline_members(second) if m.id not in listed]
            if more:
                draft.lines.append(second.text.split("\n", 1)[0])
                draft.lines += [f"- {self._item_line(draft, m)}" for m in more]
                listed |= {m.id for m in more} | {second.id}
        extra = [
            h.chunk
            for h in hits
            if h.chunk.kind in RECORD_KINDS
            and h.chunk.id not in listed
            and not h.chunk.metadata.get("group")
            and h.score >= self.config.list_item_ratio * hits[0].score
        ]
        if extra:
            draft.lines.append("See also:" if english else "Voir aussi :")
            draft.lines += [f"- {self._item_line(draft, unit)}" for unit in extra[:4]]

    def _outline_members(self, outline: Chunk) -> list[Chunk]:
        """The units an outline lists (the plan lists the strategic axes only)."""
        members = [self._by_id[m] for m in _members(outline) if m in self._by_id]
        if outline.id == "axe:plan":
            members = [m for m in members if "." not in str(m.metadata.get("record_id"))]
        return members[: self.config.max_items]

    def _comparison(
        self,
        draft: Draft,
        question: str,
        filters: FilterSpec | None,
        fact: FactQuery | None,
        *,
        english: bool,
    ) -> None:
        """One search per territory named, each with its share of the answer: the scheme it
        is about (name and amounts), then the sentences that say most about the question."""
        need = fact.need if fact else None
        salience = Salience.of(question, self.analyzer)
        per_place = self.config.comparison_lines
        for place in self._places(question):
            scoped = {**(filters or {}), "territory": place}
            result = self.retriever.search(question, top_k=per_place + 1, filters=scoped)
            sentences = self._sentences(result)
            leads = self._fact_leads(question, fact, sentences, english=english, named=False)
            lines = self._lead_lines(draft, leads, salience, need)
            units = [hit.chunk for hit in result.hits[:per_place]]
            lines += self._best_lines(draft, units, sentences, salience, need)
            lines.sort(key=lambda pair: pair[0], reverse=True)
            draft.lines.append(f"**{place}** :")
            scheme = self._named_scheme(salience, place) or next(
                (h.chunk for h in result.hits[:per_place] if _is_scheme(h.chunk)), None
            )
            if scheme is not None:
                card = self._card(draft, scheme, full=False, english=english)
                draft.lines += [f"- {line}" for line in card]
            ordered = [line for _, line in lines]
            draft.lines += [_as_item(line) for line in _distinct(ordered, leads=len(leads))]
        draft.renumber()

    def _named_scheme(self, salience: Salience, place: str) -> Chunk | None:
        """The scheme of ``place`` whose name shares most words with the question, if any
        does ("Nantes Factory", "le prix nantais")."""
        best: tuple[int, str] | None = None
        for scheme in self.schemes.values():
            if scheme.territory != place:
                continue
            shared = salience.overlap(scheme.name, self.analyzer)
            if shared and (best is None or shared > best[0]):
                best = (shared, scheme.id)
        return self._by_id.get(f"dispositif:{best[1]}") if best else None

    def _prefer(self, hits: list[Hit], territory: str) -> list[Hit]:
        """The hits re-ranked so that units about the territory the question names come
        before others of close score."""
        boost = self.config.territory_boost

        def score(hit: Hit) -> float:
            return hit.score + (boost if territory in territories_of(hit.chunk) else 0.0)

        return sorted(hits, key=score, reverse=True)

    def _places(self, question: str) -> list[str]:
        return [place.name for place in self.gazetteer.find(question) if place.covered]

    def _schemes(
        self,
        draft: Draft,
        question: str,
        hits: list[Hit],
        sentences: list[_Sentence],
        fact: FactQuery | None,
        *,
        english: bool,
    ) -> None:
        """The fact asked if any, the best scheme's card in full, the other fitting schemes in
        brief, then the passages that say most about the question."""
        best = hits[0].score
        schemes = [
            h.chunk
            for h in hits
            if _is_scheme(h.chunk) and h.score >= self.config.list_item_ratio * best
        ]
        if english:
            draft.lines.append(ENGLISH_INTRO)
        salience = Salience.of(question, self.analyzer)
        need = fact.need if fact else None
        # A factoid leads with the fact, then shows where it comes from.
        leads = self._fact_leads(question, fact, sentences, english=english)
        draft.lines += [line for _, line in self._lead_lines(draft, leads, salience, need)]
        for rank, unit in enumerate(schemes[: self.config.max_items]):
            if rank == 1:
                draft.lines.append(
                    "Other schemes nearby:" if english else "Autres dispositifs proches :"
                )
            card = self._card(draft, unit, full=rank == 0, english=english)
            draft.lines += card if rank == 0 else [f"- {line}" for line in card]
        # Then the passages' sentences that best answer, from any retrieved passage: a question
        # about how a territory works ("what does Toulouse do inside its administration")
        # is answered by a sentence of its sheet, not by the scheme cards alone. Passages are
        # those of the territory the question names, if it names one.
        places = set(self._places(question))
        passages = [
            h.chunk
            for h in hits
            if h.chunk.kind == "passage"
            and h.score >= self.config.list_item_ratio * best
            and places <= territories_of(h.chunk)
        ]
        chosen = self._best_lines(draft, passages, sentences, salience, need)
        chosen.sort(key=lambda pair: pair[0], reverse=True)
        fresh = [line for _, line in chosen if not draft.says(line)]
        draft.lines += _distinct(fresh, self.config.max_sentences)
        draft.renumber()

    def _card(self, draft: Draft, unit: Chunk, *, full: bool, english: bool) -> list[str]:
        """A scheme as a title line and, when ``full``, one bullet per kind of fact."""
        scheme = self.schemes.get(str(unit.metadata.get("record_id", "")))
        if scheme is None:
            return [f"- {self._item_line(draft, unit)}"]
        card = self.cards.card(scheme, unit.source, language="en" if english else "fr")
        title, *facts = card.lines
        number = draft.cite_span(unit, title.span)
        lines = [f"**{card.title}** — {title.text} [{number}]"]
        if not full:  # one line: the title, then the amounts
            amounts = [f for f in facts if f.kind == "amounts"][: self.config.brief_amounts]
            if amounts:
                lines[0] += f" {amounts[0].label} : {_cite_facts(draft, unit, amounts)}"
            return lines
        groups: dict[str, list[CardLine]] = {}
        for fact in facts:
            groups.setdefault(fact.label, []).append(fact)
        lines += [f"- {label} : {_cite_facts(draft, unit, kind)}" for label, kind in groups.items()]
        return lines

    def _item_line(self, draft: Draft, unit: Chunk) -> str:
        record_id = str(unit.metadata.get("record_id", ""))
        quote = draft.quote(unit)
        number = draft.cite(unit)
        if unit.kind == "action":
            return f"**{record_id}** — {quote} [{number}]"
        if unit.kind == "dispositif":
            name = str(unit.metadata.get("name", record_id))
            territory = str(unit.metadata.get("territory", ""))
            where = "" if territory in name else f" ({territory})"
            return f"**{name}**{where} — {quote} [{number}]"
        return f"{quote} [{number}]"

    def _sentence_line(self, draft: Draft, sentence: _Sentence) -> str:
        if sentence.unit.kind == "passage":
            return self._passage_line(draft, sentence.unit, sentence.start, sentence.end)
        return f"{draft.quote(sentence.unit)} [{draft.cite(sentence.unit)}]"

    def _passage_line(self, draft: Draft, unit: Chunk, start: int, end: int) -> str:
        """``unit.text[start:end]`` as a cited line, widened to whole sentences of the
        document when the unit cuts one."""
        offset = unit.source.start
        document = self.documents.get(unit.source.document, "")
        if document[offset : offset + len(unit.text)] == unit.text:
            start, end = (
                p - offset for p in whole_sentences(document, offset + start, offset + end)
            )
        number = draft.cite(unit, start, end)
        return f"{as_markdown(draft.citations[number - 1].text)} [{number}]"

    # Helpers ------------------------------------------------------------------------------

    def _outline(self, hits: list[Hit]) -> Hit | None:
        """An outline (plan, axis, theme…) ranked among the first and scored close to the best."""
        floor = self.config.outline_ratio * hits[0].score if hits else 0.0
        return next(
            (
                h
                for h in hits[: self.config.outline_rank]
                if h.chunk.metadata.get("group") and h.score >= floor
            ),
            None,
        )

    def _about_a_scheme(self, hits: list[Hit]) -> bool:
        """The best hits are one scheme: its record, or its record close behind a passage of
        the same benchmark sheet."""
        scheme = next((h.chunk for h in hits[:3] if _is_scheme(h.chunk)), None)
        if scheme is None:
            return False
        return scheme is hits[0].chunk or _sheet(scheme) == _sheet(hits[0].chunk)

    def _about_support(self, question: str, hits: list[Hit]) -> bool:
        schemes = sum(h.chunk.kind == "dispositif" for h in hits[:5])
        return schemes >= 1 and bool(_SUPPORT_WORDS.search(fold(question)))

    def _local_support(self, draft: Draft, question: str, *, english: bool) -> None:
        """A question about support for a project in the home territory (or anywhere unnamed)
        ends with the local support bodies the roadmap names, quoted."""
        places = {place.name for place in self.gazetteer.find(question)}
        if places - {self.gazetteer.home} or not _SUPPORT_WORDS.search(fold(question)):
            return
        local = self._support_bodies
        if not local:
            return
        source = local[0].source
        quote = " ".join(self.documents.get(source.document, "")[source.start : source.end].split())
        if any(quote in line for line in draft.lines):
            return
        home = self.gazetteer.home
        lead = f"In {home}:" if english else f"Sur {home} :"
        draft.lines.append(f"{lead} {quote} [{draft.cite(local[0])}]")

    def _notice(self, citations: list[Citation], *, english: bool) -> str | None:
        """Say so when the answer cites other territories' schemes."""
        elsewhere = sorted(
            {
                str(unit.metadata.get("territory"))
                for unit in (self._by_id.get(c.unit_id) for c in citations)
                if unit is not None
                and unit.kind == "dispositif"
                and unit.metadata.get("territory") != self.gazetteer.home
            }
        )
        if not elsewhere:
            return None
        local = [str(u.metadata["name"]) for u in self._support_bodies]
        names = ", ".join(local[:6])
        if english:
            return (
                f"These schemes belong to other territories ({', '.join(elsewhere)}), quoted "
                f"as examples by the benchmark. In {self.gazetteer.home}, see the local support "
                f"organisations: {names}."
            )
        return (
            f"Ces dispositifs relèvent d'autres territoires ({', '.join(elsewhere)}), cités en "
            f"exemple par le benchmark. Sur {self.gazetteer.home}, voyez les acteurs locaux de "
            f"l'accompagnement : {names}."
        )


_LEAD = 100.0  # the score of a lead line: above any sentence's
_FIELD_LABEL = re.compile(r"^[\w' ]{2,30} : ")
_ACTION_LINE = re.compile(r"^\s*-?\s*([A-Z]\.\d+\.\d+)\s*:")


def _distinct(lines: list[str], limit: int | None = None, *, leads: int = 0) -> list[str]:
    """``lines`` in order, up to ``limit``, without a line that another one holds: of a list and
    one of its items, the list is kept, where the first of them was — unless that item is one
    of the first ``leads`` lines (the facts asked), which stay as they are."""
    kept: list[tuple[str, str]] = []  # (text without citations, line)
    for line in lines:
        body = bare(line.rsplit(" [", 1)[0])
        if any(body in seen for seen, _ in kept):
            continue
        held = next((i for i, (seen, _) in enumerate(kept) if seen in body), None)
        if held is not None and held >= leads:
            kept[held] = (body, line)
            continue
        kept.append((body, line))
        if len(kept) == limit:
            break
    return [line for _, line in kept]


def _as_item(line: str) -> str:
    """A line as an item of a list; a quote holding a list keeps its items, nested."""
    if line.startswith("- "):
        return line
    return "- " + line.replace("\n", "\n  ")


def _cite_facts(draft: Draft, unit: Chunk, facts: list[CardLine]) -> str:
    """Facts of one kind, each followed by its citation; facts found next to each other in one
    section share one citation."""
    parts: list[str] = []
    run: list[CardLine] = []

    def flush() -> None:
        span = shared_span([fact.span for fact in run])
        if span is not None:
            texts = " ; ".join(fact.text.rstrip(" .;") for fact in run)
            parts.append(f"{texts} [{draft.cite_span(unit, span)}]")
        else:
            parts.extend(
                f"{fact.text.rstrip(' .;')} [{draft.cite_span(unit, fact.span)}]" for fact in run
            )
        run.clear()

    for fact in facts:
        if run and (run[-1].span.section != fact.span.section):
            flush()
        run.append(fact)
    if run:
        flush()
    return " ; ".join(parts)


def _sheet(unit: Chunk) -> str:
    """The section a unit belongs to, two levels deep (a benchmark sheet, a strategic axis)."""
    return " > ".join(unit.source.section.split(" > ")[:2])


def _is_scheme(unit: Chunk) -> bool:
    return unit.kind == "dispositif" and not unit.metadata.get("group")


def _members(unit: Chunk) -> list[str]:
    members = unit.metadata.get("members")
    return [str(m) for m in members] if isinstance(members, list) else []


def _distinct_units(sentences: list[_Sentence]) -> list[_Sentence]:
    seen: set[str] = set()
    out = []
    for sentence in sentences:
        if sentence.unit.id not in seen:
            seen.add(sentence.unit.id)
            out.append(sentence)
    return out


# Names every unit of the corpus speaks of: they tell no passage from another.
_EVERYWHERE = frozenset({"ESS", "SSE"})
_CAPITALISED = re.compile(r"(?<![.?!]\s)(?<!^)\b[A-ZÉÈ][\w'’-]{2,}")


def _proper_nouns(question: str) -> list[str]:
    """Capitalised words inside the question (names of structures, people, schemes)."""
    words = [w.rstrip("'’") for w in _CAPITALISED.findall(question.strip())]
    return [w for w in words if w not in _EVERYWHERE]


def _topic(question: str) -> str:
    """The question, as a topic for 'ne dit rien sur …'."""
    topic = question.strip().rstrip("?").strip()
    return f"« {topic} »"
