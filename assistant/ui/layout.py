"""What every page shares: the page in French, readable captions, and on a phone the sidebar
closed after a page link is tapped. Injected once per run by app/streamlit_app.py."""

from __future__ import annotations

import streamlit as st
import streamlit.components.v1 as components

# Captions and placeholders in Streamlit's default grey (and opacity) are about 3.9:1 on white;
# these are above the WCAG AA minimum of 4.5:1: on #ffffff, #4a4f5c is 8.2:1, #5c6170 6.2:1 and
# the links' #0b5cad 6.7:1.
STYLE = """
<style>
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p,
[data-testid="stWidgetLabel"] p, .stTooltipIcon, small { color: #4a4f5c !important; }
/* Streamlit draws captions at 60 % opacity, which halves their contrast. */
[data-testid="stCaptionContainer"] { opacity: 1 !important; }
textarea::placeholder, input::placeholder { color: #5c6170 !important; opacity: 1; }
[data-testid="stMarkdownContainer"] a { color: #0b5cad; }
.stChatMessage [data-testid="stMarkdownContainer"] code { color: #1f2330; }
/* the script frame below takes no room */
[data-testid="stElementContainer"]:has(iframe[height="0"]),
.element-container:has(iframe[height="0"]) { display: none; }
</style>
"""

# Runs in a same-origin component frame: sets <html lang="fr"> and, below 768 px (where the sidebar
# covers the page), closes the sidebar once a page link is followed.
SCRIPT = """
<script>
const doc = window.parent.document;
doc.documentElement.lang = "fr";
if (!doc.getElementById("ess-sidebar-hook")) {
  // Installed in the page itself: a listener of this frame would die with the frame.
  const hook = doc.createElement("script");
  hook.id = "ess-sidebar-hook";
  hook.textContent = `
    document.addEventListener("click", (event) => {
      const link = event.target.closest('[data-testid="stSidebarNav"] a');
      if (!link || window.innerWidth >= 768) return;
      const close = () => {
        const open = document.querySelector('[data-testid="stSidebar"][data-collapsed="false"]');
        const button = open && open.querySelector('[data-testid="stSidebarCollapseButton"] button');
        if (button) button.click();
      };
      setTimeout(close, 150);
      setTimeout(close, 800);
    }, true);
  `;
  doc.head.appendChild(hook);
}
</script>
"""


def apply() -> None:
    st.html(STYLE)
    # st.iframe, components.html's successor, takes no height of 0.
    components.html(SCRIPT, height=0)
