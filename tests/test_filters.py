"""Metadata filters: forgiving on accents and case, strict on unknown keys and kinds."""

from __future__ import annotations

import pytest

from assistant.errors import InvalidQueryError
from assistant.retrieval.filters import UnitFilter, parse_filter_pairs
from assistant.types import Chunk, SourceSpan


def _unit(kind: str = "action", **metadata: object) -> Chunk:
    return Chunk(
        id=f"{kind}:x",
        kind=kind,  # type: ignore[arg-type]
        text="t",
        context="c",
        source=SourceSpan("doc.md", "Benchmark > Fiche Lyon", 0, 1),
        metadata={"section": "Benchmark > Fiche Lyon", **metadata},  # type: ignore[dict-item]
    )


def test_values_match_without_accents_or_case_and_lists_match_any_item() -> None:
    unit = _unit(theme=["économie circulaire", "insertion"], territory="Métropole de Lyon")
    assert UnitFilter({"theme": "ECONOMIE CIRCULAIRE"}).matches(unit)
    assert UnitFilter({"territory": "lyon"}).matches(unit)  # part of the name is enough
    assert UnitFilter({"section": "fiche lyon"}).matches(unit)
    assert not UnitFilter({"theme": "tourisme"}).matches(unit)
    assert not UnitFilter({"theme": "circulaire"}).matches(unit)  # themes match whole values


def test_keys_combine_with_and_values_of_one_key_with_or() -> None:
    unit = _unit(theme=["tourisme"], axis=["A", "A.1"])
    assert UnitFilter({"kind": ["passage", "action"], "axis": "A.1"}).matches(unit)
    assert not UnitFilter({"kind": "action", "axis": "B"}).matches(unit)
    assert not UnitFilter({"stage": "émergence"}).matches(unit)  # missing metadata never matches


def test_allowed_positions() -> None:
    units = [_unit("action"), _unit("passage"), _unit("action")]
    assert UnitFilter({"kind": "action"}).allowed(units) == [0, 2]
    assert UnitFilter().allowed(units) is None


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"colour": "red"}, "unknown filter 'colour'"),
        ({"kind": "projet"}, "unknown kind 'projet'"),
        ({"theme": "  "}, "filter 'theme' needs a value"),
    ],
)
def test_bad_filters_are_named(filters: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidQueryError, match=message):
        UnitFilter(filters)


def test_filter_pairs_from_the_command_line() -> None:
    assert parse_filter_pairs(["theme=insertion", "theme=tourisme", "kind = action"]) == {
        "theme": ["insertion", "tourisme"],
        "kind": ["action"],
    }
    with pytest.raises(InvalidQueryError, match="key=value"):
        parse_filter_pairs(["insertion"])
