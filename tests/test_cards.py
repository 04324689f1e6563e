"""Scheme cards: every line the document words is cited where the document says it."""

from __future__ import annotations

import pytest

from assistant.answering.cards import MAX_SHARED_CHARS, CardMaker, shared_span
from assistant.ingest.catalog import RecordCatalog, load_catalog
from assistant.ingest.documents import load_document
from assistant.ingest.render import amounts_summary
from assistant.types import SourceSpan
from tests.conftest import CORPUS, ROADMAP


@pytest.fixture(scope="module")
def documents() -> dict[str, str]:
    document = load_document(ROADMAP)
    return {document.name: document.text}


@pytest.fixture(scope="module")
def catalog(documents: dict[str, str]) -> RecordCatalog:
    document = load_document(ROADMAP)
    return load_catalog(CORPUS / "records", {document.name: document})


def test_a_card_gives_amounts_conditions_and_calendar_of_the_scheme(
    catalog: RecordCatalog, documents: dict[str, str]
) -> None:
    scheme = catalog.dispositifs["lyon-fondation-innovation-sociale-emergence"]
    card = CardMaker(documents).card(scheme, catalog.span("dispositif", scheme.id))
    kinds = [line.kind for line in card.lines]
    assert kinds[0] == "summary"
    assert {"type", "amounts", "conditions", "calendar"} <= set(kinds)
    amounts = " ".join(line.text for line in card.lines if line.kind == "amounts")
    assert "10 000 €" in amounts and "100 %" in amounts
    assert card.title == f"{scheme.name} ({scheme.territory})"


def test_lines_in_the_documents_words_cite_exactly_those_words(
    catalog: RecordCatalog, documents: dict[str, str]
) -> None:
    maker = CardMaker(documents)
    located = 0
    for scheme in catalog.dispositifs.values():
        record_span = catalog.span("dispositif", scheme.id)
        for line in maker.card(scheme, record_span).lines:
            text = documents[line.span.document][line.span.start : line.span.end]
            if line.span != record_span:
                assert text == line.text.strip(), (scheme.id, line.kind)
                assert line.span.section.startswith("Benchmark"), line.span.section
                located += 1
    assert located >= 40  # conditions, amount notes and calendars are found in the document


def test_what_a_scheme_offers_besides_money_is_in_the_documents_words(
    catalog: RecordCatalog, documents: dict[str, str]
) -> None:
    maker = CardMaker(documents)
    offering = [scheme for scheme in catalog.dispositifs.values() if scheme.offers]
    assert len(offering) >= 4
    for scheme in offering:
        record_span = catalog.span("dispositif", scheme.id)
        offers = [line for line in maker.card(scheme, record_span).lines if line.kind == "offers"]
        assert [line.text for line in offers] == scheme.offers
        for line in offers:
            assert line.span != record_span, (scheme.id, line.text)  # found word for word
            assert documents[line.span.document][line.span.start : line.span.end] == line.text
    artis = catalog.dispositifs["grenoble-hotels-activites-artis"]
    assert any("loyers pratiqués sont bas" in offer for offer in artis.offers)


def test_a_phrase_the_document_does_not_contain_cites_the_record_passage(
    catalog: RecordCatalog, documents: dict[str, str]
) -> None:
    span = catalog.span("dispositif", "ess-nantes-factory")
    assert CardMaker(documents).locate("une phrase qui n'y figure pas", span) == span


def test_facts_found_close_together_in_one_section_share_a_citation() -> None:
    a = SourceSpan("d.md", "Fiche > Conditions", 100, 150)
    b = SourceSpan("d.md", "Fiche > Conditions", 160, 220)
    assert shared_span([a, b]) == SourceSpan("d.md", "Fiche > Conditions", 100, 220)
    elsewhere = SourceSpan("d.md", "Fiche > Montants", 300, 320)
    assert shared_span([a, elsewhere]) is None
    far = SourceSpan("d.md", "Fiche > Conditions", 100 + MAX_SHARED_CHARS, 200 + MAX_SHARED_CHARS)
    assert shared_span([a, far]) is None


def test_figures_the_documents_notes_all_give_are_marked_repeated(
    catalog: RecordCatalog, documents: dict[str, str]
) -> None:
    maker = CardMaker(documents)
    # Lyon's first strand: the notes say 10 000 €, 100 % and 7 500 € in the document's words.
    scheme = catalog.dispositifs["lyon-fondation-innovation-sociale-emergence"]
    card = maker.card(scheme, catalog.span("dispositif", scheme.id))
    figures, *notes = [line for line in card.lines if line.kind == "amounts"]
    assert figures.text.startswith("plafond 10 000 €") and figures.repeated
    assert notes  # the notes that give those figures in the document's words
    # A scheme whose notes leave out one of its figures keeps them.
    kept = [
        s.id
        for s in catalog.dispositifs.values()
        for line in maker.card(s, catalog.span("dispositif", s.id)).lines
        if line.kind == "amounts" and line.text == amounts_summary(s.amounts) and not line.repeated
    ]
    assert kept
