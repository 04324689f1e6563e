"""Reading YAML data files: the corpus' (profile, vocabulary, records…) and the package's own,
with errors that name the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from assistant.errors import CorpusError

# libyaml's parser when PyYAML has it (about ten times faster on the corpus' files, the same
# data), else PyYAML's own: a service start reads every data file of the corpus.
_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    """``yaml.safe_load`` of ``text``, with libyaml's parser when there is one."""
    return yaml.load(text, Loader=_SAFE_LOADER)


def read_mapping(path: Path, what: str) -> dict[str, Any] | None:
    """The mapping in ``path`` (``None`` when the file does not exist); ``what`` says what its
    top level must hold, for the message when it holds something else."""
    if not path.exists():
        return None
    try:
        data = load_yaml(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise CorpusError(f"{path}: cannot be read: {exc}") from exc
    if not isinstance(data, dict):
        raise CorpusError(f"{path}: must be {what}, got {type(data).__name__}")
    return data
