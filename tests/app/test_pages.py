"""Each Streamlit page, run by Streamlit's AppTest over the real index (in-process client)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from assistant.config import Settings
from assistant.profile import load_profile
from assistant.ui.feedback import FeedbackStore
from assistant.ui.text import conversation_markdown, escape_markdown, highlight
from tests.conftest import REPO, index_env

PAGES = REPO / "app" / "views"
TIMEOUT = 120


@pytest.fixture(autouse=True)
def environment(
    real_index_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    for key, value in index_env(real_index_settings).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(REPO)
    yield


def page(name: str) -> AppTest:
    return AppTest.from_file(str(PAGES / name), default_timeout=TIMEOUT)


def test_chat_suggests_questions_then_answers_with_chips_and_one_sources_panel() -> None:
    app = page("chat.py").run()
    assert not app.exception
    assert any("économie circulaire" in b.label for b in app.button)
    app.chat_input[0].set_value("Quelles actions soutiennent l'économie circulaire ?").run()
    assert not app.exception
    answer = app.session_state["messages"][-1]
    assert answer["role"] == "assistant" and "C.2.2" in answer["content"]
    panels = [e.label for e in app.expander if e.label.startswith("Sources (")]
    assert panels == [f"Sources ({len(answer['citations'])})"]
    assert any(":blue-background[1]" in m.value for m in app.markdown)
    assert any(b.label.startswith("Quelles autres actions") for b in app.button)
    app.chat_input[0].set_value("et lesquelles concernent l'alimentation ?").run()
    assert len(app.session_state["messages"]) == 4


def test_chat_suggests_the_profiles_questions_and_names_the_corpus_from_it() -> None:
    corpus = load_profile(REPO / "corpus" / "profile.yaml")
    app = page("chat.py").run()
    assert app.title[0].value == corpus.title
    assert app.caption[0].value == f"Questions sur {corpus.corpus_description}."
    labels = [b.label for b in app.button]
    assert corpus.examples and all(example in labels for example in corpus.examples)


def test_chat_marks_an_abstention() -> None:
    app = page("chat.py").run()
    app.chat_input[0].set_value("Quelle est la stratégie ESS de Strasbourg ?").run()
    assert app.session_state["messages"][-1]["abstained"] is True
    assert any("ne répond pas" in info.value for info in app.info)
    assert not any(b.label.startswith("Quel") and "?" in b.label for b in app.button)


def test_search_cards_have_names_and_tags_not_ids() -> None:
    app = page("search.py").run()
    app.multiselect[0].set_value(["dispositif"]).run()
    app.text_input[0].set_value("locaux pas chers").run()
    assert not app.exception
    texts = [m.value for m in app.markdown]
    assert any(t.startswith(":blue-background[Dispositif]") for t in texts)
    assert not any("Passage du document" in t for t in texts)
    assert not any("Montant :" in t or "Dispositif de soutien" in t for t in texts)


def test_search_names_an_unknown_axis() -> None:
    app = page("search.py").run()
    app.text_input[1].set_value("Z.9")
    app.text_input[0].set_value("locaux").run()
    assert any("« Z.9 »" in w.value and "A.1" in w.value for w in app.warning)


def test_scheme_finder_splits_the_home_territory_from_the_others() -> None:
    app = page("schemes.py").run()
    app.text_area[0].set_value("association d'insertion qui veut créer une recyclerie")
    app.multiselect[0].set_value(["financement"])
    app.number_input[0].set_value(10000)
    app.button[0].click().run()
    assert not app.exception
    headers = [h.value for h in app.subheader]
    assert headers[0].startswith("Sur votre territoire")
    assert headers[1].startswith("Exemples d'autres territoires (non accessibles depuis")


def test_roadmap_browses_axes_and_actions() -> None:
    app = page("roadmap.py").run()
    assert not app.exception
    assert [h.value[:6] for h in app.header][:3] == ["Axe A ", "Axe B ", "Axe C "]
    assert len([e for e in app.expander if e.label[:1] in "ABC"]) == 9
    app.selectbox[0].set_value("insertion").run()
    assert app.subheader[0].value.startswith("insertion : ")


def test_quality_page_reads_in_words() -> None:
    app = page("quality.py").run()
    assert not app.exception
    labels = [m.label for m in app.metric]
    assert "Réponses complètes" in labels and "Refus à tort" in labels
    assert any(e.label.count(" · ") >= 2 for e in app.expander)  # failing questions


def test_feedback_survives_a_restart_and_exports_csv(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path)
    store.add("Q ?", "R [1]", useful=True, comment=" clair ")
    store.add("Q2 ?", "R2", useful=False)
    again = FeedbackStore(tmp_path)
    rows = again.rows()
    assert [(r[2], r[4], r[5]) for r in rows] == [("Q ?", 1, "clair"), ("Q2 ?", 0, "")]
    assert again.to_csv().splitlines()[0] == "id,created_at,question,answer,useful,comment"


def test_corpus_text_is_shown_as_text() -> None:
    assert escape_markdown("<b>x</b> [lien](#)") == "\\<b\\>x\\</b\\> \\[lien\\]\\(\\#\\)"
    assert highlight("Les recycleries <script>", "recyclerie") == "Les **recycleries** \\<script\\>"
    exported = conversation_markdown([
        {"role": "user", "content": "Q ?"},
        {"role": "assistant", "content": "R [1]", "citations": [{"number": 1, "text": "t",
         "source": {"document": "d.md", "section": "S"}}]},
    ])  # fmt: skip
    assert "## Question" in exported and "[1] d.md § S — « t »" in exported
