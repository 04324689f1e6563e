"""Answering: a question analysed once (``analysis``), routed to one module per intent
(``router``), written from the evidence with citations at exact offsets (``evidence``), with
the words it reads by in one data file per language (``lexicon``)."""

from assistant.answering.router import DEFAULT_CORPUS_LABEL, Answerer

__all__ = ["DEFAULT_CORPUS_LABEL", "Answerer"]
