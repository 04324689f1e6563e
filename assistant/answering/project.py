"""A project holder describing a project in the home territory ("je monte une recyclerie à …,
il me faut 10 000 €"): first the local support bodies and the roadmap actions that serve the
project, then other territories' schemes as examples, each marked as reserved to its territory.
A benchmark scheme is never ranked above a local option."""

from __future__ import annotations

from assistant.answering.context import Context
from assistant.answering.evidence import is_scheme
from assistant.types import Chunk

ACTIONS = 3  # roadmap actions shown
EXAMPLES = 3  # other territories' schemes shown
MIN_ACTION_RATIO = 0.8  # an action is shown when it scores this share of the best action


def answer(context: Context) -> None:
    analysis, draft, evidence = context.analysis, context.draft, context.evidence
    lexicon, language = evidence.lexicon, analysis.language
    home = context.home or ""
    bodies = evidence.support_bodies(home)
    if bodies:
        draft.lines.append(lexicon.line(language, "local_first", home=home))
        draft.lines += [f"- {_body_line(context, body)}" for body in bodies]
    actions = context.retriever.search(
        analysis.question, top_k=ACTIONS, filters={**(context.filters or {}), "kind": "action"}
    ).hits
    actions = [h for h in actions if not h.chunk.metadata.get("group")]
    if actions:
        floor = MIN_ACTION_RATIO * actions[0].score
        draft.lines.append(lexicon.line(language, "local_actions"))
        draft.lines += [
            f"- {evidence.item_line(draft, h.chunk)}" for h in actions if h.score >= floor
        ]
    schemes = context.retriever.search(
        analysis.question,
        top_k=EXAMPLES,
        filters={**(context.filters or {}), "kind": "dispositif"},
    ).hits
    examples = [h.chunk for h in schemes if is_scheme(h.chunk)]
    if examples:
        draft.lines.append(lexicon.line(language, "elsewhere"))
        for unit in examples:
            line = evidence.card(draft, unit, full=False, english=analysis.english)[0]
            territory = str(unit.metadata.get("territory", ""))
            if territory and territory != home:
                line += f" — *{lexicon.line(language, 'reserved', territory=territory)}*"
            draft.lines.append(f"- {line}")
    cited = {c.unit_id for c in draft.citations}
    context.set_aside += [s for s in context.sentences if s.unit.id not in cited]
    context.abstained = not (bodies or actions or examples)
    draft.renumber()


def _body_line(context: Context, body: Chunk) -> str:
    """A support body's name, cited where the document names it, with the contact or site the
    document gives next to it."""
    draft, evidence = context.draft, context.evidence
    number = draft.cite(body)
    name = str(body.metadata.get("name"))
    quote = draft.citations[number - 1].text
    after = quote[max(quote.find(name.split(" (")[0]), 0) :]
    contact = evidence.lexicon.facts["contact"].search(after)
    reach = f" — {contact.group(0)}" if contact and contact.group(0) not in name else ""
    return f"**{name}**{reach} [{number}]"
