"""Render records as readable French text: each record becomes its own retrievable unit.

The text is what the user reads and what gets embedded; the record's fields are kept as metadata
for filtering. An operational axis lists all its actions, so a question asking for a list of
actions can be answered by one unit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from assistant.ingest.catalog import RecordCatalog
from assistant.ingest.outlines import outline_units
from assistant.ingest.records import Acteur, Action, Amounts, Axis, Dispositif
from assistant.ingest.units import axis_title, record_unit
from assistant.types import Chunk, Document, MetadataValue


def record_units(catalog: RecordCatalog, documents: Mapping[str, Document]) -> list[Chunk]:
    """One unit per record, in a stable order (axes, actions, schemes, actors).

    A unit's context names the document and the section its record comes from; a record with no
    territory of its own (an action of the roadmap) takes its document's.
    """
    units = [_axis_unit(axis, catalog) for axis in catalog.axes.values()]
    units += [_action_unit(action, catalog) for action in catalog.actions.values()]
    units += [_dispositif_unit(scheme, catalog) for scheme in catalog.dispositifs.values()]
    units += [_acteur_unit(actor, catalog) for actor in catalog.acteurs.values()]
    units += outline_units(catalog)
    return [_situate(unit, documents[unit.source.document]) for unit in units]


def _situate(unit: Chunk, document: Document) -> Chunk:
    section = unit.source.section
    context = f"{document.title} > {section}" if section else document.title
    metadata = dict(unit.metadata)
    if document.territory and not metadata.get("territory"):
        metadata["territory"] = document.territory
    return replace(unit, context=context, metadata=metadata)


def format_euros(amount: int) -> str:
    """``10000`` → ``10 000 €`` (French grouping, as the document writes amounts)."""
    return f"{amount:,}".replace(",", " ") + " €"


def _axis_unit(axis: Axis, catalog: RecordCatalog) -> Chunk:
    lines: list[str]
    if axis.is_strategic:
        children = [a for a in catalog.axes.values() if a.id.startswith(axis.id + ".")]
        lines = [f"{axis_title(catalog, axis.id)}.", "Axes opérationnels :"]
        lines += [f"- {axis_title(catalog, child.id)}" for child in children]
        axis_ids = [axis.id]
        members = [f"axe:{child.id}" for child in children]
    else:
        actions = [a for a in catalog.actions.values() if a.operational_axis == axis.id]
        lines = [
            f"{axis_title(catalog, axis.id)}.",
            f"Dans l'{axis_title(catalog, axis.id.split('.')[0])}.",
            "Actions :",
        ]
        lines += [f"- {action.id} : {action.text}" for action in actions]
        axis_ids = [axis.id.split(".")[0], axis.id]
        members = [f"action:{action.id}" for action in actions]
    themes = sorted(
        {
            str(t)
            for a in catalog.actions.values()
            if a.id.startswith(axis.id + ".")
            for t in a.themes
        }
    )
    return record_unit(
        "axe",
        axis.id,
        "\n".join(lines),
        catalog,
        {"axis": axis_ids, "theme": themes, "group": "axis", "members": members},
    )


def _action_unit(action: Action, catalog: RecordCatalog) -> Chunk:
    text = "\n".join(
        [
            f"Action {action.id} {catalog.plan.of} : {action.text}",
            f"{axis_title(catalog, action.operational_axis)}.",
            f"{axis_title(catalog, action.strategic_axis)}.",
            f"Thèmes : {', '.join(action.themes)}.",
        ]
    )
    metadata: dict[str, MetadataValue] = {
        "axis": [action.strategic_axis, action.operational_axis],
        "theme": [str(theme) for theme in action.themes],
    }
    return record_unit("action", action.id, text, catalog, metadata)


def amounts_summary(amounts: Amounts) -> str:
    """The amounts in figures, in words: "plafond 10 000 € par projet, …" ("" when none)."""
    parts: list[str] = []
    if amounts.ceiling_eur is not None:
        parts.append(f"plafond {format_euros(amounts.ceiling_eur)} par projet")
    if amounts.average_eur is not None:
        parts.append(f"en moyenne {format_euros(amounts.average_eur)} par projet")
    if amounts.cofunding_rate_max is not None:
        parts.append(f"jusqu'à {round(amounts.cofunding_rate_max * 100)} % des dépenses")
    if amounts.yearly_envelope_eur is not None:
        parts.append(f"enveloppe annuelle {format_euros(amounts.yearly_envelope_eur)}")
    if amounts.total_envelope_eur is not None:
        parts.append(f"enveloppe totale {format_euros(amounts.total_envelope_eur)}")
    return ", ".join(parts)


def _amount_lines(amounts: Amounts) -> list[str]:
    summary = amounts_summary(amounts)
    lines = [f"Montants : {summary}."] if summary else []
    lines += [f"Montant : {note}" for note in amounts.notes]
    return lines


def _dispositif_unit(scheme: Dispositif, catalog: RecordCatalog) -> Chunk:
    lines = [
        f"Dispositif de soutien : {scheme.name} ({scheme.territory}).",
        scheme.summary,
        f"Type : {', '.join(scheme.types)}.",
        f"Porté par : {', '.join(scheme.operators)}.",
    ]
    if scheme.partners:
        lines.append(f"Partenaires : {', '.join(scheme.partners)}.")
    if scheme.stages:
        lines.append(f"Stade du projet : {', '.join(scheme.stages)}.")
    lines.append(f"Besoins couverts : {', '.join(scheme.needs)}.")
    lines += _amount_lines(scheme.amounts)
    if scheme.offers:
        lines.append("Autres apports :")
        lines += [f"- {offer}" for offer in scheme.offers]
    if scheme.eligibility:
        lines.append("Conditions d'éligibilité :")
        lines += [f"- {criterion}" for criterion in scheme.eligibility]
    if scheme.priority_sectors:
        lines.append(f"Secteurs prioritaires : {', '.join(scheme.priority_sectors)}.")
    if scheme.calendar:
        lines.append(f"Calendrier : {scheme.calendar}")
    if scheme.contact:
        lines.append(f"Contact : {scheme.contact}")
    if scheme.website:
        lines.append(f"Site web : {scheme.website}")
    metadata: dict[str, MetadataValue] = {
        "territory": scheme.territory,
        "scheme_type": [str(t) for t in scheme.types],
        "stage": [str(stage) for stage in scheme.stages],
        "need": [str(need) for need in scheme.needs],
        "theme": [str(theme) for theme in scheme.themes],
        "name": scheme.name,
    }
    if scheme.amounts.ceiling_eur is not None:
        metadata["ceiling_eur"] = scheme.amounts.ceiling_eur
    return record_unit("dispositif", scheme.id, "\n".join(lines), catalog, metadata)


def _acteur_unit(actor: Acteur, catalog: RecordCatalog) -> Chunk:
    status = f", {actor.legal_status}" if actor.legal_status else ""
    lines = [f"Acteur : {actor.name} ({actor.type}{status}, {actor.territory}).", actor.role]
    metadata: dict[str, MetadataValue] = {
        "territory": actor.territory,
        "actor_type": actor.type,
        "theme": [str(theme) for theme in actor.themes],
        "name": actor.name,
    }
    return record_unit("acteur", actor.id, "\n".join(lines), catalog, metadata)
