"""The structured records are complete and faithful to the document."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from assistant.errors import CorpusError
from assistant.ingest.catalog import load_catalog
from assistant.ingest.documents import load_document
from assistant.profile import load_profile
from assistant.vocabulary import load_vocabulary
from tests.conftest import CORPUS, ROADMAP

VOCABULARY = load_vocabulary(CORPUS / "vocabulary.yaml")
PLAN = load_profile(CORPUS / "profile.yaml").plan


@pytest.fixture(scope="module")
def catalog():  # type: ignore[no-untyped-def]
    document = load_document(ROADMAP)
    return load_catalog(
        CORPUS / "records", {document.name: document}, vocabulary=VOCABULARY, plan=PLAN
    )


def _document_actions() -> dict[str, str]:
    """The bullets under each 'Axe opérationnel X.Y' heading, numbered X.Y.1, X.Y.2…"""
    actions: dict[str, str] = {}
    axis = None
    count = 0
    for line in ROADMAP.read_text(encoding="utf-8").split("\n"):
        heading = re.match(r"^#+ (?:Axe opérationnel ([A-C]\.[1-3]) :)?", line)
        if heading:
            axis, count = heading.group(1), 0
        elif axis and line.startswith("- "):
            count += 1
            actions[f"{axis}.{count}"] = line[2:].strip()
    return actions


def test_every_bullet_action_has_exactly_one_record(catalog) -> None:  # type: ignore[no-untyped-def]
    expected = _document_actions()
    assert len(expected) == 29
    assert {a: catalog.actions[a].text for a in catalog.actions} == expected
    texts = [action.text for action in catalog.actions.values()]
    assert len(texts) == len(set(texts))


def test_every_record_quotes_the_document_verbatim(catalog) -> None:  # type: ignore[no-untyped-def]
    text = ROADMAP.read_text(encoding="utf-8")
    assert catalog.counts() == {
        "axes": 12,
        "actions": 29,
        "dispositifs": len(yaml.safe_load((CORPUS / "records/dispositifs.yaml").read_text())),
        "acteurs": len(yaml.safe_load((CORPUS / "records/acteurs.yaml").read_text())),
    }
    for (_kind, _id), span in catalog.spans.items():
        assert 0 <= span.start < span.end <= len(text)
    for kind in ("axes", "actions", "dispositifs", "acteurs"):
        for record in getattr(catalog, kind).values():
            span = catalog.span(kind.rstrip("s").replace("axe", "axe"), record.id)
            assert text[span.start : span.end] == record.source.quote


def test_record_ids_are_unique_across_files() -> None:
    for path in (CORPUS / "records").glob("*.yaml"):
        ids = [row["id"] for row in yaml.safe_load(path.read_text(encoding="utf-8"))]
        assert len(ids) == len(set(ids)), path.name


def test_schemes_cover_every_benchmark_territory(catalog) -> None:  # type: ignore[no-untyped-def]
    territories = {scheme.territory for scheme in catalog.dispositifs.values()}
    for name in ("Lyon", "Nantes", "La Rochelle", "Grand Poitiers", "Grenoble", "Lille",
                 "Toulouse", "Rennes"):  # fmt: skip
        assert any(name in territory for territory in territories), name
    factory = next(s for s in catalog.dispositifs.values() if "Nantes Factory" in s.name)
    assert factory.contact and "essnantesfactory@nantesmetropole.fr" in factory.contact


def test_actions_are_placed_in_their_axis_section(catalog) -> None:  # type: ignore[no-untyped-def]
    span = catalog.span("action", "B.2.3")
    assert span.section.startswith("Axe stratégique B")
    assert span.section.endswith(catalog.axes["B.2"].title)


def test_an_axis_quoting_its_heading_is_filed_under_that_heading(catalog) -> None:  # type: ignore[no-untyped-def]
    for axis_id in ("A", "A.2", "C.3"):
        span = catalog.span("axe", axis_id)
        assert span.section.endswith(catalog.axes[axis_id].title), (axis_id, span.section)


def _write(tmp_path: Path, name: str, rows: object) -> Path:
    records = tmp_path / "records"
    records.mkdir(exist_ok=True)
    (records / name).write_text(yaml.safe_dump(rows, allow_unicode=True), encoding="utf-8")
    return records


def test_an_invalid_record_is_refused_naming_file_record_and_field(tmp_path: Path) -> None:
    document = load_document(ROADMAP)
    quote = "Identifier les structures ou personnes relais par public cible"
    row = {"id": "A.1.2", "text": "x", "themes": ["pas un thème"],
           "source": {"document": document.name, "quote": quote}}  # fmt: skip
    records = _write(tmp_path, "actions.yaml", [row])
    with pytest.raises(CorpusError) as error:
        load_catalog(records, {document.name: document}, vocabulary=VOCABULARY)
    assert "actions.yaml" in error.value.message
    assert "A.1.2" in error.value.message
    assert "field themes" in error.value.message
    assert "'pas un thème'" in error.value.message
    assert "vocabulary.yaml" in error.value.message
    assert "économie circulaire" in error.value.message  # the allowed values are listed


def test_without_a_vocabulary_any_value_is_accepted(tmp_path: Path) -> None:
    document = load_document(ROADMAP)
    quote = "Identifier les structures ou personnes relais par public cible"
    row = {"id": "A.1.2", "text": "x", "themes": ["pas un thème"],
           "source": {"document": document.name, "quote": quote}}  # fmt: skip
    catalog = load_catalog(_write(tmp_path, "actions.yaml", [row]), {document.name: document})
    assert catalog.actions["A.1.2"].themes == ["pas un thème"]


def test_an_action_id_must_follow_the_profile(tmp_path: Path) -> None:
    document = load_document(ROADMAP)
    quote = "Identifier les structures ou personnes relais par public cible"
    row = {"id": "action-2", "text": "x", "themes": ["formation"],
           "source": {"document": document.name, "quote": quote}}  # fmt: skip
    with pytest.raises(CorpusError, match=r"plan\.action_id"):
        load_catalog(_write(tmp_path, "actions.yaml", [row]), {document.name: document}, plan=PLAN)


def test_a_quote_not_in_the_document_is_refused(tmp_path: Path) -> None:
    document = load_document(ROADMAP)
    quote = "Une phrase que le document n'a pas."
    row = {"id": "A.1.2", "text": "x", "themes": ["formation"],
           "source": {"document": document.name, "quote": quote}}  # fmt: skip
    records = _write(tmp_path, "actions.yaml", [row])
    with pytest.raises(CorpusError, match="not found verbatim"):
        load_catalog(records, {document.name: document})


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    document = load_document(ROADMAP)
    quote = "Identifier les structures ou personnes relais par public cible"
    row = {"id": "A.1.2", "text": "x", "themes": ["formation"],
           "source": {"document": document.name, "quote": quote}}  # fmt: skip
    records = _write(tmp_path, "actions.yaml", [row, row])
    with pytest.raises(CorpusError, match="duplicate"):
        load_catalog(records, {document.name: document})


def test_drafting_the_roadmap_finds_the_curated_axes_and_actions() -> None:
    from assistant.ingest.drafting import draft_records

    document = load_document(ROADMAP)
    draft = draft_records(document, PLAN, VOCABULARY)
    curated = yaml.safe_load((CORPUS / "records" / "actions.yaml").read_text(encoding="utf-8"))
    assert [(a["id"], a["text"]) for a in draft.actions] == [(a["id"], a["text"]) for a in curated]
    axes = yaml.safe_load((CORPUS / "records" / "axes.yaml").read_text(encoding="utf-8"))
    assert [(a["id"], a["source"]["quote"]) for a in draft.axes] == [
        (a["id"], a["source"]["quote"]) for a in axes
    ]


@pytest.mark.parametrize("loader", [load_profile, load_vocabulary])
def test_a_profile_or_vocabulary_that_is_not_a_mapping_is_refused_naming_it(
    tmp_path: Path, loader: object
) -> None:
    path = tmp_path / "data.yaml"
    path.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"data\.yaml: must be a mapping"):
        loader(path)  # type: ignore[operator]
    assert loader(tmp_path / "absent.yaml") is not None  # type: ignore[operator]  # defaults


def test_an_actors_site_or_address_must_be_in_its_quote(tmp_path: Path) -> None:
    document = load_document(ROADMAP)
    quote = "ATIS, ADEFIP (jadopteunprojet.com) et la CRESS nouvelle Aquitaine"
    row = {"id": "adefip", "name": "ADEFIP", "type": "accompagnement", "role": "x",
           "territory": "T", "website": "jadopteunprojet.com",
           "source": {"document": document.name, "quote": quote}}  # fmt: skip
    catalog = load_catalog(_write(tmp_path, "acteurs.yaml", [row]), {document.name: document})
    assert catalog.acteurs["adefip"].website == "jadopteunprojet.com"
    for invented in ({"website": "atis.example.org"}, {"contact": "Écrire à atis@example.org"}):
        records = _write(tmp_path, "acteurs.yaml", [{**row, **invented}])
        with pytest.raises(CorpusError, match="is not in its quote") as error:
            load_catalog(records, {document.name: document})
        assert "example.org" in error.value.message and "adefip" in error.value.message
