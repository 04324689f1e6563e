"""Index stage."""
