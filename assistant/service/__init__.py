"""The HTTP service (FastAPI)."""

from assistant.service.app import create_app

__all__ = ["create_app"]
