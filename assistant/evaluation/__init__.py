"""The evaluation harness: gold questions, retrieval metrics, side-by-side reports."""
