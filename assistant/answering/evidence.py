"""The evidence an answer is written from, and how a piece of it becomes a cited line.

``Evidence`` holds what every answering module shares: the units by id, the sentences of the
retrieved units ranked by relevance (``assistant.answering.relevance``), the check that a
sentence answers a part of the question (a fact of the kind asked, about what the question
names, for the year named), and the ways a sentence, an action or a scheme is written as a line
citing the document at exact offsets.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

from assistant.answering.analysis import Part, QuestionAnalysis
from assistant.answering.cards import CardLine, CardMaker, shared_span
from assistant.answering.checks import FactQuery, counts, has_fact, years
from assistant.answering.draft import (
    Draft,
    as_markdown,
    bare,
    list_block,
    whole_sentences,
    with_its_list,
)
from assistant.answering.lexicon import Lexicon
from assistant.answering.relevance import TermWeights, relevance
from assistant.index.sentences import SegmentIndex, split_segments
from assistant.ingest.records import Dispositif
from assistant.retrieval.glossary import Glossary
from assistant.retrieval.hybrid import SearchResult
from assistant.retrieval.lexical import FrenchAnalyzer
from assistant.retrieval.territories import territories_of
from assistant.text import fold
from assistant.types import Chunk, Hit, SourceSpan

_FIELD_LABEL = re.compile(r"^[\w' ]{2,30} : ")
_ACTION_LINE = re.compile(r"^\s*-?\s*([A-Z]\.\d+\.\d+)\s*:")
_CITATION = re.compile(r"\s*\[\d+\]")
SUPPORT_ACTOR_TYPE = "accompagnement"  # the actor type of the records' support bodies
LEAD = 100.0  # the score of a lead line: above any sentence's
FACT_WINDOW = 12  # the fact asked must be in one of this many closest sentences
ENGLISH_RANK = 3  # an English question's fact may be in one of its closest sentences
OVERLAP_WEIGHT = 0.02  # added to a line's score per content word it shares with the question
FACT_BONUS = 0.05  # added to a sentence's score when it holds the kind of fact asked


@dataclass(frozen=True)
class Sentence:
    """A sentence of a retrieved unit (offsets in the unit's text): its cosine similarity to
    the question, the share of the question's weight it carries, the rank of its unit."""

    unit: Chunk
    start: int
    end: int
    similarity: float
    coverage: float = 0.0
    rank: int = 0

    @property
    def relevance(self) -> float:
        return relevance(self.similarity, self.coverage, self.rank)

    @property
    def text(self) -> str:
        return self.unit.text[self.start : self.end]

    @property
    def span(self) -> SourceSpan:
        """Where the sentence stands in its document (a record's: the passage it quotes)."""
        source = self.unit.source
        if self.unit.kind != "passage":
            return source
        return SourceSpan(
            source.document, source.section, source.start + self.start, source.start + self.end
        )


@dataclass(frozen=True)
class Line:
    """A cited line of an answer, its score, and the unit it comes from."""

    text: str
    score: float
    unit: Chunk


class Evidence:
    """What the answering modules share: units, sentences, checks and cited lines."""

    def __init__(
        self,
        units: Sequence[Chunk],
        documents: Mapping[str, str],
        lexicon: Lexicon,
        glossary: Glossary,
        *,
        segments: SegmentIndex | None = None,
        schemes: Mapping[str, Dispositif] | None = None,
        analyzer: FrenchAnalyzer | None = None,
        support_actor_type: str = SUPPORT_ACTOR_TYPE,
        weights: TermWeights,
    ) -> None:
        """``weights``: the corpus's term weights (``router.term_weights``)."""
        self.support_actor_type = support_actor_type
        self.units = list(units)
        self.documents = documents
        self.lexicon = lexicon
        self.glossary = glossary
        self.segments = segments
        self.schemes = dict(schemes or {})
        self.analyzer = analyzer or FrenchAnalyzer()
        self.weights = weights
        self.cards = CardMaker(documents)
        self.position = {unit.id: i for i, unit in enumerate(self.units)}
        self.by_id = {unit.id: unit for unit in self.units}
        self.actions = [u for u in self.units if u.kind == "action" and not u.metadata.get("group")]

    @cached_property
    def action_themes(self) -> frozenset[str]:
        """The themes the roadmap's actions are filed under, folded."""
        return frozenset(self.actions_by_theme)

    @cached_property
    def actions_by_theme(self) -> dict[str, list[Chunk]]:
        """The roadmap's actions (not their theme groups) by the themes they are filed under."""
        found: dict[str, list[Chunk]] = {}
        for unit in self.units:
            if unit.kind == "action" and not unit.metadata.get("group"):
                for theme in themes_of(unit):
                    found.setdefault(theme, []).append(unit)
        return found

    def support_bodies(self, home: str) -> list[Chunk]:
        """The support bodies of ``home`` (actors of the support type), in corpus order."""
        return [
            u
            for u in self.units
            if u.kind == "acteur"
            and not u.metadata.get("group")
            and u.metadata.get("actor_type") == self.support_actor_type
            and u.metadata.get("territory") == home
            and u.metadata.get("name")
        ]

    # Sentences and checks -----------------------------------------------------------------

    def sentences(self, result: SearchResult, analysis: QuestionAnalysis) -> list[Sentence]:
        """Sentences of the retrieved units, most relevant to the question first."""
        asked = self.asked(analysis, result)
        found: list[Sentence] = []
        for rank, hit in enumerate(result.hits):
            unit = hit.chunk
            if self.segments is None or result.vector is None:
                spans = [(s, e, hit.score) for s, e in split_segments(unit.text)[:3]]
            else:
                spans = self.segments.ranked_in_unit(result.vector, self.position[unit.id])[:8]
            for start, end, similarity in spans:
                said = self.analyzer(self._about(unit, unit.text[start:end]))
                coverage = self.weights.coverage(asked, said)
                found.append(Sentence(unit, start, end, similarity, coverage, rank))
        return sorted(found, key=lambda s: s.relevance, reverse=True)

    def asked(self, analysis: QuestionAnalysis, result: SearchResult) -> frozenset[str]:
        """The stems a sentence answering the question is likely to use: the question's content
        words and the expansions of the glossary terms it names; none for an English question."""
        if analysis.english:  # its words are not the documents': cosine similarity ranks
            return frozenset()
        generic = self.lexicon.generic_stems
        expansion = {
            stem
            for stem in self.analyzer(result.query.expansion)
            if stem not in generic and len(stem) > 2
        }
        return analysis.salience.terms | expansion

    def about_territory(self, unit: Chunk, analysis: QuestionAnalysis) -> bool:
        """Whether ``unit`` is about the territory the question is about (any, when none)."""
        wanted = set(analysis.territories) or ({analysis.home} if analysis.home else set())
        if not wanted:
            return True
        places = territories_of(unit)
        return bool(wanted & places) or (analysis.home in wanted and not places)

    def fact_sentences(
        self,
        analysis: QuestionAnalysis,
        fact: FactQuery,
        sentences: Sequence[Sentence],
        *,
        named: bool = True,
        counting: str | None = None,
    ) -> list[Sentence]:
        """The sentences holding a fact of the kind asked, about what the question names: each
        shares a content word with the question (for an English question, or is among the
        closest), or gives a number of the thing ``counting``; with ``named``, names what the
        question names ("Eco Motiv", "GPEC" or its expansion); its unit speaks of the year
        asked, and the sentence names no other year but that one. Closest first."""
        names = [self._name_forms(n) for n in analysis.names] if named else []
        found: list[Sentence] = []
        for rank, sentence in enumerate(sentences[:FACT_WINDOW]):
            about = self._about(sentence.unit, sentence.text)
            in_words = counting is not None and self.lexicon.facts["number_word"].search(
                sentence.text
            )  # "trois fois par an" counts in words
            if not in_words and not fact.met_by(sentence.text, self.lexicon):
                continue
            if not all(any(form in fold(about) for form in forms) for forms in names):
                continue
            if analysis.years and not analysis.years & years(sentence.unit.indexed_text):
                continue  # a fact of another year
            if analysis.years and (
                self.dated_otherwise(analysis, sentence.text)
                or self.dated_otherwise(analysis, self._quoted(sentence, analysis))
            ):
                continue  # the line would date its fact to another year
            salience = analysis.salience
            lexical = not salience.terms or salience.overlap(about, self.analyzer) > 0
            lexical = lexical or (analysis.english and rank < ENGLISH_RANK)
            if counting is not None:  # named counted, or counted in another word and on topic
                text, analyzer, lexicon = sentence.text, self.analyzer, self.lexicon
                on_topic = salience.overlap(text, analyzer) > 0 or (
                    analysis.english and rank < ENGLISH_RANK
                )
                if counts(text, counting, analyzer, lexicon, own_only=True) or (
                    on_topic and counts(text, counting, analyzer, lexicon)
                ):
                    found.append(sentence)
                continue
            if lexical:
                found.append(sentence)
        return found

    def dated_otherwise(self, analysis: QuestionAnalysis, text: str) -> bool:
        """Whether ``text`` dates what it says to other years than those the question asks
        about ("en 2021, ce sont 220K€" for "combien en 2023 ?")."""
        dated = years(text)
        return bool(analysis.years and dated and not analysis.years & dated)

    def fact_leads(
        self,
        analysis: QuestionAnalysis,
        part: Part,
        sentences: Sequence[Sentence],
        *,
        named: bool = True,
    ) -> list[Sentence]:
        """The sentences an answer to ``part`` leads with: for each thing counted ("combien de
        bénévoles et de salariés"), the closest sentence counting it, and none when no sentence
        does (an English word the lexicon cannot count in French excepted); otherwise the
        closest sentence holding the fact."""
        fact = part.fact
        if fact is None:
            return []
        leads: list[Sentence] = []
        for subject in fact.subjects:
            counting = self.fact_sentences(analysis, fact, sentences, named=named, counting=subject)
            first = next((s for s in counting if s not in leads), None)
            if first is not None:
                leads.append(first)
        if leads or fact.strict:
            return leads  # a number of something else does not answer
        return self.fact_sentences(analysis, fact, sentences, named=named)[:1]

    def answers(self, analysis: QuestionAnalysis, text: str, unit: Chunk) -> bool:
        """Whether a line answers a part of the question rather than sharing its words: it is
        about the territory asked, speaks of what the question is about and, when a part asks
        a kind of fact, holds one."""
        if not self.about_territory(unit, analysis):
            return False
        body = _CITATION.sub("", text)
        about = self._about(unit, body)
        overlap = analysis.salience.overlap(about, self.analyzer)
        if analysis.salience.terms and overlap == 0 and not analysis.english:
            return False
        if analysis.english and self.themes(analysis) and not self.names_a_theme(about, analysis):
            return False  # the glossary bridges the languages: "public procurement"
        needs = [part.fact for part in analysis.parts if part.fact is not None]
        if not needs:
            return True
        return any(fact.met_by(body, self.lexicon) for fact in needs)

    def open_parts_unanswered(self, analysis: QuestionAnalysis, lines: Sequence[str]) -> list[Part]:
        """The parts of a French multi-part question that ask no kind of fact but name what
        they ask ("par quel organisme ?": an organisme) and that no line of the answer names.
        English parts are not judged: the lines are French."""
        if not analysis.multi_part or analysis.english:
            return []
        # folded both sides: the stemmer stems "activites" and "activités" apart
        said = {stem for line in lines for stem in self.analyzer(fold(_CITATION.sub("", line)))}
        unanswered = []
        for part in analysis.parts:
            asked = self.lexicon.asked_noun.search(fold(part.text))
            stems = self.analyzer(asked.group(1)) if asked else []
            if part.fact is None and stems and stems[0] not in said:
                unanswered.append(part)
        return unanswered

    def part_line(
        self, analysis: QuestionAnalysis, part: Part, lines: Sequence[Line]
    ) -> Line | None:
        """The best of ``lines`` for a part of a multi-part question that asks no kind of fact:
        one that uses the part's own content words (not the other parts', the places' nor the
        names'), the one carrying most of their weight first."""
        named = [*analysis.territories, *analysis.names]
        places = {s for t in named for s in self.analyzer(fold(t))}
        others = {
            stem
            for other in analysis.parts
            if other is not part
            for stem in self._content(fold(other.text))
        }
        own = frozenset(self._content(fold(part.text)) - others - places)
        if not own:
            return None
        said = {id(line): set(self.analyzer(fold(_CITATION.sub("", line.text)))) for line in lines}
        return max(
            (line for line in lines if own & said[id(line)]),
            key=lambda line: (self.weights.coverage(own, said[id(line)]), line.score),
            default=None,
        )

    def _content(self, text: str) -> set[str]:
        generic = self.lexicon.generic_stems
        return {t for t in self.analyzer(text) if t not in generic and len(t) > 2}

    def themes(self, analysis: QuestionAnalysis) -> set[str]:
        """The glossary terms the question names, but those every passage is about ("ESS")."""
        return set(analysis.themes) - {fold(word) for word in self.lexicon.everywhere}

    def names_a_theme(self, text: str, analysis: QuestionAnalysis) -> bool:
        """Whether ``text`` names a glossary term of the question, in any of its forms."""
        named = {fold(entry.term) for entry in self.glossary.find(text)}
        return bool(named & self.themes(analysis))

    def _about(self, unit: Chunk, text: str) -> str:
        name = unit.metadata.get("name", "")  # a record's sentence is about it
        return f"{unit.context} {name} {text}"

    def _name_forms(self, name: str) -> tuple[str, ...]:
        """The ways the text may write a name the question gives: an acronym of the glossary
        also as its expansion and synonyms ("GPEC", "gestion prévisionnelle des emplois…")."""
        entry = self.glossary.lookup(name)
        forms = (name,) if entry is None else (name, entry.expansion, *entry.synonyms)
        return tuple(fold(form) for form in forms)

    # Lines ---------------------------------------------------------------------------------

    def score(self, text: str, base: float, analysis: QuestionAnalysis) -> float:
        """A line's score among the lines of an answer: ``base``, more when it holds the kind
        of fact asked."""
        need = analysis.fact.need if analysis.fact else None
        fact = FACT_BONUS if need is not None and has_fact(text, need, self.lexicon) else 0.0
        return base + fact

    def passage_base(self, sentence: Sentence, analysis: QuestionAnalysis) -> float:
        """A passage sentence's line: its cosine similarity, more per content word shared with
        the question. (Relevance picks which sentences hold the facts; scored by relevance, the
        lines of answers were no better on the 559 questions of batches up to 12, and less
        precise.)"""
        about = f"{sentence.unit.context} {sentence.text}"
        return sentence.similarity + OVERLAP_WEIGHT * analysis.salience.overlap(
            about, self.analyzer
        )

    def best_lines(
        self,
        draft: Draft,
        units: Sequence[Chunk],
        sentences: Sequence[Sentence],
        analysis: QuestionAnalysis,
        *,
        first_unit: int = 2,
        whole_lists: bool = False,
    ) -> list[Line]:
        """The best sentences of ``units`` (best retrieved first) as lines: the first unit may
        give ``first_unit``, the others one each."""
        found: list[Line] = []
        for rank, unit in enumerate(units):
            limit = first_unit if rank == 0 else 1
            for text, score in self.lines(draft, unit, sentences, analysis, limit, whole_lists):
                found.append(Line(text, score - 0.01 * rank, unit))
        return found

    def lead_lines(
        self,
        draft: Draft,
        leads: Sequence[Sentence],
        analysis: QuestionAnalysis,
        whole_lists: bool = False,
    ) -> list[Line]:
        """The lines of the sentences an answer leads with, scored above any other line."""
        found: list[Line] = []
        for rank, lead in enumerate(leads):
            text = self.fact_line(draft, lead, analysis, whole_lists)
            if text:
                found.append(Line(text, LEAD - rank, lead.unit))
        return found

    def _quoted(self, sentence: Sentence, analysis: QuestionAnalysis) -> str:
        """The document's words a line of ``sentence`` quotes: a passage's whole sentence; for a
        record's sentence worded its own way, the document's line holding its fact, as
        ``fact_line`` cites it, or else the passage the record quotes."""
        unit = sentence.unit
        if unit.kind == "passage":  # a segment is shown as its whole sentence
            span = sentence.span
            document = self.documents.get(span.document, "")
            start, end = whole_sentences(document, span.start, span.end)
            return document[start:end]
        words = _FIELD_LABEL.sub("", sentence.text).strip()
        span = self.cards.locate(words, unit.source)
        if span == unit.source:
            span = self._line_holding_fact(words, unit, analysis) or span
        # Not found: the line quotes a sentence of the passage the record quotes.
        return self.documents.get(span.document, "")[span.start : span.end]

    def fact_line(
        self, draft: Draft, sentence: Sentence, analysis: QuestionAnalysis, whole_lists: bool
    ) -> str:
        """A sentence holding the fact asked, as a cited line. A record's line ("Montant :
        8 à 10K€ par projet") is cited where the document says it, when it does word for word."""
        unit = sentence.unit
        if unit.kind != "passage":
            words = _FIELD_LABEL.sub("", sentence.text).strip()
            span = self.cards.locate(words, unit.source)
            if span == unit.source:  # worded otherwise: the document's line holding the fact
                span = self._line_holding_fact(words, unit, analysis) or span
            if span != unit.source:
                return f"{' '.join(words.split())} [{draft.cite_span(unit, span)}]"
        found = self.lines(draft, unit, [sentence], analysis, 1, whole_lists)
        return found[0][0] if found else ""

    def _line_holding_fact(
        self, words: str, unit: Chunk, analysis: QuestionAnalysis
    ) -> SourceSpan | None:
        """The line of the document, within the record's source, that says the fact a
        record's line gives ("n.dutertre@…" in "Noémie Dutertre, Chargée de mission ESS /
        n.dutertre@…"), when the record words the line otherwise."""
        document = self.documents.get(unit.source.document, "")
        for part in analysis.parts:
            pattern = self.lexicon.facts.get(part.need or "")
            found = pattern.search(words) if pattern is not None else None
            if found is None:
                continue
            span = self.cards.locate(found.group(0), unit.source)
            if span == unit.source or section_sheet(span.section) != sheet(unit):
                continue
            start = document.rfind("\n", 0, span.start) + 1
            end = document.find("\n", span.end)
            end = len(document) if end < 0 else end
            return SourceSpan(span.document, span.section, start, end)
        return None

    def lines(
        self,
        draft: Draft,
        unit: Chunk,
        sentences: Sequence[Sentence],
        analysis: QuestionAnalysis,
        limit: int = 1,
        whole_lists: bool = False,
    ) -> list[tuple[str, float]]:
        """The unit's ``limit`` sentences that best answer, as cited lines, with their scores.

        A sentence that is one of the roadmap's actions is given as that action, with its id;
        a sentence of a list comes with the whole list."""
        own = [s for s in sentences if s.unit.id == unit.id]
        ranked = sorted(
            (
                (self.score(s.text, self.passage_base(s, analysis), analysis), s.start, s.end)
                for s in own
            ),
            reverse=True,
        )
        lines: list[tuple[str, float]] = []
        for score, start, end in ranked[:limit]:
            action = self.action_at(unit, start, end)
            siblings = self.sibling_actions(unit, start, end) if whole_lists else []
            if len(siblings) > 1:
                items = [f"- {self.item_line(draft, sibling)}" for sibling in siblings]
                lines.append(("\n".join(items), score))
            elif action is not None:
                lines.append((self.item_line(draft, action), score))
            elif unit.kind == "passage":
                start, end = list_block(unit.text, start, end)
                if whole_lists:
                    start, end = with_its_list(unit.text, start, end)
                lines.append((self.passage_line(draft, unit, start, end), score))
        if lines or unit.kind == "passage":
            return lines
        # A record: its text is the record's own words; quote the sentence of its passage.
        quote = self.documents.get(unit.source.document, "")[unit.source.start : unit.source.end]
        # The segment of the quote carrying most of the question's weight, scored as the
        # record's most relevant sentence (its unit's rank is counted by ``best_lines``).
        best = max((relevance(s.similarity, s.coverage, 0) for s in own), default=0.0)
        asked = analysis.salience.terms
        scored = [
            (
                self.score(quote[start:end], best, analysis),
                self.weights.coverage(asked, self.analyzer(self._about(unit, quote[start:end]))),
                start,
                end,
            )
            for start, end in split_segments(quote) or [(0, len(quote))]
        ]
        score, _, start, end = max(scored)
        if unit.kind == "action" and not unit.metadata.get("group"):
            return [(self.item_line(draft, unit), score)]
        number = draft.cite(unit)
        return [(f"{' '.join(quote[start:end].split())} [{number}]", score)]

    def sibling_actions(self, unit: Chunk, start: int, end: int) -> list[Chunk]:
        """The actions of the list a passage's bullet belongs to (none if it is not one)."""
        if unit.kind != "passage" or self.action_at(unit, start, end) is None:
            return []
        block_start, block_end = list_block(unit.text, start, end)
        found: list[Chunk] = []
        for item_start, item_end in split_segments(unit.text[block_start:block_end]):
            action = self.action_at(unit, block_start + item_start, block_start + item_end)
            if action is not None and action not in found:
                found.append(action)
        return found

    def action_at(self, unit: Chunk, start: int, end: int) -> Chunk | None:
        """The action a sentence of ``unit`` states: a line "- A.1.2 : …" of an outline, or a
        passage's bullet that an action record quotes."""
        if unit.metadata.get("group"):
            found = _ACTION_LINE.match(unit.text[start:end])
            return self.by_id.get(f"action:{found.group(1)}") if found else None
        if unit.kind != "passage":
            return None
        offset = unit.source.start
        for action in self.actions:
            span = action.source
            same_document = span.document == unit.source.document
            if same_document and span.start < offset + end and offset + start < span.end:
                return action
        return None

    def item_line(self, draft: Draft, unit: Chunk) -> str:
        record_id = str(unit.metadata.get("record_id", ""))
        quote = draft.quote(unit)
        number = draft.cite(unit)
        if unit.kind == "action":
            return f"**{record_id}** — {quote} [{number}]"
        if unit.kind in ("dispositif", "acteur"):
            name = str(unit.metadata.get("name", record_id))
            territory = str(unit.metadata.get("territory", ""))
            where = "" if territory in name or unit.kind == "acteur" else f" ({territory})"
            return f"**{name}**{where} — {quote} [{number}]"
        return f"{quote} [{number}]"

    def sentence_line(self, draft: Draft, sentence: Sentence) -> str:
        if sentence.unit.kind == "passage":
            return self.passage_line(draft, sentence.unit, sentence.start, sentence.end)
        return f"{draft.quote(sentence.unit)} [{draft.cite(sentence.unit)}]"

    def passage_line(self, draft: Draft, unit: Chunk, start: int, end: int) -> str:
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

    def brief(self, draft: Draft, unit: Chunk) -> str:
        """A scheme in one short line: its name and its amounts in figures, cited."""
        scheme = self.schemes.get(str(unit.metadata.get("record_id", "")))
        if scheme is None:
            return self.item_line(draft, unit)
        card = self.cards.card(scheme, unit.source)
        title = card.lines[0]
        amounts = next((f for f in card.lines if f.kind == "amounts"), None)
        line = f"**{card.title}**"
        if amounts is not None:
            line += f" — {amounts.label} : {amounts.text}"
        return f"{line} [{draft.cite_span(unit, title.span)}]"

    def card(
        self,
        draft: Draft,
        unit: Chunk,
        *,
        full: bool,
        english: bool,
        kinds: frozenset[str] | None = None,
        terms: frozenset[str] = frozenset(),
        brief_amounts: int = 3,
        summary: bool = True,
    ) -> list[str]:
        """A scheme as a title line and, when ``full``, one bullet per kind of fact: only of
        ``kinds`` when given, and the lines sharing one of ``terms`` (stems) whatever their
        kind."""
        scheme = self.schemes.get(str(unit.metadata.get("record_id", "")))
        if scheme is None:
            return [f"- {self.item_line(draft, unit)}"]
        card = self.cards.card(scheme, unit.source, language="en" if english else "fr")
        title, *facts = card.lines
        if summary or not full:
            number = draft.cite_span(unit, title.span)
            lines = [f"**{card.title}** — {title.text} [{number}]"]
        else:  # the fact asked is already given: the scheme's name heads its fields
            lines = [f"**{card.title}**"]
        if not full:  # one line: the title, then the amounts
            amounts = [f for f in facts if f.kind == "amounts"][:brief_amounts]
            if amounts:
                lines[0] += f" {amounts[0].label} : {cite_facts(draft, unit, amounts)}"
            return lines
        groups: dict[str, list[CardLine]] = {}
        for fact in (f for f in facts if not f.repeated):
            shares = bool(terms & set(self.analyzer(fact.text)))
            if kinds is None or fact.kind in kinds or shares:
                groups.setdefault(fact.label, []).append(fact)
        lines += [f"- {label} : {cite_facts(draft, unit, kind)}" for label, kind in groups.items()]
        return lines


def cite_facts(draft: Draft, unit: Chunk, facts: list[CardLine]) -> str:
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


def distinct(lines: Sequence[str], limit: int | None = None, *, leads: int = 0) -> list[str]:
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


def as_item(line: str) -> str:
    """A line as an item of a list; a quote holding a list keeps its items, nested."""
    if line.startswith("- "):
        return line
    return "- " + line.replace("\n", "\n  ")


def themes_of(unit: Chunk) -> set[str]:
    """The themes a record is filed under (``metadata["theme"]``), folded."""
    value = unit.metadata.get("theme") or []
    return {fold(str(theme)) for theme in (value if isinstance(value, list) else [value])}


def is_scheme(unit: Chunk) -> bool:
    return unit.kind == "dispositif" and not unit.metadata.get("group")


def sheet(unit: Chunk) -> str:
    """The section a unit belongs to, two levels deep (a benchmark sheet, a strategic axis)."""
    return section_sheet(unit.source.section)


def section_sheet(section: str) -> str:
    """A section path cut to its first two headings: the sheet it lies in."""
    return " > ".join(section.split(" > ")[:2])


def members(unit: Chunk) -> list[str]:
    found = unit.metadata.get("members")
    return [str(m) for m in found] if isinstance(found, list) else []


def top_hits(hits: Sequence[Hit], ratio: float) -> list[Hit]:
    """The hits scored at least ``ratio`` of the best."""
    if not hits:
        return []
    floor = ratio * hits[0].score
    return [hit for hit in hits if hit.score >= floor]
