"""Objects shared by every page and session (st.cache_resource: built once, thread-safe)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from assistant.config import Settings
from assistant.ui.client import AssistantClient, make_client
from assistant.ui.feedback import FeedbackSink, make_feedback
from assistant.ui.vocabulary import Vocabulary, load_vocabulary


@st.cache_resource(show_spinner="Chargement de l'assistant…")
def client() -> AssistantClient:
    return make_client(Settings())


@st.cache_resource
def feedback_store() -> FeedbackSink:
    return make_feedback(Settings())


@st.cache_resource
def vocabulary() -> Vocabulary:
    return load_vocabulary(client(), Settings().corpus_dir)


@st.cache_resource
def profile() -> dict[str, Any]:
    """What the corpus is and the questions to suggest (the service's /profile)."""
    return client().profile()


@st.cache_resource
def records_by_id() -> dict[str, dict[str, Any]]:
    """Every record by id (axes, actions, schemes, actors), for titles and follow-ups."""
    return {
        str(r["id"]): r
        for kind in ("axe", "action", "dispositif", "acteur")
        for r in client().records(kind)
    }


@st.cache_resource
def records_by_kind() -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (kind, str(r["id"])): r
        for kind in ("axe", "action", "dispositif", "acteur")
        for r in client().records(kind)
    }
