"""Feuille de route: strategic axes → operational axes → actions; counts by axis and by theme as
titled charts and as tables; pick a theme (in the chart or the list) to read its actions."""

from collections import Counter
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from assistant.ui.state import client
from assistant.ui.text import escape_markdown

st.title("Feuille de route")
axes = client().records("axe")
actions = client().records("action")
titles = {axis["id"]: axis["title"] for axis in axes}
# Vega's default grey axis text is about 3.5:1 on white; #1f2330 is above 15:1 (WCAG AA: 4.5:1).
INK: dict[str, Any] = {"labelColor": "#1f2330", "titleColor": "#1f2330", "labelFontSize": 12}


def bar_chart(frame: pd.DataFrame, label: str, title: str, *, selectable: bool) -> alt.Chart:
    """Horizontal bars sorted by count, every label written in full."""
    chart = (
        alt.Chart(frame, title=title)
        .mark_bar(color="#0b5cad")
        .encode(
            x=alt.X("actions:Q", title="Nombre d'actions", axis=alt.Axis(tickMinStep=1, **INK)),
            y=alt.Y(f"{label}:N", title=None, sort="-x", axis=alt.Axis(labelLimit=0, **INK)),
            tooltip=[
                alt.Tooltip(f"{label}:N", title=label.capitalize()),
                alt.Tooltip("actions:Q", title="Actions"),
            ],
        )
    )
    if selectable:
        chart = chart.add_params(alt.selection_point(name="choix", fields=[label]))
    return chart


for strategic in [a for a in axes if "." not in a["id"]]:
    st.header(f"Axe {strategic['id']} — {strategic['title']}")
    for operational in [a for a in axes if a["id"].startswith(strategic["id"] + ".")]:
        members = [a for a in actions if a["id"].rsplit(".", 1)[0] == operational["id"]]
        with st.expander(f"{operational['id']} — {operational['title']} ({len(members)})"):
            for action in members:
                st.markdown(f"**{action['id']}** — {escape_markdown(action['text'])}")
                st.caption(" · ".join(action["themes"]))

st.header("Actions par axe et par thème")
per_axis = Counter(a["id"].rsplit(".", 1)[0] for a in actions)
per_theme = Counter(theme for a in actions for theme in a["themes"])
axis_frame = pd.DataFrame(
    [{"axe": f"{k} — {titles.get(k, '')}", "actions": v} for k, v in per_axis.most_common()]
)
theme_frame = pd.DataFrame([{"thème": k, "actions": v} for k, v in per_theme.most_common()])

chart_view, table_view = st.tabs(["Graphiques", "Tableaux"])
with chart_view:
    event: Any = st.altair_chart(
        bar_chart(theme_frame, "thème", "Nombre d'actions par thème", selectable=True),
        width="stretch",
        on_select="rerun",
        key="themes-chart",
    )
    st.caption("Cliquez sur un thème pour lister ses actions.")
    axis_chart = bar_chart(
        axis_frame.assign(axe=axis_frame["axe"].str.split(" — ").str[0]),
        "axe",
        "Nombre d'actions par axe opérationnel",
        selectable=False,
    )
    st.altair_chart(axis_chart, width="stretch")
with table_view:
    st.table(
        theme_frame.rename(columns={"thème": "Thème", "actions": "Actions"}).set_index("Thème")
    )
    st.table(
        axis_frame.rename(columns={"axe": "Axe opérationnel", "actions": "Actions"}).set_index(
            "Axe opérationnel"
        )
    )

points = event.get("selection", {}).get("choix", []) if event else []
picked = points[0].get("thème") if points else None
if picked != st.session_state.get("chart-pick"):  # a click in the chart picks the theme below
    st.session_state["chart-pick"] = picked
    if picked:
        st.session_state["theme-pick"] = picked
themes = [str(t) for t in theme_frame["thème"]]
chosen = st.selectbox(
    "Actions du thème",
    [None, *themes],
    key="theme-pick",
    format_func=lambda t: "(choisir un thème)" if t is None else t,
)
if chosen:
    listed = [a for a in actions if chosen in a["themes"]]
    st.subheader(f"{chosen} : {len(listed)} actions")
    for action in listed:
        st.markdown(f"- **{action['id']}** — {escape_markdown(action['text'])}")
