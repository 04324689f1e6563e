"""Chunks keep their context, their lists, and exact offsets into the document."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.errors import ConfigurationError
from assistant.ingest.chunking import Chunker
from assistant.ingest.documents import load_document
from assistant.types import Document
from tests.conftest import ROADMAP


@pytest.fixture(scope="module")
def roadmap() -> Document:
    return load_document(ROADMAP)


def test_chunks_are_exact_spans_of_the_document_within_the_size(roadmap: Document) -> None:
    chunks = Chunker(chunk_size=1200, chunk_overlap=150).chunk(roadmap)
    assert 40 <= len(chunks) <= 150
    for chunk in chunks:
        assert roadmap.text[chunk.source.start : chunk.source.end] == chunk.text
        assert len(chunk.text) <= 1200
        assert chunk.context.startswith(roadmap.title)
    assert len({chunk.id for chunk in chunks}) == len(chunks)


def test_chunks_carry_their_section_path(roadmap: Document) -> None:
    chunks = Chunker().chunk(roadmap)
    chunk = next(c for c in chunks if "Récompenser les projets en émergence" in c.text)
    assert chunk.source.section.startswith("Axe stratégique B – ")
    assert " > Axe opérationnel B.2 : L'innovation sociale" in chunk.source.section
    assert chunk.metadata["axis"] == ["B", "B.2"]
    assert chunk.metadata["territory"] == "Niort Agglo"
    lyon = next(c for c in chunks if "montant maximum de 10 000 €" in c.text)
    assert "Fondation de soutien à l'innovation sociale (Métropole de Lyon)" in lyon.context


def test_a_list_stays_with_the_sentence_that_introduces_it(roadmap: Document) -> None:
    chunks = Chunker().chunk(roadmap)
    intro = next(c for c in chunks if "Les projets retenus devront concourir à :" in c.text)
    assert "- faire changer durablement les comportements" in intro.text
    assert "- favoriser la participation citoyenne." in intro.text


def test_pieces_of_a_long_list_carry_its_introduction_in_their_context(roadmap: Document) -> None:
    chunks = Chunker(chunk_size=300, chunk_overlap=0).chunk(roadmap)
    pieces = [c for c in chunks if c.context.endswith("Les projets retenus devront concourir à :")]
    assert pieces, "a long list's later pieces should name its introduction"
    assert all(c.text.lstrip().startswith("-") for c in pieces)


def test_chunk_ids_are_stable_and_change_with_content(roadmap: Document) -> None:
    first = Chunker().chunk(roadmap)
    again = Chunker().chunk(roadmap)
    assert [c.id for c in first] == [c.id for c in again]
    edited = Document(roadmap.name, roadmap.title, roadmap.text.replace("29 000", "30 000"), "md")
    changed = {c.id for c in Chunker().chunk(edited)} ^ {c.id for c in first}
    assert len(changed) == 2  # the one chunk that holds the figure, old and new


@pytest.mark.parametrize(("size", "overlap"), [(10, 0), (500, 500), (500, -1)])
def test_bad_sizes_are_refused(size: int, overlap: int) -> None:
    with pytest.raises(ConfigurationError):
        Chunker(chunk_size=size, chunk_overlap=overlap)


words = st.text(alphabet="abcdéèà ,.;:'", min_size=1, max_size=120)
paragraph = st.one_of(
    words,
    st.lists(words.map(lambda w: "- " + w.strip(" ") + "x"), min_size=1, max_size=6).map("\n".join),
    words.map(lambda w: w.strip() + "x :"),
)
block = st.one_of(paragraph, st.sampled_from(["# Titre", "## Section", "### Sous-section"]))


@settings(max_examples=150, deadline=None)
@given(
    blocks=st.lists(block, min_size=1, max_size=25),
    size=st.integers(min_value=60, max_value=600),
    overlap_ratio=st.floats(min_value=0, max_value=0.5),
)
def test_chunker_invariants(blocks: list[str], size: int, overlap_ratio: float) -> None:
    text = "\n\n".join(blocks) + "\n"
    document = Document("doc.md", "Doc", text, "md")
    chunks = Chunker(chunk_size=size, chunk_overlap=int(size * overlap_ratio)).chunk(document)
    covered = [False] * len(text)
    previous_start = -1
    for chunk in chunks:
        assert text[chunk.source.start : chunk.source.end] == chunk.text
        assert chunk.text.strip()
        assert len(chunk.text) <= size
        assert chunk.source.start > previous_start  # reading order
        previous_start = chunk.source.start
        for i in range(chunk.source.start, chunk.source.end):
            covered[i] = True
    heading_lines = {
        i for line_start, line in _lines(text) if line.startswith("#")
        for i in range(line_start, line_start + len(line))
    }  # fmt: skip
    missed = [
        i for i, ch in enumerate(text)
        if not ch.isspace() and not covered[i] and i not in heading_lines
    ]  # fmt: skip
    assert not missed, f"text not covered: {text[missed[0] : missed[0] + 20]!r}"


def _lines(text: str) -> list[tuple[int, str]]:
    out, start = [], 0
    for line in text.split("\n"):
        out.append((start, line))
        start += len(line) + 1
    return out
