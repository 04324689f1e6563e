"""The lists the pages offer (themes, scheme types, stages, needs, actor types, territories).

One function, :func:`load_vocabulary`, builds them; today from the records the assistant serves.
When the service offers ``GET /vocabulary``, only that function changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import yaml

from assistant.ui.client import ClientError


class RecordSource(Protocol):
    def records(self, kind: str) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class Term:
    """One value of a list: the id the API takes and the label the page shows."""

    id: str
    label: str


@dataclass(frozen=True)
class Vocabulary:
    themes: list[Term] = field(default_factory=list)
    scheme_types: list[Term] = field(default_factory=list)
    stages: list[Term] = field(default_factory=list)
    needs: list[Term] = field(default_factory=list)
    actor_types: list[Term] = field(default_factory=list)
    territories: list[Term] = field(default_factory=list)
    axes: list[Term] = field(default_factory=list)
    home: str | None = None  # the territory whose roadmap the corpus is

    def territories_home_first(self) -> list[str]:
        ids = self.ids("territories")
        return sorted(ids, key=lambda t: t != self.home)

    def ids(self, name: str) -> list[str]:
        return [term.id for term in getattr(self, name)]

    def label(self, name: str, term_id: str) -> str:
        return next((t.label for t in getattr(self, name) if t.id == term_id), term_id)


def load_vocabulary(source: RecordSource, corpus_dir: Path | None = None) -> Vocabulary:
    """The lists: the corpus vocabulary with its labels where the client serves one (the values no
    record uses are left out), else every value some record uses; the home territory from the
    client's profile, else from the corpus's territories.yaml when the app can read it."""
    actions = source.records("action")
    schemes = source.records("dispositif")
    actors = source.records("acteur")
    axes = source.records("axe")
    records = [*actions, *schemes, *actors]
    stages = {s for r in schemes for s in r.get("stages", [])}
    served = _served(source)
    used = Vocabulary(
        themes=_terms(t for r in records for t in r.get("themes", [])),
        scheme_types=_terms(t for r in schemes for t in r.get("types", [])),
        stages=_terms(stages),
        needs=_terms(n for r in schemes for n in r.get("needs", [])),
        actor_types=_terms(str(r["type"]) for r in actors if r.get("type")),
        territories=_terms(str(r["territory"]) for r in records if r.get("territory")),
        axes=[Term(str(a["id"]), f"{a['id']} — {a['title']}") for a in axes],
        home=_served_home(source) or _home(corpus_dir),
    )
    labelled: dict[str, Any] = {}
    for name in ("themes", "scheme_types", "stages", "needs", "actor_types"):
        terms = [t for t in served.get(name, []) if t.id in used.ids(name)]
        if terms:
            labelled[name] = terms
    return replace(used, **labelled)


def _served(source: RecordSource) -> dict[str, list[Term]]:
    """The client's vocabulary (GET /vocabulary), when it has one."""
    try:
        data = source.vocabulary()  # type: ignore[attr-defined]
    except (AttributeError, ClientError):  # an older service or client: the records say
        return {}
    return {str(name): [Term(str(t["value"]), str(t["label"])) for t in terms]
            for name, terms in data.items()}  # fmt: skip


def _served_home(source: RecordSource) -> str | None:
    try:
        home = source.profile().get("home_territory")  # type: ignore[attr-defined]
    except (AttributeError, ClientError):
        return None
    return str(home) if home else None


def _home(corpus_dir: Path | None) -> str | None:
    path = corpus_dir / "territories.yaml" if corpus_dir else None
    if path is None or not path.exists():
        return None
    rows = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return next((str(r["name"]) for r in rows if isinstance(r, dict) and r.get("home")), None)


def _terms(values: Iterable[str]) -> list[Term]:
    return [Term(v, _label(v)) for v in sorted(set(values), key=str.casefold)]


def _label(value: str) -> str:
    return value[:1].upper() + value[1:]
