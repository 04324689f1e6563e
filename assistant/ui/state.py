"""Objects shared by every page and session (st.cache_resource: built once, thread-safe)."""

from __future__ import annotations

import streamlit as st

from assistant.config import Settings
from assistant.ui.client import AssistantClient, make_client
from assistant.ui.feedback import FeedbackSink, make_feedback


@st.cache_resource(show_spinner="Chargement de l'assistant…")
def client() -> AssistantClient:
    return make_client(Settings())


@st.cache_resource
def feedback_store() -> FeedbackSink:
    return make_feedback(Settings())
