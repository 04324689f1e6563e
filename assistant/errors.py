"""One base error for the library; each subclass carries a hint that tells the user what to do."""

from __future__ import annotations


class AssistantError(Exception):
    """Base error of the assistant. ``hint`` says how to fix the problem."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class ConfigurationError(AssistantError):
    """A setting has a value the assistant cannot work with."""


class CorpusError(AssistantError):
    """The corpus (documents or records) is missing or invalid."""


class IndexNotFoundError(AssistantError):
    """No index has been built yet in the configured folder."""


class IndexMismatchError(AssistantError):
    """The index on disk was built with other settings than the current ones."""


class InvalidQueryError(AssistantError):
    """A query, a filter or a search option is not acceptable."""


class BuildInProgressError(AssistantError):
    """Another build holds the index lock."""


class IndexCorruptError(IndexMismatchError):
    """A file of the built index is missing, truncated or unreadable."""
