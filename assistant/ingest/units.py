"""Building blocks shared by the record renderers: a record's unit, an axis's heading."""

from __future__ import annotations

from assistant.ingest.catalog import RecordCatalog
from assistant.types import Chunk, MetadataValue


def axis_title(catalog: RecordCatalog, axis_id: str) -> str:
    """The axis heading as the document writes it (``Axe opérationnel A.1 : formaliser…``)."""
    axis = catalog.axes.get(axis_id)
    if axis is not None:
        return axis.source.quote
    return catalog.plan.axis_label(axis_id)


def record_unit(
    kind: str,
    record_id: str,
    text: str,
    catalog: RecordCatalog,
    metadata: dict[str, MetadataValue],
    *,
    span_of: str | None = None,
) -> Chunk:
    """A unit for a record; its source is the record's quote (or that of ``span_of``, a
    ``kind:id`` of another record, for outlines that have no passage of their own)."""
    span_kind, _, span_id = (span_of or f"{kind}:{record_id}").partition(":")
    span = catalog.span(span_kind, span_id)
    base: dict[str, MetadataValue] = {"record_id": record_id, "document": span.document}
    base["section"] = span.section
    return Chunk(
        id=f"{kind}:{record_id}",
        kind=kind,  # type: ignore[arg-type]  # one of the record kinds by construction
        text=text,
        context="",
        source=span,
        metadata={**base, **metadata},
    )
