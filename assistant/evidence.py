"""Does the retrieved text answer the question? What the question needs, and what supports it.

A question asking "combien", "quand" or "qui contacter" needs an amount, a date or a contact; a
question about Niort is not answered by a passage about Rennes; a question naming 2024 is not
answered by the 2023 edition. These checks let the answerer say plainly that the document does
not answer, instead of quoting the nearest passage as if it did.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from assistant.lexical import FrenchAnalyzer
from assistant.text import fold

Need = Literal["outcome", "amount", "count", "date", "day", "contact", "person", "place"]

# Checked in this order: "combien d'argent" is an amount, "combien de projets" a count.
_NEEDS: list[tuple[Need, re.Pattern[str]]] = [
    (
        "outcome",  # whether a target was met: the target itself does not answer
        re.compile(
            r"\b(did \w+(?: \w+)? (?:hit|reach|meet|achieve)|"
            r"(?:hit|reach|met|meet|achieved?) (?:its|the|their) (?:[\w%-]+ ){0,4}"
            r"(?:target|goal|objective)s?|"
            r"objectifs? (?:a|ont) (?:ete |bien ete )?atteints?|"
            r"(?:a-t-elle|a-t-il|ont-elles|ont-ils) (?:bien |vraiment )?(?:ete )?atteint|"
            r"atteint (?:son|ses|leur|leurs|l'|les) (?:\w+ ){0,2}objectifs?)\b"
        ),
    ),
    (
        "contact",
        re.compile(
            r"\b(contacter|contact|mail|e-mail|email|courriel|telephone|joindre|"
            r"who (do i|should i|to) contact|phone)\b"
        ),
    ),
    (
        "person",
        re.compile(
            r"\b(qui preside|quel elu|quelle elue|president|presidente|qui est (le |la )?maire|"
            r"who chairs|who leads|who heads|mayor|who is in charge)\b"
        ),
    ),
    ("place", re.compile(r"\b(ou seront|ou se trouve|ou sont|adresses?|where (is|are|will))\b")),
    (
        "day",  # a calendar date, not a year
        re.compile(
            r"\b(quelle date|date limite|quel jour|quels? mois|deadline|closing date|"
            r"what date|which date|which day|which months?)\b"
        ),
    ),
    (
        "date",
        re.compile(
            r"\b(quand|date|dates|quelle annee|depuis quand|when|deadline|"
            r"what year|since when|date limite)\b"
        ),
    ),
    (
        "amount",
        re.compile(
            r"\b(montants?|budgets?|sommes?|enveloppes?|dotations?|plafond|"
            r"combien (coute|rapporte|verse|donne|finance|d'argent|d euros)|"
            r"combien\b[^?]*\b(coute|coutent|rapporte|verse|versent|donne|paye|touche)|"
            r"how much|prize money|amount|funding level|cost|euros?|quel poids|quelle part|"
            r"what share|percentage|pourcentage|maximum (grant|award|funding|loan|aid)|"
            r"ceiling|(aide|subvention|financement) maximum|"
            r"quels? (est |sont )?(le |les )?(montants? du )?loyers?|loyer mensuel|"
            r"what('s| is) the rent|how much is the rent|"
            r"taux|rates?|salaires?|remuneration|salary|"
            r"wages?)\b"
        ),
    ),
    ("count", re.compile(r"\b(combien de|combien d|nombre de|nombre d|how many)\b")),
]

_AMOUNT = re.compile(r"\d[\d\s.,]*\s?(€|k€|m€|keur|euros?)|\d+\s?%", re.IGNORECASE)
# The first bound of a range of amounts ("8 à 10K€"): part of the amount, not a count.
_RANGE_START = re.compile(r"\b\d+\s?(?:à|-|–)\s?(?=\d[\d\s.,]*\s?(?:€|k€|m€|keur))", re.IGNORECASE)
# A result stated, not a target: "a atteint", "ont permis", "achieved".
_OUTCOME = re.compile(
    r"\b(atteint|atteints|atteinte|atteintes|a permis|ont permis|resultats? obtenus?|"
    r"achieved|reached)\b"
)
_YEAR = re.compile(r"\b(19|20)\d{2}\b")
_MONTH = re.compile(
    r"\b(janvier|fevrier|mars|avril|mai|juin|juillet|aout|septembre|octobre|novembre|decembre)\b"
)
_DAY = re.compile(r"\b\d{1,2}/\d{1,2}(/\d{2,4})?\b")
# Numbers that name rather than count: action ids (C.2.1), "axe 1", "article 15", "n° 3",
# an acronym's number ("TAG 35").
_LABEL = re.compile(
    r"\b[A-Z]\.\d+(?:\.\d+)*\b|\b(?:[Aa]xe|[Aa]rticle|n°)\s*\d+\b|\b[A-Z]{2,}\s?\d{1,3}\b"
)
# The base of a ratio ("pour 1 000 habitants"): it says what is counted against, not a count.
_RATIO_BASE = re.compile(r"\b(?:pour|per|par)\s+1(?:[\s.,]?0{3})*\b", re.IGNORECASE)
_NUMBER = re.compile(r"\b\d+(?:[\s.,]\d+)*\b")
_CONTACT = re.compile(r"[\w.-]+@[\w.-]+\.\w+|\b\d{2}(?:[ .]\d{2}){4}\b")
_PERSON = re.compile(r"\b[A-ZÉ][a-zéèëï]+(?:-[A-ZÉ][a-zéèëï]+)? [A-ZÉ]{2,}\b")
_PLACE = re.compile(r"\b(rue|avenue|boulevard|place|quai|chemin|allée)\b|\b\d{5}\b", re.I)
# Words that say what kind of answer is wanted, not what it is about.
_GENERIC = {
    "ess",
    "economi",
    "social",
    "solidair",
    "agglo",
    "niort",
    "feuill",
    "rout",
    "projet",
    "combien",
    "quel",
    "much",
    "many",
    "the",
    "plan",
    "territoir",
    "structur",
    "annuel",
    "chaqu",
    "anne",
    "exact",
    "actuel",
    "metropol",
    "dat",
    "quand",
    "depuis",
    "since",
    "montant",
    "nombr",
}


# The next occurrence of something: a year does not say when it is.
_NEXT = re.compile(r"\b(prochaine?s?|next|upcoming)\b")


# What a question sets aside is not what it asks: "en plus de la dotation", "besides the money".
_SET_ASIDE = re.compile(
    r"\b(?:en plus d[eu']|en dehors d[eu']|a part|au-dela d[eu']|besides|apart from|"
    r"other than|beyond)\s*(?:l'|la |le |les |des |the )?[\w-]+"
)


def need_of(question: str) -> Need | None:
    """The kind of fact the question asks for, if it asks for one."""
    folded = _SET_ASIDE.sub(" ", fold(question))
    need = next((need for need, pattern in _NEEDS if pattern.search(folded)), None)
    if need == "date" and _NEXT.search(folded):
        return "day"
    return need


def has_fact(sentence: str, need: Need) -> bool:
    """Whether ``sentence`` holds a fact of the kind ``need``."""
    if need == "outcome":
        return bool(_OUTCOME.search(fold(sentence)))
    if need == "amount":
        return bool(_AMOUNT.search(sentence))
    if need == "date":
        return bool(_YEAR.search(sentence) or _MONTH.search(fold(sentence)))
    if need == "day":
        return bool(_MONTH.search(fold(sentence)) or _DAY.search(sentence))
    if need == "count":  # a number that is neither an amount, a rate, a year nor a label
        bare = _RANGE_START.sub(" ", _RATIO_BASE.sub(" ", sentence))
        bare = _LABEL.sub(" ", _AMOUNT.sub(" ", bare))
        return any(not _YEAR.fullmatch(n) for n in _NUMBER.findall(bare))
    if need == "contact":
        return bool(_CONTACT.search(sentence))
    if need == "person":
        return bool(_PERSON.search(sentence))
    return bool(_PLACE.search(sentence))


# What the fact must say when the question asks it: a question asking "per month", "per project"
# or "per square metre" is not answered by a total, one asking a salary or an interest rate is
# not answered by a budget or a share of costs.
_RATES: list[tuple[re.Pattern[str], re.Pattern[str]]] = [
    (
        re.compile(r"\b(par mois|chaque mois|mensuel\w*|per month|a month|monthly)\b"),
        re.compile(r"(/ ?mois|par mois|mensuel|chaque mois)"),
    ),
    (
        re.compile(r"\b(par an|chaque annee|annuel\w*|per year|a year|yearly|each year)\b"),
        re.compile(r"(/ ?an\b|par an\b|annuel|chaque annee|tous les ans)"),
    ),
    (  # a salary is not a budget
        re.compile(r"\b(salaires?|remuneration|salary|wages?)\b"),  # not "salaries": salariés
        re.compile(r"(salaire|remunere|remuneration|salary|wage)"),
    ),
    (  # an interest rate is not the share of costs covered
        re.compile(r"\b(taux d'interet|interest rate|interet)\b"),
        re.compile(r"(interet|interest|taux zero|(?<![\d,.])0 ?%)"),
    ),
    (
        re.compile(r"\b(par projet|per project|each project)\b"),
        re.compile(r"(par projet|/ ?projet|per project)"),
    ),
    (
        re.compile(r"(metre carre|m2|m²|square met)"),
        re.compile(r"(m2|m²|metre carre)"),
    ),
]
_COUNTED = re.compile(r"\b(?:combien d[e']|nombre d[e']|how many)\s*(\w+)")
_ALSO_COUNTED = re.compile(r"^\s*(?:et|ou|and|or)\s+(?:d[e']\s*|des\s+)?(\w+)")


@dataclass(frozen=True)
class FactQuery:
    """What a sentence must hold to answer: a fact of the kind asked, at the rate asked (per
    month, per year, per project, per m²; a salary, an interest rate) and, when the question
    counts a term of the domain ("combien de SCIC"), that term. Everyday words counted
    ("combien de postes") are paraphrased too often ("2 ETP") to be required; they are kept as
    ``subjects``, for the answer to lead with the sentence that counts each, and a sentence
    that names them only as a ratio's base ("pour 1 000 habitants") or counts only things of
    another kind ("5 axes", "25 projets" for people) does not answer."""

    need: Need
    rates: tuple[re.Pattern[str], ...] = ()
    counted: str | None = None
    subjects: tuple[str, ...] = ()  # every word counted ("combien de bénévoles et de salariés")

    @classmethod
    def of(cls, question: str, *, terms: frozenset[str] = frozenset()) -> FactQuery | None:
        """``terms`` are the domain's terms, folded (the glossary's)."""
        need = need_of(question)
        if need is None:
            return None
        folded = fold(question)
        rates = tuple(fact for asked, fact in _RATES if asked.search(folded))
        counted = _COUNTED.search(folded) if need == "count" else None
        word = counted.group(1) if counted else None
        subjects: list[str] = []
        if counted is not None:
            subjects.append(counted.group(1))
            also = _ALSO_COUNTED.match(folded[counted.end() :])
            if also is not None:
                subjects.append(also.group(1))
        return cls(need, rates, word if word in terms else None, tuple(subjects))

    def met_by(self, sentence: str) -> bool:
        if not has_fact(sentence, self.need):
            return False
        folded = fold(sentence)
        if self.need == "count" and any(_only_a_base(s, folded) for s in self.subjects):
            return False  # "4,5 établissements pour 1 000 habitants" counts no inhabitants
        if self.need == "count" and _counts_other_things(folded, self.subjects):
            return False  # "en 5 axes" counts no jobs, "25 projets" no people
        if not all(rate.search(folded) for rate in self.rates):
            return False
        if self.counted is None:
            return True
        return re.search(rf"\b{re.escape(self.counted)}\b", folded) is not None


# Kinds of things a question counts, each in the words a count of it may be given in
# ("combien d'emplois" is answered by "12 300 salariés", "combien de postes" by "2 ETP"). A
# number of things of another kind does not answer: "25 projets" for "combien de personnes".
_KINDS: tuple[frozenset[str], ...] = (
    frozenset({"emplois", "salaries", "etp", "postes"}),
    frozenset({"personnes", "habitants", "benevoles", "salaries", "participants", "beneficiaires"}),
    frozenset(
        {"structures", "etablissements", "entreprises", "associations", "cooperatives", "acteurs"}
    ),
    frozenset({"projets", "initiatives", "laureats", "dossiers", "candidatures"}),
    frozenset({"lieux", "sites", "batiments", "hotels", "locaux", "espaces", "ensembles"}),
    frozenset({"annees", "ans", "mois", "semaines", "jours"}),
)
# The parts of a plan or a text: a number of them ("5 axes", "4 champs d'action") counts no
# thing of the world a question may count (jobs, projects, inhabitants).
_PARTS = re.compile(
    r"^(axes?|actions?|champs?|piliers?|categories?|domaines?|orientations?|objectifs?|volets?|"
    r"chantiers?|thematiques?|themes?|enjeux|priorites?|etapes?|phases?)$"
)
_COUNT = re.compile(r"\b(\d+(?:[\s.,]\d+)*)\s+(?:d[e']\s*)?([a-z]+)")


def _kinds(word: str) -> set[int]:
    """The kinds of things ``word`` (folded) counts, by their place in ``_KINDS``."""
    plural = word if word.endswith(("s", "x")) else f"{word}s"
    return {index for index, kind in enumerate(_KINDS) if plural in kind}


def _counts_other_things(folded: str, subjects: tuple[str, ...]) -> bool:
    """Whether every number of ``folded`` counts things of another kind than ``subjects``:
    parts of a plan ("en 5 axes") when no part is asked, or things of a known kind other
    than the one asked ("25 projets" for "personnes")."""
    nouns = [noun for number, noun in _COUNT.findall(folded) if not _YEAR.fullmatch(number)]
    if not subjects or not nouns:
        return False
    if all(_PARTS.match(noun) for noun in nouns):
        return not any(_PARTS.match(subject) for subject in subjects)
    asked = {kind for subject in subjects for kind in _kinds(subject)}
    return bool(asked) and all(_kinds(noun) and not _kinds(noun) & asked for noun in nouns)


def counts(text: str, subject: str, analyzer: FrenchAnalyzer) -> bool:
    """Whether ``text`` gives a number of ``subject`` ("12 300 salariés", "3 lieux")."""
    stems = analyzer(subject)
    if not stems:
        return False
    pattern = rf"\d[\d\s.,]*\s+(?:[\w'’-]+\s+){{0,2}}{re.escape(stems[0])}"
    return re.search(pattern, fold(text)) is not None


def _only_a_base(subject: str, folded: str) -> bool:
    """Whether ``subject`` is named in ``folded`` only as the base of a ratio ("pour 1 000
    habitants")."""
    named = re.compile(rf"\b{re.escape(subject)}\b")
    if not named.search(folded):
        return False
    bases = re.compile(rf"{_RATIO_BASE.pattern}\s+{re.escape(subject)}\b", re.IGNORECASE)
    return not named.search(bases.sub(" ", folded))


def years(text: str) -> set[str]:
    return {match.group(0) for match in _YEAR.finditer(text)}


@dataclass(frozen=True)
class Salience:
    """The content words of a question, to check that a sentence is about the same thing."""

    terms: frozenset[str]

    @classmethod
    def of(cls, question: str, analyzer: FrenchAnalyzer, extra: str = "") -> Salience:
        terms = {t for t in analyzer(f"{question} {extra}") if t not in _GENERIC and len(t) > 2}
        return cls(frozenset(terms))

    def overlap(self, text: str, analyzer: FrenchAnalyzer) -> int:
        return len(self.terms & set(analyzer(text)))
