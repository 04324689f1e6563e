"""The answer draft: citations numbered by first use, repeats and unused citations dropped."""

from __future__ import annotations

from assistant.answering.draft import (
    Draft,
    as_markdown,
    list_block,
    paragraphs,
    whole_sentences,
    with_its_list,
)
from assistant.types import Chunk, SourceSpan

DOCUMENT = "Intro. Le prix est doté de 20 000 €. Il récompense un projet. Fin du texte."


def passage(start: int, end: int) -> Chunk:
    return Chunk("p", "passage", DOCUMENT[start:end], "Doc", SourceSpan("d.md", "S", start, end))


def test_citations_quote_the_document_and_are_numbered_by_first_use() -> None:
    draft = Draft({"d.md": DOCUMENT})
    unit = passage(7, 61)
    draft.cite(unit, 0, 6)  # cited while drafting, then used by no line
    first = draft.cite(unit, 30, 54)
    second = draft.cite(unit, 0, 29)
    assert draft.cite(unit, 30, 54) == first  # the same span keeps its number
    draft.lines = [f"Il récompense un projet. [{first}]", f"Le prix est doté. [{second}]"]
    draft.renumber()
    assert draft.lines == ["Il récompense un projet. [1]", "Le prix est doté. [2]"]
    assert [c.number for c in draft.citations] == [1, 2]
    assert draft.citations[0].text == "Il récompense un projet."
    assert "Le pri" not in [c.text for c in draft.citations]


def test_a_repeated_line_is_dropped_whatever_its_citation() -> None:
    draft = Draft({"d.md": DOCUMENT})
    unit = passage(7, 61)
    a, b = draft.cite(unit, 0, 29), draft.cite(unit, 30, 54)
    draft.lines = [f"Le prix est doté de 20 000 €. [{a}]", f"- Le prix est doté de 20 000 €. [{b}]"]
    draft.renumber()
    assert draft.lines == ["Le prix est doté de 20 000 €. [1]"]
    assert len(draft.citations) == 1


def test_a_bullet_is_widened_to_its_list_and_a_list_ends_its_paragraph() -> None:
    text = "Les projets devront :\n- réduire les déchets\n- créer de l'emploi\n\nAutre chose."
    start = text.index("- créer")
    block = list_block(text, start, start + len("- créer de l'emploi"))
    assert text[block[0] : block[1]].startswith("Les projets devront :")
    assert text[block[0] : block[1]].endswith("- créer de l'emploi")
    lines = ["Intro :", "- un", "- deux", "1. Un passage numéroté.", "Suite.", "Fin."]
    assert paragraphs(lines) == (
        "Intro :\n\n- un\n- deux\n\n1. Un passage numéroté.\n\nSuite.\n\nFin."
    )


def test_a_quote_cut_by_its_unit_is_widened_to_whole_sentences() -> None:
    document = (
        "Titre\n\nIl est proposé de prioriser 4 domaines que sont l'économie circulaire et le "
        "tourisme. Le choix a été confirmé par les acteurs.\n\nSuite."
    )
    cut = document.index("que sont") + len("que sont")  # a unit ending mid-sentence
    start, end = whole_sentences(document, document.index("Il est"), cut)
    assert document[start:end].endswith("le tourisme.")
    middle = document.index("prioriser")  # a unit starting mid-sentence
    start, end = whole_sentences(document, middle, middle + 20)
    assert document[start:end].startswith("Il est proposé")
    whole = document.index("Le choix"), document.index("acteurs.") + len("acteurs.")
    assert whole_sentences(document, *whole) == whole  # a whole sentence is left as it is


def test_a_sentence_comes_with_the_list_its_paragraph_introduces() -> None:
    text = (
        "La stratégie est cohérente. Les échelons ont placé l'ESS à leur agenda :\n\n"
        "- le GSEF,\n- le forum mondial,\n- le plan européen\n\nAu niveau local :"
    )
    first = 0, text.index("cohérente.") + len("cohérente.")
    start, end = with_its_list(text, *first)
    assert start == 0 and text[start:end].endswith("- le plan européen")
    local = text.index("Au niveau"), len(text)
    assert with_its_list(text, *local) == local  # no list follows it
    plain = "Une phrase. Une autre phrase qui ne présente rien.\n\n- un\n- deux"
    assert with_its_list(plain, 0, 11) == (0, 11)


def test_a_quote_holding_a_list_reads_as_a_markdown_list() -> None:
    quote = (
        "Plusieurs enjeux :\n- ☑ valoriser l'emploi,\n"
        "- ☑ promouvoir les\n  initiatives,\n■ coopérer"
    )
    assert as_markdown(quote) == (
        "Plusieurs enjeux :\n- valoriser l'emploi,\n- promouvoir les\ninitiatives,\n- coopérer"
    )
    assert as_markdown("Une phrase\ncoupée en deux lignes.") == "Une phrase coupée en deux lignes."


def test_a_line_the_draft_already_says_is_recognised() -> None:
    draft = Draft({}, lines=["- Autres apports : un accompagnement d'un an ; des locaux [1]"])
    assert draft.says("Un accompagnement d'un an. [2]")
    assert not draft.says("Une dotation de 20 000 €. [3]")
