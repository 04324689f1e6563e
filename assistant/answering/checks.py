"""The general checks that decide whether a sentence answers: it holds a fact of the kind asked
(an amount, a date, a count of the thing asked, a contact…), at the rate asked, about what the
question names, for the year it names. The words they use come from the lexicon."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

from assistant.answering.lexicon import Lexicon, Need
from assistant.retrieval.lexical import FrenchAnalyzer
from assistant.text import detect_language, fold

_YEAR = re.compile(r"\b(19|20)\d{2}\b")
_NUMBER = re.compile(r"\b\d+(?:[\s.,]\d+)*\b")
_COUNT = re.compile(r"\b(\d+(?:[\s.,]\d+)*)\s+(?:d[e']\s*)?([a-z]+)")


NUMBER_NEEDS = frozenset({"amount", "count", "share", "area"})


def figures(text: str) -> frozenset[str]:
    """The numbers a text writes, years left out, spaces and dots of thousands removed
    ("1 000" and "1.000" alike)."""
    found = (re.sub(r"[\s.]", "", n) for n in _NUMBER.findall(text) if not _YEAR.fullmatch(n))
    return frozenset(found)


def years(text: str) -> set[str]:
    """The years a text names."""
    return {match.group(0) for match in _YEAR.finditer(text)}


def need_of(question: str, lexicon: Lexicon) -> Need | None:
    """The kind of fact ``question`` asks for, if it asks for one."""
    folded = lexicon.set_aside.sub(" ", fold(question))
    if lexicon.reason_cues.search(folded):
        return None
    need = next((need for need, pattern in lexicon.needs if pattern.search(folded)), None)
    if need == "date" and lexicon.next.search(folded):
        return "day"
    return need


def has_fact(sentence: str, need: Need, lexicon: Lexicon) -> bool:
    """Whether ``sentence`` holds a fact of the kind ``need``."""
    facts = lexicon.facts
    if need == "outcome":
        return bool(facts["outcome"].search(fold(sentence)))
    if need == "amount":
        return bool(facts["amount"].search(sentence))
    if need == "share":
        return bool(facts["share"].search(sentence))
    if need == "date":
        return bool(_YEAR.search(sentence) or facts["month"].search(fold(sentence)))
    if need == "day":
        return bool(facts["month"].search(fold(sentence)) or facts["day"].search(sentence))
    if need == "count":  # a number that is neither an amount, a share, a rate, a year nor a label
        bare = facts["range_start"].sub(" ", facts["ratio_base"].sub(" ", sentence))
        bare = facts["label"].sub(" ", facts["share"].sub(" ", facts["amount"].sub(" ", bare)))
        return any(not _YEAR.fullmatch(n) for n in _NUMBER.findall(bare))
    return bool(facts[need].search(sentence))


@dataclass(frozen=True)
class FactQuery:
    """What a sentence must hold to answer one part of a question: a fact of the kind asked, at
    the rate asked and, when the part counts a term of the domain ("combien de SCIC"), that
    term. Everyday words counted are kept as ``subjects``: the answer leads with the sentence
    counting each, and a sentence naming them only as a ratio's base or counting things of
    another kind does not answer."""

    need: Need
    rates: tuple[re.Pattern[str], ...] = ()
    counted: str | None = None
    subjects: tuple[str, ...] = ()
    # A number answers only if it counts a subject: French subjects, and English ones whose
    # French words the lexicon lists (``counted_as``).
    strict: bool = False
    # The figures the question states itself ("on sait que l'agglo est à 4,5"): a sentence
    # giving those only does not give the number asked (``stating``).
    given: frozenset[str] = frozenset()

    @classmethod
    def of(
        cls, question: str, lexicon: Lexicon, *, terms: frozenset[str] = frozenset()
    ) -> FactQuery | None:
        need = need_of(question, lexicon)
        if need is None:
            return None
        folded = fold(question)
        rates = tuple(rate.stated for rate in lexicon.rates if rate.asked.search(folded))
        counted = lexicon.counted.search(folded) if need == "count" else None
        subjects: list[str] = []
        if counted is not None:
            subjects.append(next(g for g in counted.groups() if g))
            also = lexicon.also_counted.match(folded[counted.end() :])
            if also is not None:
                subjects.append(next(g for g in also.groups() if g))
        word = subjects[0] if subjects else None
        known = all(subject in lexicon.counted_as for subject in subjects)
        strict = bool(subjects) and (detect_language(question) == "fr" or known)
        return cls(need, rates, word if word in terms else None, tuple(subjects), strict)

    def stating(self, question: str) -> FactQuery:
        """This query, knowing the figures ``question`` states, when it asks a number."""
        if self.need not in NUMBER_NEEDS:
            return self
        return replace(self, given=figures(question))

    def met_by(self, sentence: str, lexicon: Lexicon) -> bool:
        if not has_fact(sentence, self.need, lexicon):
            return False
        if self.given and (found := figures(sentence)) and found <= self.given:
            return False  # only the question's own figures
        folded = fold(sentence)
        if self.need == "count" and any(_only_a_base(s, folded, lexicon) for s in self.subjects):
            return False  # "4,5 établissements pour 1 000 habitants" counts no inhabitants
        if self.need == "count" and _counts_other_things(folded, self.subjects, lexicon):
            return False  # "en 5 axes" counts no jobs, "25 projets" no people
        analyzer = _analyzer()
        if self.strict and not any(counts(sentence, s, analyzer, lexicon) for s in self.subjects):
            return False  # "2 ETP" is no number of places
        if not all(rate.search(folded) for rate in self.rates):
            return False
        if self.counted is None:
            return True
        return re.search(rf"\b{re.escape(self.counted)}\b", folded) is not None


@lru_cache(maxsize=1)
def _analyzer() -> FrenchAnalyzer:
    return FrenchAnalyzer()


def counts(
    text: str, subject: str, analyzer: FrenchAnalyzer, lexicon: Lexicon, *, own_only: bool = False
) -> bool:
    """Whether ``text`` gives a number of ``subject`` or, unless ``own_only``, in a word a count
    of it may be given in (``counted_as``: "12 300 salariés" counts "emplois", "300 000h"
    counts "heures"); the number in digits or in words ("trois fois")."""
    words = lexicon.facts["number_word"].pattern.removeprefix("(?i)")
    number = rf"(?:\d[\d\s.,]*|{words})"
    rate = lexicon.facts["rate_word"].pattern
    between = rf"(?:(?!(?:{rate})\b)[\w'’-]+\s+){{0,2}}"  # "25 projets par an": no years
    folded = fold(text)
    others = () if own_only else lexicon.counted_as.get(subject, ())
    for word in (subject, *others):
        named = _word_pattern(word, analyzer)
        if named and re.search(rf"{number}\s*{between}{named}", folded):
            return True
    return False


def _word_pattern(word: str, analyzer: FrenchAnalyzer) -> str | None:
    """A counted word as a pattern: its stem ("salari" for "salariés"), or a unit's
    abbreviation whole ("h" in "300 000h")."""
    if len(word) <= 2:
        return rf"{re.escape(word)}\b"
    stems = analyzer(word)
    return re.escape(stems[0]) if stems else None


def _kinds(word: str, lexicon: Lexicon) -> set[int]:
    plural = word if word.endswith(("s", "x")) else f"{word}s"
    return {index for index, kind in enumerate(lexicon.kinds) if plural in kind}


def _counts_other_things(folded: str, subjects: tuple[str, ...], lexicon: Lexicon) -> bool:
    nouns = [noun for number, noun in _COUNT.findall(folded) if not _YEAR.fullmatch(number)]
    if not subjects or not nouns:
        return False
    parts = lexicon.plan_parts
    if all(parts.match(noun) for noun in nouns):
        return not any(parts.match(subject) for subject in subjects)
    asked = {kind for subject in subjects for kind in _kinds(subject, lexicon)}
    return bool(asked) and all(
        _kinds(noun, lexicon) and not _kinds(noun, lexicon) & asked for noun in nouns
    )


def _only_a_base(subject: str, folded: str, lexicon: Lexicon) -> bool:
    named = re.compile(rf"\b{re.escape(subject)}\b")
    if not named.search(folded):
        return False
    base = lexicon.facts["ratio_base"].pattern.removeprefix("(?i)")
    bases = re.compile(rf"{base}\s+{re.escape(subject)}\b", re.IGNORECASE)
    return not named.search(bases.sub(" ", folded))


@dataclass(frozen=True)
class Salience:
    """The content words of a question, to check that a sentence is about the same thing."""

    terms: frozenset[str]

    @classmethod
    def of(cls, question: str, analyzer: FrenchAnalyzer, lexicon: Lexicon) -> Salience:
        generic = lexicon.generic_stems
        return cls(frozenset(t for t in analyzer(question) if t not in generic and len(t) > 2))

    def overlap(self, text: str, analyzer: FrenchAnalyzer) -> int:
        return len(self.terms & set(analyzer(text)))
