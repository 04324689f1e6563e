"""The web app as `assistant ui` serves it: Streamlit's ASGI app with security headers on every
response (``streamlit run app/server.py``; ``app/streamlit_app.py`` is the script itself)."""

from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware

from assistant.service.limits import SecurityHeadersMiddleware

app = st.App(
    Path(__file__).parent / "streamlit_app.py", middleware=[Middleware(SecurityHeadersMiddleware)]
)
