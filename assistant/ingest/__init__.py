"""The corpus: documents (loaded as text) and structured records (validated YAML)."""
