"""A question asking for a list: every item of the matching outline (plan, axis, theme,
interviewed structures…), actions with their ids; a second outline when the question names two
themes or two score alike. Records close to the best hit that neither lists are related
passages, not part of the answer."""

from __future__ import annotations

from assistant.answering.context import Context
from assistant.answering.evidence import members
from assistant.types import Chunk, Hit

MAX_ITEMS = 12
OUTLINE_RANK = 2  # a list question is answered by an outline ranked this high
OUTLINE_RATIO = 0.9  # …and scored at least this share of the best score


def outline(hits: list[Hit]) -> Hit | None:
    """An outline ranked among the first and scored close to the best, if any."""
    floor = OUTLINE_RATIO * hits[0].score if hits else 0.0
    return next(
        (h for h in hits[:OUTLINE_RANK] if h.chunk.metadata.get("group") and h.score >= floor),
        None,
    )


def answer(context: Context) -> None:
    draft, evidence, hits = context.draft, context.evidence, context.hits
    best = outline(hits)
    if best is None:  # pragma: no cover - checked by the router
        return
    named = context.retriever.themes_named(context.result.query)
    heading = best.chunk.text.split("\n", 1)[0]
    draft.lines.append("The roadmap lists:" if context.analysis.english else heading)
    items = _members(context, best.chunk)
    draft.lines += [f"- {evidence.item_line(draft, m)}" for m in items[:MAX_ITEMS]]
    listed = {m.id for m in items} | {best.chunk.id}
    floor = OUTLINE_RATIO * hits[0].score
    second = next(
        (
            h.chunk
            for h in hits[: OUTLINE_RANK + 1]
            if h.chunk.metadata.get("group")
            and h.chunk.kind == best.chunk.kind
            and h.chunk.id not in listed
            and (h.score >= floor or h.chunk.id in named)
        ),
        None,
    )
    if second is not None:
        more = [m for m in _members(context, second) if m.id not in listed]
        if more:
            draft.lines.append(second.text.split("\n", 1)[0])
            draft.lines += [f"- {evidence.item_line(draft, m)}" for m in more]
            listed |= {m.id for m in more} | {second.id}
    context.set_aside += [
        s for s in context.sentences if s.unit.id not in listed and not s.unit.metadata.get("group")
    ]
    draft.renumber()


def _members(context: Context, unit: Chunk) -> list[Chunk]:
    """The units an outline lists (the plan lists the strategic axes only)."""
    by_id = context.evidence.by_id
    found = [by_id[m] for m in members(unit) if m in by_id]
    if unit.id == "axe:plan":
        found = [m for m in found if "." not in str(m.metadata.get("record_id"))]
    return found[:MAX_ITEMS]
