"""What a result card shows: a title people read (a record's name, a section), the sentence that
matches the query, tags; and a scheme's amounts as amounts. Never an internal id or the text
built for indexing."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.ingest.render import format_euros
from assistant.retrieval.lexical import STOP_WORDS
from assistant.text import fold
from assistant.ui.vocabulary import Vocabulary

KIND_LABELS = {
    "passage": "Passage du document",
    "axe": "Axe",
    "action": "Action",
    "dispositif": "Dispositif",
    "acteur": "Acteur",
}
_SENTENCE = re.compile(r"(?<=[.!?;:])\s+|\n+")
_AMOUNT = re.compile(r"\d[\d\s\u202f\u00a0.,]*\s*(?:[kKM]\s*€|€|euros?|%)")


@dataclass(frozen=True)
class Card:
    title: str
    sentence: str  # the text shown, plain (the page escapes and highlights it)
    tags: list[str] = field(default_factory=list)


def record_text(kind: str, record: Mapping[str, Any]) -> list[str]:
    """A record's own sentences, as the document says them (not the indexing text)."""
    if kind == "dispositif":
        return [
            str(record.get("summary", "")),
            *record.get("offers", []),
            *record.get("eligibility", []),
        ]
    if kind == "acteur":
        return [str(record.get("role", ""))]
    if kind == "action":
        return [str(record.get("text", ""))]
    if kind == "axe":
        return [str(record.get("title", "")), str(record.get("description", "") or "")]
    return []


def record_title(kind: str, record: Mapping[str, Any]) -> str:
    if kind in {"dispositif", "acteur"}:
        return str(record.get("name", ""))
    if kind == "action":
        return f"Action {record['id']}"
    if kind == "axe":
        return f"Axe {record['id']} — {record.get('title', '')}"
    return ""


def best_sentence(texts: Sequence[str], query: str) -> str:
    """The sentence sharing the most query words (the first sentence when none shares any)."""
    plain = [(t or "").replace("**", "").replace("__", "") for t in texts]  # the source's emphasis
    sentences = [s.strip(" -•\t") for t in plain for s in _SENTENCE.split(t)]
    sentences = [s for s in sentences if len(s) > 2 and not s.startswith("#")]
    if not sentences:
        return ""
    terms = query_terms(query)

    def overlap(sentence: str) -> int:
        words = {fold(w) for w in re.findall(r"\w+", sentence)}
        return sum(any(w.startswith(t[:5]) for w in words) for t in terms)

    return max(sentences, key=overlap)


def query_terms(query: str) -> set[str]:
    return {fold(w) for w in re.findall(r"\w{3,}", query) if fold(w) not in STOP_WORDS}


def result_card(
    result: Mapping[str, Any], records: Mapping[tuple[str, str], Mapping[str, Any]], query: str
) -> Card:
    """The card of one search result."""
    kind = str(result["kind"])
    metadata = result.get("metadata", {})
    record = records.get((kind, str(metadata.get("record_id", ""))))
    section = str(result.get("source", {}).get("section", "") or "")
    if record is not None:
        title = record_title(kind, record) or section
        texts = record_text(kind, record)
    else:
        # A section path ("Benchmark > Fiche … > Contenu"): its last part names the passage.
        title = str(metadata.get("name", "") or "") or section.split(" > ")[-1]
        title = title or "Passage du document"
        texts = [str(result.get("text", ""))]
    tags = [KIND_LABELS.get(kind, kind.capitalize())]
    territory = metadata.get("territory") or (record or {}).get("territory")
    if territory:
        tags.append(str(territory))
    return Card(title=title, sentence=best_sentence(texts, query), tags=tags)


def unknown_filter_values(
    filters: Mapping[str, Sequence[str]], vocabulary: Vocabulary
) -> list[str]:
    """One message per filter value that no record has, naming the values that exist."""
    lists = {
        "theme": ("themes", "thème"),
        "territory": ("territories", "territoire"),
        "scheme_type": ("scheme_types", "type de dispositif"),
        "stage": ("stages", "stade"),
        "need": ("needs", "besoin"),
        "actor_type": ("actor_types", "type d'acteur"),
        "axis": ("axes", "axe"),
    }
    messages = []
    for key, values in filters.items():
        if key not in lists:
            continue
        name, label = lists[key]
        known = vocabulary.ids(name)
        folded = [fold(k) for k in known]
        for value in values:
            if key == "territory":
                found = any(fold(value) in k for k in folded)
            else:
                found = fold(value) in folded
            if not found:
                messages.append(
                    f"Aucun {label} « {value} » dans le corpus. "
                    f"Valeurs possibles : {', '.join(known)}."
                )
    return messages


def amount_lines(amounts: Mapping[str, Any]) -> list[str]:
    """A scheme's amounts, each with what it is and its period."""
    lines = []
    if amounts.get("ceiling_eur") is not None:
        lines.append(f"Plafond : {format_euros(int(amounts['ceiling_eur']))} par projet")
    if amounts.get("average_eur") is not None:
        lines.append(f"Montant moyen : {format_euros(int(amounts['average_eur']))} par projet")
    if amounts.get("cofunding_rate_max") is not None:
        rate = round(float(amounts["cofunding_rate_max"]) * 100)
        lines.append(f"Taux maximal : {rate} % des dépenses du projet")
    if amounts.get("yearly_envelope_eur") is not None:
        lines.append(f"Enveloppe : {format_euros(int(amounts['yearly_envelope_eur']))} par an")
    if amounts.get("total_envelope_eur") is not None:
        lines.append(
            f"Enveloppe totale : {format_euros(int(amounts['total_envelope_eur']))} "
            "sur la durée du dispositif"
        )
    return lines


def amount_notes(notes: Sequence[str]) -> tuple[list[str], list[str]]:
    """The document's amount notes split into those that state an amount and the others."""
    stated = [n for n in notes if _AMOUNT.search(n)]
    return stated, [n for n in notes if not _AMOUNT.search(n)]


NO_CONTACT = "non précisé dans le document"
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


def contact_text(contact: str | None) -> str:
    """How to reach a body as the document gives it, or plainly that it gives nothing."""
    return " ".join((contact or "").split()) or NO_CONTACT


def site_url(website: str) -> str:
    """A link for a site, also when the document names it without its scheme (``exemple.org``):
    such a bare name would otherwise be a link relative to the app's own address."""
    website = website.strip()
    return website if _SCHEME.match(website) else f"https://{website}"


def concerns(match: Mapping[str, Any], *, open_to_project: bool) -> list[str]:
    """What may not fit, without the restriction shown above it for a scheme the project
    cannot apply to (the finder gives the restriction as a concern too)."""
    shown = match.get("restriction") if not open_to_project else None
    return [c for c in match.get("may_not_fit", []) if not shown or fold(c) != fold(str(shown))]
