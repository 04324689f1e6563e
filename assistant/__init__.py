"""ESS assistant: semantic search and answers over a territory's ESS roadmap and support schemes."""

__version__ = "0.1.0"
