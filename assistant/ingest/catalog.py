"""Load and check the structured records of ``corpus/records/`` against the documents."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from assistant.datafile import load_yaml
from assistant.errors import CorpusError
from assistant.ingest.records import Acteur, Action, Axis, Dispositif, SourceRef
from assistant.ingest.sections import SectionLocator
from assistant.profile import PlanPatterns
from assistant.types import Document, SourceSpan
from assistant.vocabulary import Vocabulary

RecordT = TypeVar("RecordT", bound=BaseModel)

# A records file is named after its kind: ``actions.yaml``, ``dispositifs-2025.yaml``…
RECORD_KINDS: dict[str, type[BaseModel]] = {
    "axes": Axis,
    "actions": Action,
    "dispositifs": Dispositif,
    "acteurs": Acteur,
}
UNIT_KIND = {"axes": "axe", "actions": "action", "dispositifs": "dispositif", "acteurs": "acteur"}
# Which record fields take their values from which vocabulary list.
VOCABULARY_FIELDS: dict[str, dict[str, str]] = {
    "actions": {"themes": "themes"},
    "dispositifs": {
        "types": "scheme_types",
        "stages": "stages",
        "needs": "needs",
        "themes": "themes",
    },
    "acteurs": {"type": "actor_types", "themes": "themes"},
}
RECORD_SUFFIXES = {".yaml", ".yml", ".json"}
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


@dataclass
class RecordCatalog:
    """All records by kind and id, with the resolved source span of each."""

    axes: dict[str, Axis] = field(default_factory=dict)
    actions: dict[str, Action] = field(default_factory=dict)
    dispositifs: dict[str, Dispositif] = field(default_factory=dict)
    acteurs: dict[str, Acteur] = field(default_factory=dict)
    spans: dict[tuple[str, str], SourceSpan] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    plan: PlanPatterns = field(default_factory=PlanPatterns)  # how the plan names its axes
    vocabulary: Vocabulary = field(default_factory=Vocabulary)  # what records' values mean

    def __len__(self) -> int:
        return len(self.axes) + len(self.actions) + len(self.dispositifs) + len(self.acteurs)

    def counts(self) -> dict[str, int]:
        return {
            "axes": len(self.axes),
            "actions": len(self.actions),
            "dispositifs": len(self.dispositifs),
            "acteurs": len(self.acteurs),
        }

    def span(self, unit_kind: str, record_id: str) -> SourceSpan:
        """The passage a record comes from; ``unit_kind`` is ``action``, ``dispositif``…"""
        return self.spans[(unit_kind, record_id)]


def load_catalog(
    records_dir: Path,
    documents: Mapping[str, Document],
    *,
    vocabulary: Vocabulary | None = None,
    plan: PlanPatterns | None = None,
) -> RecordCatalog:
    """Read every records file; raise ``CorpusError`` naming the file, record and field at fault.

    Values are checked against ``vocabulary`` and action ids against the plan's ``action_id``.
    """
    vocabulary = vocabulary or Vocabulary()
    catalog = RecordCatalog(plan=plan or PlanPatterns(), vocabulary=vocabulary)
    action_id = re.compile(catalog.plan.action_id)
    if not records_dir.is_dir():
        return catalog
    locators: dict[str, SectionLocator] = {}
    for path in sorted(records_dir.iterdir()):
        if path.suffix.lower() not in RECORD_SUFFIXES or path.name.startswith("."):
            continue
        kind = path.stem.split("-", 1)[0]
        model = RECORD_KINDS.get(kind)
        if model is None:
            raise CorpusError(
                f"{path}: unknown records file; its name must start with one of "
                f"{', '.join(RECORD_KINDS)}",
                hint="rename the file, e.g. dispositifs-extra.yaml",
            )
        target: dict[str, BaseModel] = getattr(catalog, kind)
        for record in _read_records(path, model):
            record_id = str(getattr(record, "id"))  # noqa: B009 - every record model has an id
            if record_id in target:
                raise CorpusError(f"{path}: duplicate {kind} id {record_id!r}")
            _check_values(path, kind, record_id, record, vocabulary)
            if kind == "actions" and not action_id.match(record_id):
                raise CorpusError(
                    f"{path}: record {record_id}: id does not match the profile's plan.action_id "
                    f"{action_id.pattern!r}",
                    hint="fix the id, or the pattern in profile.yaml",
                )
            source: SourceRef = getattr(record, "source")  # noqa: B009
            catalog.spans[(UNIT_KIND[kind], record_id)] = _locate(
                path, record_id, source, documents, locators
            )
            if isinstance(record, Acteur):
                _check_reach(path, record)
            target[record_id] = record
        catalog.files.append(path.name)
    _check_links(catalog)
    return catalog


def _check_values(
    path: Path, kind: str, record_id: str, record: BaseModel, vocabulary: Vocabulary
) -> None:
    for field_name, list_name in VOCABULARY_FIELDS.get(kind, {}).items():
        value = getattr(record, field_name)
        values = [value] if isinstance(value, str) else list(value)
        unknown = vocabulary.unknown(list_name, values)
        if unknown:
            raise CorpusError(
                f"{path}: record {record_id}: field {field_name}: "
                f"{', '.join(map(repr, unknown))} is not in {list_name} of "
                f"{vocabulary.source or 'the vocabulary'}; allowed: "
                f"{', '.join(vocabulary.values(list_name))}",
                hint=f"use an allowed value, or add it to {list_name} in the vocabulary file",
            )


def used_values(catalog: RecordCatalog) -> dict[str, set[str]]:
    """The vocabulary values the records use, by list (for a corpus with no vocabulary file)."""
    used: dict[str, set[str]] = {}
    for kind, fields in VOCABULARY_FIELDS.items():
        records: dict[str, BaseModel] = getattr(catalog, kind)
        for record in records.values():
            for field_name, list_name in fields.items():
                value = getattr(record, field_name)
                used.setdefault(list_name, set()).update(
                    [value] if isinstance(value, str) else value
                )
    return used


def _read_records(path: Path, model: type[RecordT]) -> list[RecordT]:
    try:
        text = path.read_text(encoding="utf-8")
        rows = json.loads(text) if path.suffix.lower() == ".json" else load_yaml(text)
    except (OSError, UnicodeDecodeError, yaml.YAMLError, json.JSONDecodeError) as exc:
        raise CorpusError(f"{path}: cannot be read: {exc}") from exc
    if not isinstance(rows, list):
        raise CorpusError(f"{path}: must hold a list of records, got {type(rows).__name__}")
    records: list[RecordT] = []
    for position, row in enumerate(rows, 1):
        try:
            records.append(model.model_validate(row))
        except ValidationError as exc:
            label = row.get("id", f"#{position}") if isinstance(row, dict) else f"#{position}"
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
            )
            raise CorpusError(f"{path}: record {label}: {problems}") from exc
    return records


def _locate(
    path: Path,
    record_id: str,
    source: SourceRef,
    documents: Mapping[str, Document],
    locators: dict[str, SectionLocator],
) -> SourceSpan:
    document = documents.get(source.document)
    if document is None:
        raise CorpusError(
            f"{path}: record {record_id}: source document {source.document!r} is not in the corpus"
        )
    start = document.text.find(source.quote)
    if start < 0:
        raise CorpusError(
            f"{path}: record {record_id}: its quote is not found verbatim in {source.document}: "
            f"{source.quote[:60]!r}…",
            hint="copy the passage exactly from the document",
        )
    locator = locators.setdefault(document.name, SectionLocator(document.text))
    return SourceSpan(document.name, locator.section_at(start), start, start + len(source.quote))


def _check_reach(path: Path, actor: Acteur) -> None:
    """An actor's site and the addresses in its contact are the document's: each is in its quote,
    so that no one is sent to a site or an address the document does not give."""
    given = [actor.website] if actor.website else []
    given += _EMAIL.findall(actor.contact or "")
    for value in given:
        if value.lower() not in actor.source.quote.lower():
            raise CorpusError(
                f"{path}: record {actor.id}: {value!r} is not in its quote",
                hint="quote the passage that gives this site or address, or leave the field empty",
            )


def _check_links(catalog: RecordCatalog) -> None:
    for action in catalog.actions.values():
        if catalog.axes and action.operational_axis not in catalog.axes:
            raise CorpusError(
                f"action {action.id}: its operational axis {action.operational_axis} is not in "
                "the axes records"
            )
