"""The PostgreSQL + pgvector store: the index in a database that replicates and scales.

``ASSISTANT_STORE=postgres`` with ``ASSISTANT_DATABASE_URL``: ``assistant build`` writes each build
into its own tables (units with their vectors and a French full-text column, sentences with
theirs, documents, the lexicon) and makes it current in the same transaction; retrieval runs in
SQL (HNSW and ``tsvector`` candidates, fused as the embedded retriever fuses). Modules:
``schema`` (tables, connections), ``writer`` (a build), ``retriever`` (search), ``local`` (a
throwaway server for tests and benchmarks).
"""
