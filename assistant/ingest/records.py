"""Structured records drawn from the corpus: roadmap axes and actions, support schemes, actors.

Every record points to the passage of a document it comes from (``source.quote``, verbatim), so an
answer built on a record can quote and cite the document. Offsets are resolved when records are
loaded against the documents, never written by hand.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

# The values of themes, scheme types, stages, needs and actor types are the corpus' own: they are
# listed in ``corpus/vocabulary.yaml`` and checked when the records are loaded (catalog.py).
Theme = str
SchemeType = str
Stage = str
Need = str
ActorType = str

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def _check_slug(value: str) -> str:
    if not _SLUG.match(value):
        raise ValueError(f"id must be a lowercase slug like 'ess-nantes-factory', got {value!r}")
    return value


Slug = Annotated[str, AfterValidator(_check_slug)]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceRef(_Record):
    """A verbatim passage of a corpus document."""

    document: str = Field(description="File name of the document under corpus/documents/.")
    quote: str = Field(min_length=10, description="Exact text of the passage, as in the document.")


class Axis(_Record):
    """A strategic axis (``A``) or an operational axis (``A.1``) of the roadmap."""

    id: str = Field(pattern=r"^[A-Za-z0-9]+(\.[A-Za-z0-9]+)?$", description="A or A.1.")
    title: str
    source: SourceRef

    @property
    def is_strategic(self) -> bool:
        return "." not in self.id


class Action(_Record):
    """One bullet action of the roadmap, under an operational axis."""

    # The id's form is the profile's (plan.action_id), checked when the records are loaded.
    id: str = Field(min_length=1, description="Stable id, e.g. A.1.2.")
    text: str
    themes: list[Theme] = Field(default_factory=list)
    source: SourceRef

    @property
    def operational_axis(self) -> str:
        return self.id.rsplit(".", 1)[0]

    @property
    def strategic_axis(self) -> str:
        return self.id.split(".", 1)[0]


class Amounts(_Record):
    """Amounts in euros as the document states them; every field is optional."""

    ceiling_eur: int | None = Field(default=None, ge=0, description="Maximum per project.")
    average_eur: int | None = Field(
        default=None, ge=0, description="Average or target per project."
    )
    cofunding_rate_max: float | None = Field(default=None, gt=0, le=1)
    yearly_envelope_eur: int | None = Field(default=None, ge=0)
    total_envelope_eur: int | None = Field(default=None, ge=0)
    notes: list[str] = Field(default_factory=list, description="Amounts in the document's words.")


class Dispositif(_Record):
    """A support scheme of the benchmark (another territory's funding, prize, premises…)."""

    id: Slug
    name: str
    territory: str
    operators: list[str] = Field(min_length=1)
    partners: list[str] = Field(default_factory=list)
    types: list[SchemeType] = Field(min_length=1)
    stages: list[Stage] = Field(default_factory=list)
    needs: list[Need] = Field(min_length=1)
    summary: str
    amounts: Amounts = Field(default_factory=Amounts)
    offers: list[str] = Field(
        default_factory=list,
        description="What the scheme gives besides money (support, premises, visibility…), "
        "in the document's words.",
    )
    eligibility: list[str] = Field(default_factory=list)
    priority_sectors: list[str] = Field(default_factory=list)
    calendar: str | None = None
    contact: str | None = None
    website: str | None = None
    themes: list[Theme] = Field(default_factory=list)
    source: SourceRef


class Acteur(_Record):
    """An organisation named by the document: interviewed structure, support body, governance."""

    id: Slug
    name: str
    type: ActorType
    legal_status: str | None = None
    role: str
    territory: str
    themes: list[Theme] = Field(default_factory=list)
    source: SourceRef
    # how to reach it, where the document gives it
    contact: str | None = None
    website: str | None = None
