"""A support scheme as a card: what it gives, to whom, on which conditions, when.

A project holder asking about a scheme needs its amounts, what else it offers (support, premises,
visibility), its conditions and its calendar, not the one sentence closest to the question. The
card is drawn from the scheme's record; every line that repeats the document's words (amount
notes, offers, conditions, calendar, contact) is found in the document and cited there, so its
citation shows exactly that passage. Lines the record sums up in its own words (summary, type,
amounts in figures) cite the passage the record quotes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from assistant.answering.checks import figures
from assistant.ingest.records import Dispositif
from assistant.ingest.render import amounts_summary
from assistant.ingest.sections import SectionLocator
from assistant.types import SourceSpan

LABELS = {
    "fr": {
        "type": "Type",
        "stage": "Stade",
        "operators": "Porté par",
        "partners": "Partenaires",
        "amounts": "Montants",
        "offers": "Autres apports",
        "conditions": "Conditions",
        "sectors": "Catégories",
        "calendar": "Calendrier",
        "contact": "Contact",
    },
    "en": {
        "type": "Type",
        "stage": "Stage",
        "operators": "Run by",
        "partners": "Partners",
        "amounts": "Amounts",
        "offers": "Also offers",
        "conditions": "Conditions",
        "sectors": "Categories",
        "calendar": "Calendar",
        "contact": "Contact",
    },
}


@dataclass(frozen=True)
class CardLine:
    """One line of a card and the passage that supports it."""

    kind: str  # "summary" (the title line), "type", "amounts", "conditions", "calendar"…
    label: str  # the kind, in the answer's language
    text: str
    span: SourceSpan
    repeated: bool = False  # other lines of the card say it in the document's words


@dataclass(frozen=True)
class SchemeCard:
    """The lines of one scheme's card, title first."""

    scheme: Dispositif
    lines: list[CardLine]

    @property
    def title(self) -> str:
        name, territory = self.scheme.name, self.scheme.territory
        return name if territory in name else f"{name} ({territory})"


class CardMaker:
    """Makes scheme cards, finding the document's words each line repeats."""

    def __init__(self, documents: Mapping[str, str]) -> None:
        self.documents = documents
        self._locators: dict[str, SectionLocator] = {}
        self._made: dict[tuple[str, SourceSpan, str], SchemeCard] = {}

    def card(self, scheme: Dispositif, span: SourceSpan, *, language: str = "fr") -> SchemeCard:
        """The card of ``scheme``, whose record quotes the document at ``span`` (made once)."""
        key = (scheme.id, span, language)
        if key not in self._made:
            self._made[key] = self._card(scheme, span, language)
        return self._made[key]

    def _card(self, scheme: Dispositif, span: SourceSpan, language: str) -> SchemeCard:
        labels = LABELS["en" if language == "en" else "fr"]

        def line(kind: str, text: str, support: SourceSpan = span) -> CardLine:
            return CardLine(kind, labels.get(kind, ""), text, support)

        kinds = ", ".join(scheme.types)
        if scheme.stages:
            kinds += f" ; {labels['stage']} : {', '.join(scheme.stages)}"
        lines = [line("summary", scheme.summary), line("type", kinds)]
        lines.append(line("operators", ", ".join(scheme.operators)))
        if scheme.partners:
            lines.append(line("partners", ", ".join(scheme.partners)))
        if summary := amounts_summary(scheme.amounts):
            # Its figures, when the document's notes give every one, only head a brief line.
            repeated = figures(summary) <= figures(" ".join(scheme.amounts.notes))
            lines.append(replace(line("amounts", summary), repeated=repeated))
        lines += [line("amounts", n, self.locate(n, span)) for n in scheme.amounts.notes]
        lines += [line("offers", offer, self.locate(offer, span)) for offer in scheme.offers]
        lines += [line("conditions", c, self.locate(c, span)) for c in scheme.eligibility]
        if scheme.priority_sectors:
            lines.append(line("sectors", " ; ".join(scheme.priority_sectors)))
        for kind, text in (("calendar", scheme.calendar), ("contact", scheme.contact)):
            if text:
                lines.append(line(kind, text, self.locate(text, span)))
        return SchemeCard(scheme, lines)

    def locate(self, words: str, near: SourceSpan) -> SourceSpan:
        """Where the document says ``words`` (the occurrence nearest ``near``); ``near`` itself
        when the record words them differently."""
        text = self.documents.get(near.document, "")
        found = _occurrences(text, words.strip())
        if not found:
            return near
        start = min(found, key=lambda position: abs(position - near.start))
        locator = self._locators.get(near.document)
        if locator is None:
            locator = self._locators[near.document] = SectionLocator(text)
        end = start + len(words.strip())
        return SourceSpan(near.document, locator.section_at(start), start, end)


MAX_SHARED_CHARS = 1500  # a citation shared by several facts quotes at most this much


def shared_span(spans: list[SourceSpan]) -> SourceSpan | None:
    """One span covering ``spans`` when they lie in the same section close together, so that
    facts found in one place share one citation; ``None`` otherwise."""
    if not spans:
        return None
    first = spans[0]
    if any(s.document != first.document or s.section != first.section for s in spans):
        return None
    start, end = min(s.start for s in spans), max(s.end for s in spans)
    if end - start > MAX_SHARED_CHARS:
        return None
    return SourceSpan(first.document, first.section, start, end)


def _occurrences(text: str, words: str) -> list[int]:
    if not words:
        return []
    found: list[int] = []
    position = text.find(words)
    while position >= 0:
        found.append(position)
        position = text.find(words, position + 1)
    return found
