"""A question analysed once: its language, its intent, its parts and the kind of fact each asks,
and the entities it names. Every answering module reads this; none re-derives it.

The intent is what the question asks, from its words: a comparison names two covered
territories; a project holder describes a project ("je monte…", "notre association veut…") and
asks for support; a list question asks for every item; a scheme question asks about support or
names a scheme; a question whose content words the documents never use is out of scope; any
other question asks for a fact. The router may still answer a list question as a fact when no
list matches, or a fact question as a scheme when the passages that answer are one scheme's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from assistant.answering.checks import FactQuery, Salience, need_of, years
from assistant.answering.lexicon import Lexicon, Need
from assistant.ingest.records import Dispositif
from assistant.retrieval.glossary import Glossary
from assistant.retrieval.identifiers import Identifiers
from assistant.retrieval.lexical import FrenchAnalyzer
from assistant.retrieval.territories import Gazetteer
from assistant.text import detect_language, fold

Intent = Literal["list", "fact", "scheme", "comparison", "project", "out_of_scope"]
_AMOUNT = re.compile(r"(\d{1,3}(?:[  .]\d{3})+|\d+)\s?(k€|k|000 €|€|euros?)", re.IGNORECASE)
_PARENTHESES = re.compile(r"\s*\([^)]*\)")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_CAPITALISED = re.compile(r"(?<![.?!]\s)(?<!^)\b[A-ZÉÈ][\w'’-]{2,}")
# The field of a scheme's card that holds a kind of fact.
NEED_FIELDS: dict[Need, str] = {
    "amount": "amounts", "share": "amounts", "date": "calendar", "day": "calendar",
    "time": "calendar", "contact": "contact", "person": "contact", "phone": "contact",
}  # fmt: skip


@dataclass(frozen=True)
class Part:
    """One thing the question asks: its words and the fact it wants (``None``: no kind of
    fact in particular, e.g. "comment…", "pourquoi…")."""

    text: str
    fact: FactQuery | None

    @property
    def need(self) -> Need | None:
        return self.fact.need if self.fact else None


@dataclass(frozen=True)
class Project:
    """What a project holder's description says: stage, needs, amount sought."""

    stage: str | None
    needs: tuple[str, ...]
    amount_eur: int | None


@dataclass(frozen=True)
class QuestionAnalysis:
    """Everything the answering modules need to know about a question."""

    question: str
    language: str
    intent: Intent
    parts: tuple[Part, ...]
    territories: tuple[str, ...]  # covered territories named, in order (all, when ``across``)
    across: bool  # asks which territories do something ("quels territoires…")
    uncovered: tuple[str, ...]  # places named that the documents do not cover
    home: str | None  # the home territory, when the question is about it (named or implied)
    years: frozenset[str]
    names: tuple[str, ...]  # proper nouns that are not places ("Eco Motiv", "GPEC")
    acronyms: tuple[str, ...]  # glossary terms named
    themes: tuple[str, ...]  # glossary terms' canonical forms, folded
    schemes: tuple[str, ...]  # ids of the schemes whose name the question gives
    fields: frozenset[str]  # the fields of a scheme's card asked for (amounts, conditions…)
    salience: Salience
    wants_list: bool
    about_support: bool
    project: Project | None

    @property
    def fact(self) -> FactQuery | None:
        """The fact of the first part that asks one."""
        return next((part.fact for part in self.parts if part.fact), None)

    @property
    def multi_part(self) -> bool:
        return len(self.parts) > 1

    @property
    def english(self) -> bool:
        return self.language == "en"


class QuestionAnalyser:
    """Analyses questions with the lexicon, the gazetteer, the glossary and the records."""

    def __init__(
        self,
        lexicon: Lexicon,
        gazetteer: Gazetteer,
        glossary: Glossary,
        *,
        schemes: Mapping[str, Dispositif] | None = None,
        vocabulary: Iterable[str] = (),
        analyzer: FrenchAnalyzer | None = None,
        identifiers: Identifiers | None = None,
    ) -> None:
        """``vocabulary``: the stems of the corpus's words, to tell a question about
        something the documents never mention; ``identifiers``: the records' codes, a question
        writing one is about that record ("que dit l'action B.2.3 ?")."""
        self.lexicon = lexicon
        self.gazetteer = gazetteer
        self.glossary = glossary
        self.schemes = dict(schemes or {})
        self.vocabulary = frozenset(vocabulary)
        self.analyzer = analyzer or FrenchAnalyzer()
        self.identifiers = identifiers
        self._terms = frozenset(fold(entry.term) for entry in glossary.entries)

    def analyse(self, question: str) -> QuestionAnalysis:
        lexicon = self.lexicon
        folded = fold(question)
        language = detect_language(question)
        places = self.gazetteer.find(question)
        covered = tuple(p.name for p in places if p.covered)
        uncovered = tuple(p.name for p in places if not p.covered)
        home_named = self.gazetteer.home is not None and self.gazetteer.home in covered
        implied = not covered and bool(lexicon.home_cues.search(folded))
        home = self.gazetteer.home if home_named or implied else None
        salience = Salience.of(self._without_home(question), self.analyzer, lexicon)
        entries = self.glossary.find(question)
        acronyms = tuple(e.term for e in entries if e.term.isupper())
        proper = [w.rstrip("'’") for w in _CAPITALISED.findall(question.strip())]
        names = tuple(
            w for w in proper if w not in lexicon.everywhere and not self.gazetteer.find(w)
        )
        schemes = tuple(self._schemes_named(question, salience))
        describes = bool(lexicon.project_cues.search(folded))
        # A part knows the figures it states (a project's own figures are not the answer's
        # either, but its description may give the very amount it asks about: left alone).
        parts = tuple(
            Part(p.text, p.fact.stating(p.text) if p.fact and not describes else p.fact)
            for p in self._parts(question, describes=describes)
        )
        fields = lexicon.fields_asked(folded) | {
            NEED_FIELDS[p.need] for p in parts if p.need in NEED_FIELDS
        }
        wants_list = bool(lexicon.list_cues.search(folded))
        about_support = bool(lexicon.support_cues.search(folded))
        project = self._project(folded) if describes else None
        across = not covered and bool(lexicon.across_cues.search(folded))
        if across:  # "quels territoires…": every covered territory, compared
            covered = tuple(self.gazetteer.names())
        intent: Intent
        if len(covered) >= 2 and not project:
            intent = "comparison"
        elif self._out_of_scope(question, language, salience, uncovered, covered, schemes):
            intent = "out_of_scope"
        elif project is not None and about_support and not schemes:
            intent = "project"
        elif wants_list:
            intent = "list"
        elif about_support or schemes:
            intent = "scheme"
        else:
            intent = "fact"
        return QuestionAnalysis(
            question=question,
            language=language,
            intent=intent,
            parts=parts,
            territories=covered,
            across=across,
            uncovered=uncovered,
            home=home,
            years=frozenset(years(question)),
            names=names,
            acronyms=acronyms,
            themes=tuple(fold(e.term) for e in entries),
            schemes=schemes,
            fields=frozenset(fields),
            salience=salience,
            wants_list=wants_list,
            about_support=about_support,
            project=project,
        )

    def _parts(self, question: str, *, describes: bool = False) -> list[Part]:
        """The question cut where a new question begins ("…, et y a-t-il une date limite ?");
        a part that asks no fact of its own and is not a question, or a remark after a question
        ("… phone number? I'd rather call than email."), is folded into the one before."""
        pieces = [p.strip(" ,;") for p in self.lexicon.part_breaks.split(question.strip())]
        pieces = [p for p in pieces if p and self.analyzer(p)]
        if len(pieces) <= 1:
            return [Part(question, self._fact(question, describes))]
        parts: list[Part] = []
        for piece in pieces:
            fact = self._fact(piece, describes)
            if (
                parts
                and fact is not None
                and any(p.fact is not None and p.fact.need == fact.need for p in parts)
            ):
                fact = None  # the same kind of fact twice is one part said twice
            remark = bool(parts) and parts[-1].text.endswith("?") and not piece.endswith("?")
            if parts and (fact is None or remark) and not piece.endswith("?"):
                last = parts[-1]
                parts[-1] = Part(f"{last.text} {piece}", last.fact)
                continue
            parts.append(Part(piece, fact))
        return parts

    def _fact(self, text: str, describes: bool) -> FactQuery | None:
        """The fact ``text`` asks. A project holder's description states facts ("budget
        8 000 €") before asking: only its sentences ending in a question mark ask."""
        if describes:
            asking = [s for s in _SENTENCE.split(text.strip()) if s.rstrip().endswith("?")]
            if asking:
                text = " ".join(asking)
        return FactQuery.of(text, self.lexicon, terms=self._terms)

    def _schemes_named(self, question: str, salience: Salience) -> list[str]:
        """The schemes whose name the question gives whole ("ESS Nantes Factory") or by all of
        its distinctive words."""
        folded = fold(question)
        found: list[str] = []
        for scheme in self.schemes.values():
            name = fold(_PARENTHESES.sub("", scheme.name)).strip()  # "… (fonds d'amorçage)"
            stems = {s for s in self.analyzer(name) if len(s) > 2}
            stems -= self.lexicon.generic_stems
            own = stems - {
                s for t in self.gazetteer.find(scheme.name) for s in self.analyzer(t.name)
            }
            if name in folded or (len(own) >= 2 and own <= salience.terms):
                found.append(scheme.id)
        return found

    def _out_of_scope(
        self,
        question: str,
        language: str,
        salience: Salience,
        uncovered: tuple[str, ...],
        covered: tuple[str, ...],
        schemes: tuple[str, ...],
    ) -> bool:
        """A place the documents do not cover, named alone; or, in French (the documents'
        language), a question that asks no kind of fact nor a list, names no other territory,
        scheme, glossary term or record code, and half of whose content words the documents
        never use ("météo demain ?")."""
        if uncovered and not covered and not schemes:
            return True
        if language != "fr" or not self.vocabulary or not salience.terms:
            return False
        glossary = self.glossary.find(self._without_home(question))  # "CAN" names no topic
        coded = self.identifiers is not None and self.identifiers.named(question).size > 0
        named = set(covered) - {self.gazetteer.home} or schemes or glossary or coded
        asks = self.lexicon.list_cues.search(fold(question)) or need_of(question, self.lexicon)
        if named or asks:
            return False
        unknown = salience.terms - self.vocabulary
        return len(unknown) * 2 >= len(salience.terms)

    def _project(self, folded: str) -> Project:
        stage = next((name for name, cue in self.lexicon.stages if cue.search(folded)), None)
        needs = tuple(name for name, cue in self.lexicon.project_needs if cue.search(folded))
        amount = None
        found = _AMOUNT.search(folded)
        if found is not None:
            digits = int(re.sub(r"\D", "", found.group(1)))
            unit = found.group(2).lower()
            amount = digits * 1000 if unit in ("k", "k€") else digits
            need = self.lexicon.amount_need
            if need is not None and need not in needs:
                needs = (need, *needs)
        return Project(stage, needs, amount)

    def _without_home(self, question: str) -> str:
        """The question without the names of the home territory: every passage of the roadmap
        is about it, so they tell no passage from another."""
        home = self.gazetteer.home
        if home is None:
            return question
        words = [
            w for w in question.split() if not any(t.name == home for t in self.gazetteer.find(w))
        ]
        return " ".join(words)
