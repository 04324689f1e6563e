"""A question asking for a fact, or for facts: each part answered by the sentence holding the
fact it asks, a plain line for each part the documents do not answer, and no other sentence
unless it answers a part too. Sentences that share the question's words without answering it
are set aside as related passages."""

from __future__ import annotations

from assistant.answering.context import Context
from assistant.answering.evidence import Line, as_item, distinct
from assistant.retrieval.territories import territories_of

MAX_LINES = 3  # lines of an answer to an open question ("comment…", "pourquoi…")
WITH_FACT = 1  # lines besides the facts asked, once they are found
UNITS = 5  # retrieved units whose best sentences may answer
OPEN_MARGIN = 0.03  # an open question's further lines score within this of its best line


def answer(context: Context, *, whole_lists: bool = False) -> None:
    """Writes the answer into ``context.draft``; ``context.abstained`` when no part of the
    question is answered."""
    analysis, draft, evidence = context.analysis, context.draft, context.evidence
    sentences = [s for s in context.sentences if evidence.about_territory(s.unit, analysis)]
    leads: list[Line] = []
    missing: list[str] = []
    open_parts = 0  # parts that ask no particular kind of fact
    for part in analysis.parts:
        if part.fact is None:
            open_parts += 1
            continue
        found = evidence.fact_leads(analysis, part, sentences)
        if found:
            leads += evidence.lead_lines(draft, found, analysis, whole_lists)
        else:
            topic = part.text.strip(" ?")
            missing.append(evidence.lexicon.not_given_line(analysis.language, part.need, topic))
    units = [
        hit.chunk
        for hit in context.hits[: UNITS + 1]
        if evidence.about_territory(hit.chunk, analysis)
    ]
    others = evidence.best_lines(draft, units, sentences, analysis, whole_lists=whole_lists)
    others.sort(key=lambda line: line.score, reverse=True)
    for part in analysis.parts if analysis.multi_part else ():  # a line per part of no fact
        best = None if part.fact else evidence.part_line(analysis, part, others)
        if best is not None and best not in leads:
            leads.append(best)
    kept: list[Line] = []
    for line in others:
        fallback = open_parts and not leads and not kept  # an open question's best sentence
        if line not in leads and (fallback or evidence.answers(analysis, line.text, line.unit)):
            kept.append(line)
    if kept and not leads:  # no fact asked: the lines as close as the best one
        kept = [line for line in kept if line.score >= kept[0].score - OPEN_MARGIN]
    if not leads and not kept:
        context.abstained = True
    if analysis.english:
        draft.lines.append(evidence.lexicon.line("en", "intro", corpus=context.corpus_label))
    ordered = [_labelled(line, context) for line in [*leads, *kept]]
    limit = len(leads) + WITH_FACT if leads else MAX_LINES
    draft.lines += distinct(ordered, limit, leads=len(leads))
    for part in evidence.open_parts_unanswered(analysis, draft.lines):
        topic = part.text.strip(" ?")
        missing.append(evidence.lexicon.not_given_line(analysis.language, None, topic))
    draft.lines += missing
    draft.renumber()


def _labelled(line: Line, context: Context) -> str:
    """A line about another territory than the one asked (or the home one) says whose it is."""
    analysis = context.analysis
    places = territories_of(line.unit)
    if not places or analysis.territories or not context.home or context.home in places:
        return line.text
    label = ", ".join(sorted(places))
    if line.text.startswith("- ") or "\n" in line.text:
        return f"**{label}** :\n{as_item(line.text)}"
    return f"**{label}** : {line.text}"
