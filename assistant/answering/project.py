"""A project holder describing a project in the home territory ("je monte une recyclerie à …,
il me faut 10 000 €"): first the local support bodies and the roadmap actions that serve the
project, then other territories' schemes as examples, each marked as reserved to its territory.
A benchmark scheme is never ranked above a local option."""

from __future__ import annotations

from assistant.answering.context import Context
from assistant.answering.evidence import distinct, is_scheme
from assistant.types import Chunk

ACTIONS = 3  # roadmap actions shown
EXAMPLES = 3  # other territories' schemes shown
SEARCHED = 30  # units searched for the actions and the schemes (outlines are set aside)
MIN_ACTION_RATIO = 0.8  # an action is shown when it scores this share of the best action


def answer(context: Context) -> None:
    analysis, draft, evidence = context.analysis, context.draft, context.evidence
    lexicon, language = evidence.lexicon, analysis.language
    home = context.home or ""
    bodies = evidence.support_bodies(home)
    if bodies:
        draft.lines.append(lexicon.line(language, "local_first", home=home))
        # The bodies are named where the document names them, often in one sentence.
        draft.lines += distinct([f"- {_body_line(context, body)}" for body in bodies])
    actions = context.retriever.search(
        analysis.question, top_k=SEARCHED, filters={**(context.filters or {}), "kind": "action"}
    ).hits
    actions = [h for h in actions if not h.chunk.metadata.get("group")][:ACTIONS]
    if actions:
        floor = MIN_ACTION_RATIO * actions[0].score
        draft.lines.append(lexicon.line(language, "local_actions"))
        draft.lines += [
            f"- {evidence.item_line(draft, h.chunk)}" for h in actions if h.score >= floor
        ]
    schemes = context.retriever.search(
        analysis.question,
        top_k=SEARCHED,
        filters={**(context.filters or {}), "kind": "dispositif"},
    ).hits
    examples = [h.chunk for h in schemes if is_scheme(h.chunk)][:EXAMPLES]
    if examples:
        draft.lines.append(lexicon.line(language, "elsewhere"))
        for unit in examples:
            line = evidence.brief(draft, unit)
            territory = str(unit.metadata.get("territory", ""))
            if territory and territory != home:
                line += f" — *{lexicon.line(language, 'reserved', territory=territory)}*"
            draft.lines.append(f"- {line}")
    cited = {c.unit_id for c in draft.citations}
    context.set_aside += [s for s in context.sentences if s.unit.id not in cited]
    context.abstained = not (bodies or actions or examples)
    draft.renumber()


def _body_line(context: Context, body: Chunk) -> str:
    """The sentence of the document that names a support body (with the contact or site it
    gives there), cited."""
    draft = context.draft
    number = draft.cite(body)
    return f"{' '.join(draft.citations[number - 1].text.split())} [{number}]"
