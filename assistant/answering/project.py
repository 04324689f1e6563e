"""A project holder describing a project in the home territory ("je monte une recyclerie à …,
il me faut 10 000 €"): first the local support bodies and the roadmap actions that serve the
project, then other territories' schemes as examples, each marked as reserved to its territory.
A benchmark scheme is never ranked above a local option."""

from __future__ import annotations

from assistant.answering.context import Context
from assistant.answering.evidence import distinct, is_scheme, themes_of
from assistant.text import fold
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
    found = context.retriever.search(
        analysis.question, top_k=SEARCHED, filters={**(context.filters or {}), "kind": "action"}
    ).hits
    scores = {h.chunk.id: h.score for h in found if not h.chunk.metadata.get("group")}
    named, needed = _themes(context)

    def weight(unit: Chunk) -> int:  # what the project does counts before what it needs
        themes = themes_of(unit)
        return 2 * len(named & themes) + len(needed & themes)

    candidates = {u.id: u for theme in named for u in evidence.actions_by_theme.get(theme, [])}
    candidates.update({h.chunk.id: h.chunk for h in found if h.chunk.id in scores})
    ranked = sorted(
        candidates.values(), key=lambda u: (weight(u), scores.get(u.id, 0.0)), reverse=True
    )[:ACTIONS]
    floor = MIN_ACTION_RATIO * max(scores.values(), default=0.0)
    actions = [u for u in ranked if weight(u) or scores.get(u.id, 0.0) >= floor]
    if actions:
        draft.lines.append(lexicon.line(language, "local_actions"))
        draft.lines += [f"- {evidence.item_line(draft, unit)}" for unit in actions]
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


def _themes(context: Context) -> tuple[set[str], set[str]]:
    """The themes of the roadmap's actions that the project is about — named in its words or
    through the glossary ("recyclerie" → "économie circulaire") — and those of the needs it
    states ("financement", "accompagnement")."""
    evidence, analysis = context.evidence, context.analysis
    known = evidence.action_themes
    forms = [fold(analysis.question)] + [
        fold(form)
        for entry in evidence.glossary.find(analysis.question)
        for form in (entry.term, entry.expansion, *entry.synonyms)
    ]
    named = {theme for theme in known if any(theme in form for form in forms)}
    needs = {fold(need) for need in (analysis.project.needs if analysis.project else ())}
    return named, (needs & known) - named
