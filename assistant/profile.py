"""What is specific to a territory and its documents, read from ``corpus/profile.yaml``.

Every field has a generic default, so a corpus folder holding documents only works as it is: the
profile only names things (the assistant's title, the home territory, how answers speak of the
corpus) and describes how the plan's headings are written, so that axes and actions can be
recognised in another roadmap.
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from assistant.datafile import read_mapping
from assistant.errors import CorpusError


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_pattern(value: str, *, group: bool) -> str:
    try:
        compiled = re.compile(value)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression ({exc}): {value!r}") from exc
    if group and "id" not in compiled.groupindex:
        raise ValueError(f"must capture the axis id in a group named 'id', got {value!r}")
    return value


class PlanPatterns(_Frozen):
    """How the plan's headings and ids are written (regular expressions)."""

    strategic_axis: str = Field(
        default=r"^(?:Axe|Orientation|Ambition|Priorité)(?: stratégique)?\s+(?P<id>[A-Z])\b",
        description="A strategic axis heading; the group 'id' captures its id (A, B…).",
    )
    operational_axis: str = Field(
        default=(
            r"^(?:Axe opérationnel|Objectif(?: opérationnel)?|Mesure)"
            r"\s+(?P<id>[A-Z]\.[0-9]+)\b"
        ),
        description="An operational axis heading; the group 'id' captures its id (A.1…).",
    )
    action: str = Field(
        default=r"^(?P<id>[A-Z]\.[0-9]+\.[0-9]+)\s*[-–—:.]\s*(?P<text>.+)$",
        description="A line stating an action with its id (A.1.2 – …), for drafting records.",
    )
    action_id: str = Field(
        default=r"^[A-Z]\.[0-9]+\.[0-9]+$", description="The id of an action record (A.1.2)."
    )
    of: str = Field(
        default="de la stratégie",
        description="The plan as a complement, in generated text (« Actions de la stratégie … »).",
    )
    summary: str = Field(
        default="{strategic} axes déclinés en {operational} objectifs et {actions} actions",
        description="The plan's outline in one phrase; {strategic}, {operational} and {actions} "
        "are counts.",
    )
    strategic_axis_label: str = Field(default="Axe", description="How to name a strategic axis.")
    operational_axis_label: str = Field(
        default="Objectif", description="How to name an operational axis."
    )

    @field_validator("strategic_axis", "operational_axis")
    @classmethod
    def _axis_pattern(cls, value: str) -> str:
        return _check_pattern(value, group=True)

    @field_validator("action", "action_id")
    @classmethod
    def _plain_pattern(cls, value: str) -> str:
        return _check_pattern(value, group=False)

    def axis_ids(self, section_path: tuple[str, ...]) -> list[str]:
        """The axis ids a section path names, outermost first."""
        patterns = (re.compile(self.strategic_axis), re.compile(self.operational_axis))
        return [
            match.group("id")
            for title in section_path
            for pattern in patterns
            if (match := pattern.match(title))
        ]

    def axis_label(self, axis_id: str) -> str:
        """``Axe B`` or ``Objectif B.2``: how to name an axis with no record of its own."""
        strategic = "." not in axis_id
        return (
            f"{self.strategic_axis_label if strategic else self.operational_axis_label} {axis_id}"
        )


class Profile(_Frozen):
    """A territory's profile; see ``corpus/profile.yaml`` for the fields in use."""

    title: str = Field(default="Assistant ESS", description="The assistant's name in the UI.")
    home_territory: str | None = Field(
        default=None,
        description="The territory whose strategy the corpus is (a name of territories.yaml); "
        "its local support bodies come first for a project there.",
    )
    corpus_label: str = Field(
        default="Les documents",
        description="How answers name the corpus, singular or plural "
        "(« Les documents : aucune information sur … »).",
    )
    corpus_label_en: str = Field(
        default="The documents", description="The same in English (« The documents: no … »)."
    )
    corpus_description: str = Field(
        default="les documents de stratégie ESS d'un territoire",
        description="What the corpus is, for the language model's instructions and the API docs.",
    )
    examples: list[str] = Field(
        default_factory=list,
        description="Questions the chat suggests before the first one, in the corpus' words.",
    )
    support_actor_type: str = Field(
        default="accompagnement",
        description="The actor type (vocabulary.yaml) of the local bodies that support projects.",
    )
    plan: PlanPatterns = Field(default_factory=PlanPatterns)


def load_profile(path: Path) -> Profile:
    """The profile read from ``path``; the generic one when the file does not exist."""
    data = read_mapping(path, "a mapping of fields")
    if data is None:
        return Profile()
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise CorpusError(
            f"{path}: {problems}", hint="see the fields documented in the README"
        ) from exc
