"""Outline units: lists that the document spreads over several places, gathered in one unit.

A question asking for a list ("quels sont les axes ?", "quelles actions sur l'alimentation ?",
"quelles structures ont été interrogées ?") is answered by one unit instead of five partial
ones: the roadmap's plan, the actions of each theme, the actors of some types. Items are
written as the document writes them, and ``members`` lists the units of the items so that an
answer can cite each one at its own passage.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from assistant.ingest.catalog import RecordCatalog
from assistant.ingest.units import axis_title, record_unit
from assistant.text import fold
from assistant.types import Chunk, MetadataValue


def outline_units(catalog: RecordCatalog) -> list[Chunk]:
    units: list[Chunk] = []
    if catalog.axes:
        units.append(_plan(catalog))
    units += _themes(catalog)
    units += _actor_groups(catalog)
    return units


def slug(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in fold(text)).split())


def _plan(catalog: RecordCatalog) -> Chunk:
    strategic = [a for a in catalog.axes.values() if a.is_strategic]
    operational = [a for a in catalog.axes.values() if not a.is_strategic]
    plan = catalog.plan
    summary = plan.summary.format(
        strategic=len(strategic), operational=len(operational), actions=len(catalog.actions)
    )
    lines = [f"Plan {plan.of} : {summary}."]
    for axis in strategic:
        lines.append(f"- {axis_title(catalog, axis.id)}")
        lines += [
            f"  - {axis_title(catalog, o.id)}"
            for o in operational
            if o.id.split(".", 1)[0] == axis.id
        ]
    members = [f"axe:{axis.id}" for axis in catalog.axes.values()]
    return record_unit(
        "axe",
        "plan",
        "\n".join(lines),
        catalog,
        _group("plan", members),
        span_of=f"axe:{strategic[0].id}",
    )


def _themes(catalog: RecordCatalog) -> list[Chunk]:
    by_theme: dict[str, list[str]] = defaultdict(list)
    for action in catalog.actions.values():
        for action_theme in action.themes:
            by_theme[str(action_theme)].append(action.id)
    units = []
    for theme, ids in sorted(by_theme.items()):
        lines = [f"Actions {catalog.plan.of} sur le thème « {theme} » ({len(ids)}) :"]
        lines += [f"- {i} : {catalog.actions[i].text}" for i in ids]
        metadata = _group("theme", [f"action:{i}" for i in ids]) | {"theme": [theme]}
        units.append(
            record_unit(
                "action",
                f"theme-{slug(theme)}",
                "\n".join(lines),
                catalog,
                metadata,
                span_of=f"action:{ids[0]}",
            )
        )
    return units


def _actor_groups(catalog: RecordCatalog) -> list[Chunk]:
    by_type: dict[str, list[str]] = defaultdict(list)
    for actor in catalog.acteurs.values():
        by_type[str(actor.type)].append(actor.id)
    units = []
    for actor_type, ids in by_type.items():
        # Only groups a question may ask for as such (the vocabulary gives them an outline title);
        # long, generic units match every question a little and crowd the specific ones out.
        title = catalog.vocabulary.outline("actor_types", actor_type)
        if title is None or len(ids) < 2:
            continue
        lines = [f"{title} ({len(ids)}) :"]
        lines += [f"- {_quote_line(catalog.acteurs[i].source.quote)}" for i in ids]
        metadata = _group("actor_type", [f"acteur:{i}" for i in ids]) | {"actor_type": actor_type}
        units.append(
            record_unit(
                "acteur",
                f"type-{slug(actor_type)}",
                "\n".join(lines),
                catalog,
                metadata,
                span_of=f"acteur:{ids[0]}",
            )
        )
    return units


def _group(kind: str, members: Iterable[str]) -> dict[str, MetadataValue]:
    return {"group": kind, "members": list(members)}


def _quote_line(quote: str) -> str:
    return " ".join(quote.split())
