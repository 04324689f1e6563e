"""The words the answerer reads questions and sentences with, one data file per language.

``lexicon/fr.yaml`` and ``lexicon/en.yaml`` hold the question cues (what kind of fact a question
asks, whether it wants a list, describes a project, follows up), the fact patterns a sentence
must match, and the lines an answer writes. They are loaded once and validated: a missing key or
a pattern that does not compile is reported with the file and the key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, get_args

import yaml

from assistant.errors import AssistantError

Need = Literal[
    "outcome",
    "phone",
    "contact",
    "person",
    "place",
    "area",
    "time",
    "day",
    "date",
    "share",
    "amount",
    "count",
]
# Checked in this order: "quelle part du budget" is a share, "combien d'argent" an amount,
# "combien de projets" a count.
NEEDS: tuple[Need, ...] = get_args(Need)
FACT_KEYS = ("amount", "share", "range_start", "outcome", "month", "day", "time", "phone",
             "contact", "person", "place", "area", "label", "ratio_base", "rate_word",
             "number_word")  # fmt: skip
LABEL_KEYS = ("declined", "closest", "local_first", "local_actions", "elsewhere", "reserved",
              "other_schemes", "notice_elsewhere", "fallback", *(
                  f"failure_{f}" for f in ("timeout", "unreachable", "context", "empty",
                                           "uncited", "unknown_citations", "failed")))  # fmt: skip
# The fields of a scheme's card a question may ask for (``card_fields``), as cards.py names them.
CARD_FIELDS = ("amounts", "offers", "conditions", "sectors", "calendar", "contact", "partners")
LEXICON_DIR = Path(__file__).parent / "lexicon"


class LexiconError(AssistantError):
    """A lexicon file is missing, malformed, or holds a pattern that does not compile."""


@dataclass(frozen=True)
class Rate:
    """A rate a question may ask ("par mois") and what a sentence must say to give it."""

    asked: re.Pattern[str]
    stated: re.Pattern[str]


@dataclass(frozen=True)
class Lexicon:
    """Every language's cues merged (a French question may say "budget", an English one
    "SCIC"); lines to write are kept per language."""

    needs: tuple[tuple[Need, re.Pattern[str]], ...]
    set_aside: re.Pattern[str]
    next: re.Pattern[str]
    reason_cues: re.Pattern[str]  # why: no fact asked
    list_cues: re.Pattern[str]
    support_cues: re.Pattern[str]
    across_cues: re.Pattern[str]  # which territories do something
    project_cues: re.Pattern[str]
    stages: tuple[tuple[str, re.Pattern[str]], ...]
    project_needs: tuple[tuple[str, re.Pattern[str]], ...]
    card_fields: tuple[tuple[str, re.Pattern[str]], ...]  # a card's field → the words asking it
    amount_need: str | None
    home_cues: re.Pattern[str]
    follow_opens: re.Pattern[str]
    follow_points_back: re.Pattern[str]
    part_breaks: re.Pattern[str]
    asked_noun: re.Pattern[str]  # the noun a part asks for ("quel organisme"), as group 1
    facts: dict[str, re.Pattern[str]]
    rates: tuple[Rate, ...]
    counted: re.Pattern[str]
    also_counted: re.Pattern[str]
    kinds: tuple[frozenset[str], ...]
    counted_as: dict[str, tuple[str, ...]]  # a word counted → the French words a count is given in
    plan_parts: re.Pattern[str]
    generic_stems: frozenset[str]
    everywhere: frozenset[str]
    not_given: dict[str, dict[str, str]]  # language → need (or "other") → line
    labels: dict[str, dict[str, str]]  # language → key → line

    def line(self, language: str, key: str, **values: str) -> str:
        """A label in ``language`` (French when the language has none), filled in."""
        table = self.labels.get(language, {})
        template = table.get(key) or self.labels["fr"][key]
        return template.format(**values)

    def not_given_line(self, language: str, need: str | None, topic: str) -> str:
        table = self.not_given.get(language) or self.not_given["fr"]
        return table.get(need or "other", table["other"]).format(topic=topic)

    def fields_asked(self, folded_question: str) -> frozenset[str]:
        """The fields of a scheme's card the (folded) question asks for."""
        return frozenset(name for name, cue in self.card_fields if cue.search(folded_question))


@lru_cache(maxsize=4)
def load_lexicon(directory: Path = LEXICON_DIR) -> Lexicon:
    """The lexicon of every ``*.yaml`` file in ``directory`` (``fr.yaml`` is required)."""
    files = sorted(directory.glob("*.yaml"))
    if not any(f.name == "fr.yaml" for f in files):
        raise LexiconError(
            f"{directory}: no fr.yaml lexicon", hint="restore assistant/answering/lexicon/fr.yaml"
        )
    tables = {path: _read(path) for path in files}
    french = next(table for path, table in tables.items() if path.name == "fr.yaml")
    french_path = directory / "fr.yaml"

    def merged(key: str, *, words: bool = True) -> re.Pattern[str]:
        found = [(path, table[key]) for path, table in tables.items() if key in table]
        if not found:
            raise LexiconError(f"{french_path}: missing key {key!r}")
        parts = [f"(?:{p})" for path, value in found for p in _strings(path, key, value)]
        pattern = "|".join(parts)
        return _compile(found[0][0], key, rf"\b(?:{pattern})\b" if words else pattern)

    needs: list[tuple[Need, re.Pattern[str]]] = []
    for need in NEEDS:
        cues = [
            cue
            for path, table in tables.items()
            for cue in _strings(path, f"needs.{need}", _get(table.get("needs", {}), need, []))
        ]
        if not cues:
            raise LexiconError(f"{french_path}: no cue for need {need!r}")
        needs.append((need, _compile(french_path, f"needs.{need}", rf"\b(?:{'|'.join(cues)})\b")))
    stages = _keyed(tables, "stages")
    project_needs = _keyed(tables, "project_needs")
    card_fields = _keyed(tables, "card_fields")
    for name, _ in card_fields:
        if name not in CARD_FIELDS:
            raise LexiconError(
                f"{french_path}: card_fields.{name} is not a card field",
                hint=f"use one of {', '.join(CARD_FIELDS)}",
            )
    follow = [(path, table.get("follow_up") or {}) for path, table in tables.items()]
    opens = "|".join(
        c for p, f in follow for c in _strings(p, "follow_up.opens", f.get("opens", []))
    )
    back = "|".join(
        c for p, f in follow for c in _strings(p, "follow_up.points_back", f.get("points_back", []))
    )
    facts = french.get("facts") or {}
    for key in FACT_KEYS:
        if key not in facts:
            raise LexiconError(f"{french_path}: missing fact pattern facts.{key}")
    rates = [
        Rate(
            _compile(path, "rates.asked", str(row["asked"])),
            _compile(path, "rates.stated", str(row["stated"])),
        )
        for path, table in tables.items()
        for row in table.get("rates", [])
    ]
    kinds = tuple(frozenset(map(str, row)) for row in french.get("kinds", []))
    counted_as: dict[str, tuple[str, ...]] = {}
    for path, table in tables.items():
        for word, others in (table.get("counted_as") or {}).items():
            counted_as[str(word)] = tuple(_strings(path, f"counted_as.{word}", others))
    labels = {
        str(t.get("language", p.stem)): dict(t.get("labels") or {}) for p, t in tables.items()
    }
    for key in LABEL_KEYS:
        if key not in labels.get("fr", {}):
            raise LexiconError(f"{french_path}: missing label labels.{key}")
    not_given = {
        str(t.get("language", p.stem)): dict(t.get("not_given") or {}) for p, t in tables.items()
    }
    if "other" not in not_given.get("fr", {}):
        raise LexiconError(f"{french_path}: missing line not_given.other")
    return Lexicon(
        needs=tuple(needs),
        set_aside=merged("set_aside"),
        next=merged("next"),
        reason_cues=merged("reason_cues"),
        list_cues=merged("list_cues"),
        support_cues=merged("support_cues"),
        across_cues=merged("across_cues"),
        project_cues=merged("project_cues"),
        stages=stages,
        project_needs=project_needs,
        card_fields=card_fields,
        amount_need=str(french["amount_need"]) if french.get("amount_need") else None,
        home_cues=merged("home_cues"),
        follow_opens=_compile(french_path, "follow_up.opens", rf"^(?:{opens})\b"),
        follow_points_back=_compile(french_path, "follow_up.points_back", rf"\b(?:{back})\b"),
        part_breaks=merged("part_breaks", words=False),
        asked_noun=_compile(french_path, "asked_noun", str(french.get("asked_noun", "$^"))),
        facts={
            key: _compile(french_path, f"facts.{key}", str(value)) for key, value in facts.items()
        },
        rates=tuple(rates),
        counted=merged("counted", words=False),
        also_counted=_compile(
            french_path,
            "also_counted",
            "|".join(
                f"(?:{_strings(p, 'also_counted', t['also_counted'])[0]})"
                for p, t in tables.items()
                if "also_counted" in t
            )
            or "$^",
        ),
        kinds=kinds,
        counted_as=counted_as,
        plan_parts=_compile(french_path, "plan_parts", str(french.get("plan_parts", "$^"))),
        generic_stems=frozenset(
            str(s) for table in tables.values() for s in table.get("generic_stems", [])
        ),
        everywhere=frozenset(
            str(s) for table in tables.values() for s in table.get("everywhere", [])
        ),
        not_given=not_given,
        labels=labels,
    )


def _keyed(tables: dict[Path, dict[str, Any]], key: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """A mapping of names to cues, merged over the languages, as compiled patterns."""
    cues: dict[str, list[str]] = {}
    for path, table in tables.items():
        for name, value in (table.get(key) or {}).items():
            cues.setdefault(str(name), []).extend(_strings(path, f"{key}.{name}", value))
    return tuple(
        (name, _compile(LEXICON_DIR, f"{key}.{name}", rf"\b(?:{'|'.join(found)})\b"))
        for name, found in cues.items()
    )


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise LexiconError(f"{path}: cannot read the lexicon: {exc}") from exc
    if not isinstance(data, dict):
        raise LexiconError(f"{path}: a lexicon is a mapping of keys, got {type(data).__name__}")
    return data


def _get(table: object, key: str, default: object) -> object:
    return table.get(key, default) if isinstance(table, dict) else default


def _strings(path: Path, key: str, value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise LexiconError(f"{path}: {key} must be a pattern or a list of patterns, got {value!r}")


def _compile(path: Path, key: str, pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise LexiconError(f"{path}: {key} is not a valid pattern: {exc}") from exc
