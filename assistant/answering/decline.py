"""Saying plainly that the documents do not answer, and why: nothing retrieved, a place they do
not cover, nothing about the territory or the year asked, no fact of the kind asked, nothing
close enough, or words the documents never use."""

from __future__ import annotations

from assistant.answering.checks import years
from assistant.answering.context import Context
from assistant.answering.evidence import Sentence
from assistant.retrieval.territories import territories_of

MIN_SIMILARITY = 0.78  # best sentence cosine below which nothing answers
CLOSEST = 1  # lines of "ce qui s'en rapproche"
CLOSEST_CHARS = 300  # a closest line longer than this is left to the related passages


def reason(context: Context) -> str | None:
    """Why the evidence does not answer the question, or ``None`` when it does. A multi-part
    question's facts are checked part by part when it is written."""
    analysis, result = context.analysis, context.result
    if analysis.intent == "out_of_scope":
        return "scope"
    if not result.hits:
        return "nothing"
    evidence = context.evidence
    sentences = [s for s in context.sentences if evidence.about_territory(s.unit, analysis)]
    if not sentences:
        return "territory"
    if analysis.years and not any(analysis.years & _years(s) for s in sentences):
        return "year"
    compared = analysis.intent == "comparison"  # each territory is checked when written
    fact = analysis.fact
    single = fact is not None and not compared and not analysis.multi_part
    if (
        fact is not None
        and single
        and not evidence.fact_leads(analysis, analysis.parts[0], sentences)
    ):
        return fact.need
    best = max((s.similarity for s in sentences), default=0.0)
    if result.vector is not None and best < MIN_SIMILARITY and not analysis.schemes:
        return "distance"
    return None


def _years(sentence: Sentence) -> set[str]:
    return years(sentence.unit.indexed_text)


def write(context: Context, why: str) -> None:
    """The plain line, then at most one short labelled line of what comes closest (none when
    the question is about something the documents never mention)."""
    analysis, draft = context.analysis, context.draft
    lexicon = context.evidence.lexicon
    topic = analysis.question.strip().rstrip("?").strip()
    draft.lines.append(
        lexicon.line(analysis.language, "declined", corpus=context.corpus_label, topic=topic)
    )
    context.abstained = True
    if why in ("scope", "nothing"):
        return
    closest: list[str] = []
    seen: set[str] = set()
    for sentence in context.sentences:
        if sentence.unit.id in seen:
            continue
        seen.add(sentence.unit.id)
        if len(sentence.text) > CLOSEST_CHARS:
            context.set_aside.append(sentence)
            continue
        line = context.evidence.sentence_line(draft, sentence)
        closest.append(_labelled(line, sentence, context))
        if len(closest) == CLOSEST:
            break
    if closest:
        draft.lines.append(lexicon.line(analysis.language, "closest"))
        draft.lines += [f"- {line}" for line in closest]
    draft.renumber()


def _labelled(line: str, sentence: Sentence, context: Context) -> str:
    """A line of another territory than the home one says whose it is."""
    places = sorted(territories_of(sentence.unit) - {context.home or ""})
    return f"({', '.join(places)}) {line}" if places else line
