"""A comparison of territories ("Nantes ou Rennes ?"): one part per territory named, each
searched on its own, with the sentence holding the fact asked, the scheme the question names
there (or, for a question about support, the territory's best one) in one line, and the
sentences that answer. A territory for
which the documents do not give the fact gets a plain line saying so."""

from __future__ import annotations

from dataclasses import replace

from assistant.answering.context import Context
from assistant.answering.evidence import as_item, distinct, is_scheme
from assistant.types import Chunk

PER_PLACE = 3  # units searched per territory
LINES = 2  # sentences per territory besides the fact asked


def answer(context: Context) -> None:
    analysis, draft, evidence = context.analysis, context.draft, context.evidence
    answered = 0
    for place in analysis.territories:
        scoped = {**(context.filters or {}), "territory": place}
        result = context.retriever.search(analysis.question, top_k=PER_PLACE + 1, filters=scoped)
        # Each territory is asked about alone: its sentences are checked against it.
        alone = replace(analysis, territories=(place,))
        sentences = evidence.sentences(result, alone)
        leads = [
            line
            for part in analysis.parts
            for line in evidence.lead_lines(
                draft, evidence.fact_leads(alone, part, sentences, named=False), alone
            )
        ]
        units = [hit.chunk for hit in result.hits[:PER_PLACE]]
        others = evidence.best_lines(draft, units, sentences, alone)
        others.sort(key=lambda line: line.score, reverse=True)
        kept = [line.text for line in others if evidence.answers(alone, line.text, line.unit)]
        if analysis.across:  # a territory is listed only for a sentence saying it does it
            leads = [line for line in leads if _does_it(context, line.text)]
            kept = [text for text in kept if _does_it(context, text)]
        heading = len(draft.lines)
        draft.lines.append(f"**{place}** :")
        scheme = _named_scheme(context, place)
        if (
            scheme is None
            and not analysis.across
            and (analysis.about_support or not (leads or kept))
        ):
            # A question about support gets the territory's closest scheme; a question about a
            # fact ("la taille des équipes") only the sentences that give it.
            scheme = next((h.chunk for h in result.hits[:PER_PLACE] if is_scheme(h.chunk)), None)
        if scheme is not None:
            card = evidence.card(draft, scheme, full=False, english=analysis.english)
            draft.lines += [f"- {line}" for line in card]
        limit = len(leads) + (1 if analysis.across else LINES)
        lines = distinct([line.text for line in leads] + kept, limit, leads=len(leads))
        draft.lines += [as_item(line) for line in lines]
        missing = [p for p in analysis.parts if p.fact is not None and not any(
            evidence.fact_leads(alone, p, sentences, named=False))]  # fmt: skip
        for part in missing:
            line = evidence.lexicon.not_given_line(
                analysis.language, part.need, part.text.strip(" ?")
            )
            draft.lines.append(f"- {line}")
        if analysis.across and not lines:
            draft.lines = draft.lines[:heading]  # a territory that does not do it is left out
            continue
        answered += bool(lines or scheme is not None)
        context.set_aside += [s for s in sentences if s.unit not in units]
    context.abstained = answered == 0
    draft.renumber()


def _named_scheme(context: Context, place: str) -> Chunk | None:
    """The scheme of ``place`` the question names, or whose name shares most words with it."""
    evidence, analysis = context.evidence, context.analysis
    for scheme_id in analysis.schemes:
        unit = evidence.by_id.get(f"dispositif:{scheme_id}")
        if unit is not None and unit.metadata.get("territory") == place:
            return unit
    best: tuple[int, str] | None = None
    places = {stem for name in analysis.territories for stem in evidence.analyzer(name)}
    asked = analysis.salience.terms - places  # a scheme's name often holds its territory's
    for scheme in evidence.schemes.values():
        if scheme.territory != place:
            continue
        shared = len(asked & set(evidence.analyzer(scheme.name)))
        if shared and (best is None or shared > best[0]):
            best = (shared, scheme.id)
    return evidence.by_id.get(f"dispositif:{best[1]}") if best else None


def _does_it(context: Context, text: str) -> bool:
    """Whether a sentence says a territory does what the question asks about: it names one of
    the question's glossary terms in any of their forms, or, when it names none, shares most of
    its content words."""
    analysis, evidence = context.analysis, context.evidence
    if evidence.themes(analysis):
        return evidence.names_a_theme(text, analysis)
    terms = analysis.salience.terms
    return bool(terms) and 2 * analysis.salience.overlap(text, evidence.analyzer) > len(terms)
