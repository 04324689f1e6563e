"""The Markdown roadmap is the seed text, word for word, with headings added for its structure."""

from __future__ import annotations

import re

from tests.conftest import CORPUS, ROADMAP

ORIGINAL = CORPUS / "originals" / "000_f1679d2c89b33bad.txt"
HEADING = re.compile(r"^(#{1,6}) (.*)$")


def _lines(text: str) -> list[str]:
    return [line for line in text.split("\n") if line.strip()]


def test_markdown_keeps_every_original_line_in_order_and_only_adds_headings() -> None:
    original = _lines(ORIGINAL.read_text(encoding="utf-8"))
    markdown = _lines(ROADMAP.read_text(encoding="utf-8"))
    kept: list[str] = []
    added: list[str] = []
    cursor = 0
    for line in markdown:
        match = HEADING.match(line)
        bare = match.group(2) if match else line
        if cursor < len(original) and bare == original[cursor]:
            kept.append(bare)
            cursor += 1
        else:
            added.append(line)
    assert kept == original, "an original line is missing or changed"
    assert all(HEADING.match(line) for line in added), f"non-heading lines added: {added[:3]}"
    assert 5 <= len(added) <= 15  # a few editorial headings (sheet titles), not rewrites


def test_headings_follow_the_roadmap_structure() -> None:
    headings = [m.groups() for m in map(HEADING.match, ROADMAP.read_text("utf-8").split("\n")) if m]
    by_level: dict[int, list[str]] = {}
    for marks, title in headings:
        by_level.setdefault(len(marks), []).append(title)
    assert by_level[1] == [
        "FEUILLE DE ROUTE ECONOMIE SOCIALE ET SOLIDAIRE ET INNOVATION SOCIALE 2023-2026"
    ]
    strategic = [t[:17] for t in by_level[2] if t.startswith("Axe stratégique")]
    assert strategic == ["Axe stratégique A", "Axe stratégique B", "Axe stratégique C"]
    operational = [t.split(" :")[0] for t in by_level[3] if t.startswith("Axe opérationnel")]
    assert operational == [f"Axe opérationnel {a}.{n}" for a in "ABC" for n in (1, 2, 3)]
    assert any(t.startswith("Le diagnostic") for t in by_level[2])
    assert any(t.startswith("L'animation, la gouvernance") for t in by_level[2])
    assert "Benchmark" in by_level[2]
    sheets = [t for t in by_level[3] if t.startswith("Fiche benchmark")]
    for territory in (
        "Lyon", "Nantes Factory", "Prix de l'innovation sociale", "La Rochelle", "Grand Poitiers",
        "ARTIS", "Lille", "ESS de Nantes", "Toulouse", "Rennes",
    ):  # fmt: skip
        assert sum(territory in sheet for sheet in sheets) == 1, territory
