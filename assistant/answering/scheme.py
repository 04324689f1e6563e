"""A question about a support scheme: the fact asked first if any, and for each part of a
multi-part question that asks no kind of fact the passage line carrying most of its own words;
then the scheme's card with the fields the question asks for (``QuestionAnalysis.fields``: its
amounts, conditions, calendar, contact…) and the lines sharing what it asks about; the whole
short card (what it is, amounts, what else it offers, conditions, calendar, contact) when it
asks nothing in particular, whether the scheme fits (its amounts, its conditions) or describes
a project. The close schemes, in one line each, only for someone looking for a scheme; then only
the passages' sentences that answer. A question naming a territory gets that territory's schemes
only."""

from __future__ import annotations

from assistant.answering import decline
from assistant.answering.context import Context
from assistant.answering.draft import Draft
from assistant.answering.evidence import distinct, is_scheme, top_hits
from assistant.retrieval.territories import territories_of
from assistant.types import Chunk

SCHEME_RATIO = 0.6  # schemes and passages kept: score >= ratio * best score
OTHER_SCHEMES = 2  # close schemes shown in one line
PASSAGE_LINES = 1  # passages' sentences after the cards
SEEKING_FIELDS = frozenset({"amounts", "conditions"})  # what "can X fund us?" asks
CARD_KINDS = frozenset({"summary", "amounts", "offers", "conditions", "calendar", "contact"})


def answer(context: Context) -> None:
    analysis, draft, evidence = context.analysis, context.draft, context.evidence
    kept = top_hits(context.hits, SCHEME_RATIO)
    schemes = [h.chunk for h in kept if is_scheme(h.chunk)]
    named = [evidence.by_id[f"dispositif:{s}"] for s in analysis.schemes
             if f"dispositif:{s}" in evidence.by_id]  # fmt: skip
    schemes = [*named, *(s for s in schemes if s not in named)]
    if analysis.territories:
        schemes = [s for s in schemes if evidence.about_territory(s, analysis)]
    if analysis.english:
        draft.lines.append(evidence.lexicon.line("en", "intro", corpus=context.corpus_label))
    sentences = [s for s in context.sentences if evidence.about_territory(s.unit, analysis)]
    unanswered = []
    led = False  # a part's fact is given by the sentence holding it
    for part in analysis.parts:
        leads = evidence.fact_leads(analysis, part, sentences)
        draft.lines += [line.text for line in evidence.lead_lines(draft, leads, analysis)]
        if part.fact is not None and not leads:
            unanswered.append(part)
        led |= part.fact is not None and bool(leads)
    passages = [h.chunk for h in kept if h.chunk.kind == "passage"
                and evidence.about_territory(h.chunk, analysis)]  # fmt: skip
    lines = evidence.best_lines(draft, passages, sentences, analysis)
    for part in analysis.parts if analysis.multi_part else ():  # a line per part of no fact
        best = None if part.fact else evidence.part_line(analysis, part, lines)
        if best is not None and not draft.says(best.text):
            draft.lines.append(best.text)
    asked = asked_terms(context, schemes[0]) if schemes else analysis.salience.terms
    # "Tell me about X", "can X fund us?" (its amounts and conditions), a project described: the
    # whole short card. A question asking one field ("quand…", "conditions…") or one thing about
    # the scheme ("à quoi sert le prix ?", naming a prize as most do) gets those lines only.
    described = analysis.project is not None
    # Every part asks a fact and the sentences holding them come first ("quel est le plafond
    # du prix ?"): the card's fields follow, not its summary nor the whole card.
    answered = led and not unanswered and all(part.fact is not None for part in analysis.parts)
    whether = (
        analysis.about_support
        and (bool(analysis.fields) or described)
        and analysis.fields <= SEEKING_FIELDS
        and not answered
    )
    general = whether or (not analysis.fields and (not asked or described))
    if schemes:
        kinds = CARD_KINDS if general else frozenset({"summary", *analysis.fields})
        if "partners" in kinds:
            kinds |= {"operators"}  # who runs it and who joins it
        given = answered and not general and analysis.project is None
        draft.lines += evidence.card(draft, schemes[0], full=True, english=analysis.english,
                                     kinds=kinds, terms=asked, summary=not given)  # fmt: skip
    seeking_one = analysis.intent in ("scheme", "project") or analysis.project is not None
    looking = seeking_one and not analysis.schemes  # which scheme fits: the close ones too
    for rank, unit in enumerate(schemes[1 : 1 + OTHER_SCHEMES] if looking else []):
        if rank == 0:
            draft.lines.append(evidence.lexicon.line(analysis.language, "other_schemes"))
        draft.lines.append(f"- {evidence.brief(draft, unit)}")
    lines.sort(key=lambda line: line.score, reverse=True)
    answering = [
        line.text
        for line in lines
        if not draft.says(line.text)
        and evidence.answers(analysis, line.text, line.unit)
        # the lines are French: an English question's words tell nothing of them
        and (not asked or analysis.english or bool(asked & set(evidence.analyzer(line.text))))
    ]
    draft.lines += distinct(answering, PASSAGE_LINES if general or analysis.fields else 2)
    lexicon = evidence.lexicon
    not_given = []
    for part in unanswered:  # the card may say it (a calendar, an amount, for the year asked)
        fact = part.fact
        if fact is not None and not any(
            fact.met_by(line, lexicon) and not evidence.dated_otherwise(analysis, line)
            for line in draft.lines
        ):
            topic = part.text.strip(" ?")
            not_given.append(lexicon.not_given_line(analysis.language, part.need, topic))
    for part in evidence.open_parts_unanswered(analysis, draft.lines):
        not_given.append(lexicon.not_given_line(analysis.language, None, part.text.strip(" ?")))
    if not_given and len(not_given) == len(analysis.parts):  # nothing asked is answered
        context.draft = Draft(draft.documents)
        context.set_aside += [s for s in sentences if s.unit.kind == "passage"]
        decline.write(context, str(analysis.parts[0].need))
        return
    draft.lines += not_given
    cited = {c.unit_id for c in draft.citations}
    context.set_aside += [s for s in sentences if s.unit.id not in cited]
    if not schemes and not answering and len(draft.lines) <= int(analysis.english):
        context.abstained = True
    draft.renumber()
    context.notice = notice(context, schemes)


def asked_terms(context: Context, scheme: Chunk) -> frozenset[str]:
    """The question's content words that are not the scheme's name nor a place: what it asks
    about the scheme ("surface", "numérique"), if anything."""
    analyzer, analysis = context.evidence.analyzer, context.analysis
    named = {*analyzer(str(scheme.metadata.get("name", ""))), *analyzer(scheme.context)}
    places = {s for t in (*analysis.territories, *territories_of(scheme)) for s in analyzer(t)}
    return frozenset(analysis.salience.terms - named - places)


def notice(context: Context, schemes: list[Chunk]) -> str | None:
    """Say so when the answer's schemes belong to other territories than the home one."""
    home = context.home
    if home is None:
        return None
    cited = {c.unit_id for c in context.draft.citations}
    elsewhere = sorted(
        {str(s.metadata.get("territory")) for s in schemes if s.id in cited} - {home}
    )
    if not elsewhere:
        return None
    names = ", ".join(str(u.metadata["name"]) for u in context.evidence.support_bodies(home)[:6])
    return context.evidence.lexicon.line(
        context.analysis.language, "notice_elsewhere", territories=", ".join(elsewhere),
        home=home, names=names,
    )  # fmt: skip
