"""The support-scheme finder for project holders.

From a project description (and optionally territory, stage, needs, amount sought), rank what
the project can use in its territory first — the local support organisations and that
territory's schemes — then the schemes of other territories as examples, never above a local
option. A scheme reserved to another territory is ``accessible: false`` with its
``restriction``, and gets no "fits" reason: how it would match goes into its neutral ``notes``.
The project's territory is the query's, else the home territory of ``corpus/territories.yaml``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from assistant.errors import InvalidQueryError
from assistant.ingest.catalog import RecordCatalog
from assistant.ingest.records import Acteur, Dispositif
from assistant.ingest.render import format_euros
from assistant.retrieval.hybrid import Retriever, check_query
from assistant.retrieval.territories import Gazetteer
from assistant.text import fold
from assistant.types import Chunk
from assistant.vocabulary import Vocabulary


@dataclass(frozen=True)
class SchemeQuery:
    """A project holder's project and what they look for."""

    description: str
    territory: str | None = None
    stage: str | None = None
    needs: tuple[str, ...] = ()
    amount_eur: int | None = None

    def __post_init__(self) -> None:
        check_query(self.description)
        if self.amount_eur is not None and self.amount_eur < 0:
            raise InvalidQueryError(f"amount_eur must be positive, got {self.amount_eur}")


@dataclass(frozen=True)
class SchemeMatch:
    """A scheme or a support organisation, ranked, with reasons."""

    kind: str  # "dispositif" or "acteur"
    id: str
    name: str
    territory: str
    local: bool
    score: float
    summary: str
    fits: list[str] = field(default_factory=list)
    may_not_fit: list[str] = field(default_factory=list)
    amounts: str | None = None
    contact: str | None = None
    website: str | None = None
    unit_id: str = ""
    # False for a scheme reserved to another territory than the project's; ``restriction`` then
    # says so, ``fits`` is empty and ``notes`` holds how it would match (a benchmark example)
    accessible: bool = True
    restriction: str | None = None
    notes: list[str] = field(default_factory=list)


class SchemeFinder:
    """Ranks schemes by relevance to the project, then by how well their criteria fit."""

    def __init__(
        self,
        retriever: Retriever,
        catalog: RecordCatalog,
        *,
        home: str | None = None,
        gazetteer: Gazetteer | None = None,
        vocabulary: Vocabulary | None = None,
        support_actor_type: str = "accompagnement",
    ) -> None:
        """``vocabulary`` holds the stages and needs a query may name (the catalog's when not
        given); ``support_actor_type`` is the actor type of the local support bodies."""
        self.vocabulary = vocabulary if vocabulary is not None else catalog.vocabulary
        self.support_actor_type = support_actor_type
        self.retriever = retriever
        self.catalog = catalog
        self.gazetteer = gazetteer  # reads a demonym or an alias as the territory it names
        self.home = home if home is not None else gazetteer.home if gazetteer else None

    def _check_values(self, field: str, list_name: str, values: list[str]) -> None:
        """A stage or need the corpus' vocabulary does not hold is refused, naming the field."""
        unknown = self.vocabulary.unknown(list_name, values)
        if unknown:
            allowed = ", ".join(self.vocabulary.values(list_name))
            raise InvalidQueryError(f"{field}: {unknown[0]!r} is not one of {allowed}")

    def _territory(self, named: str | None) -> str | None:
        """The project's territory: the one the query names (as the records spell it), else home."""
        if named is None:
            return self.home
        places = self.gazetteer.find(named) if self.gazetteer is not None else []
        return places[0].name if places and places[0].covered else named

    def match(self, query: SchemeQuery, *, top_k: int = 8) -> list[SchemeMatch]:
        """What the project can use where it is, by relevance and fit; then other territories'
        schemes as examples, by relevance and fit, each below every local option."""
        self._check_values("stage", "stages", [query.stage] if query.stage else [])
        self._check_values("needs", "needs", list(query.needs))
        home = self._territory(query.territory)
        text = " ".join([query.description, *query.needs, query.stage or ""]).strip()
        hits = self.retriever.retrieve(text, top_k=100, filters={"kind": ["dispositif", "acteur"]})
        relevance = {str(h.chunk.metadata.get("record_id")): (h.chunk, h.score) for h in hits
                     if not h.chunk.metadata.get("group")}  # fmt: skip
        schemes = [
            self._scheme(scheme, *relevance[scheme.id], query, home)
            for scheme in self.catalog.dispositifs.values()
            if scheme.id in relevance
        ]
        actors = [
            self._actor(actor, *relevance[actor.id])
            for actor in self.catalog.acteurs.values()
            if actor.type == self.support_actor_type
            and home is not None
            and _same_place(actor.territory, home)
            and actor.id in relevance
        ]
        local = sorted(actors + [m for m in schemes if m.local], key=_by_score)
        examples = sorted((m for m in schemes if not m.local), key=_by_score)
        return (local + examples)[:top_k]

    def _scheme(
        self,
        scheme: Dispositif,
        unit: Chunk,
        relevance: float,
        query: SchemeQuery,
        home: str | None,
    ) -> SchemeMatch:
        fits: list[str] = []
        concerns: list[str] = []
        score = relevance
        if query.stage:
            if query.stage in scheme.stages:
                fits.append(f"couvre le stade « {query.stage} »")
                score += 0.15
            elif scheme.stages:
                concerns.append(f"stade visé : {', '.join(scheme.stages)}")
                score -= 0.1
        covered = [need for need in query.needs if need in scheme.needs]
        if covered:
            fits.append(f"répond au besoin : {', '.join(covered)}")
            score += 0.15 * len(covered)
        elif query.needs:
            concerns.append(f"répond plutôt à : {', '.join(scheme.needs)}")
            score -= 0.1
        sectors = _matching_sectors(query.description, scheme.priority_sectors)
        if sectors:
            fits.append(f"secteur prioritaire : {', '.join(sectors)}")
            score += 0.1
        ceiling = scheme.amounts.ceiling_eur
        if query.amount_eur is not None and ceiling is not None:
            if query.amount_eur <= ceiling:
                fits.append(f"montant demandé dans le plafond ({format_euros(ceiling)})")
            else:
                concerns.append(f"plafond {format_euros(ceiling)}")
                score -= 0.1
        local = home is not None and _same_place(scheme.territory, home)
        # with no territory known for the project, nothing is known to be out of its reach
        accessible = local or home is None
        restriction = None if accessible else f"réservé au territoire de {scheme.territory}"
        if local:
            fits.insert(0, f"dispositif du territoire : {scheme.territory}")
        elif restriction is not None:
            concerns.insert(0, restriction)
        return SchemeMatch(
            kind="dispositif",
            id=scheme.id,
            name=scheme.name,
            territory=scheme.territory,
            local=local,
            score=round(score, 4),
            summary=scheme.summary,
            fits=fits if accessible else [],
            may_not_fit=concerns,
            amounts=_amounts(scheme),
            contact=scheme.contact,
            website=scheme.website,
            unit_id=unit.id,
            accessible=accessible,
            restriction=restriction,
            notes=[] if accessible else fits,
        )

    def _actor(self, actor: Acteur, unit: Chunk, relevance: float) -> SchemeMatch:
        return SchemeMatch(
            kind="acteur",
            id=actor.id,
            name=actor.name,
            territory=actor.territory,
            local=True,
            score=round(relevance + 0.1, 4),
            summary=actor.role,
            fits=[f"acteur local de l'accompagnement ({actor.territory})"],
            contact=actor.contact,
            website=actor.website,
            unit_id=unit.id,
        )


def _by_score(match: SchemeMatch) -> float:
    return -match.score


def _same_place(territory: str, home: str) -> bool:
    a, b = fold(territory), fold(home)
    return a in b or b in a


def _matching_sectors(description: str, sectors: Sequence[str]) -> list[str]:
    words = {w for w in fold(description).replace(",", " ").split() if len(w) > 4}
    return [s for s in sectors if words & {w for w in fold(s).split() if len(w) > 4}]


def _amounts(scheme: Dispositif) -> str | None:
    notes = scheme.amounts.notes
    return "; ".join(notes) if notes else None
