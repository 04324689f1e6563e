"""The real Streamlit app in headless Chromium: ask, read the cited answer, find a scheme.

Needs Debian's chromium (`apt-get install chromium`; .ci/run installs it). Without it the test
is skipped, except in CI (CI set), where a missing browser fails the run.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.config import Settings
from tests.conftest import REPO, free_port, index_env, running

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = REPO / "tests" / "artifacts"
WAIT_MS = 120_000

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        pytest.fail("chromium is missing: install it with `apt-get install chromium`")
    pytest.skip("chromium is not installed (apt-get install chromium)", allow_module_level=True)

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402


@pytest.fixture(scope="module")
def app_url(
    real_index_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", "app/streamlit_app.py",
               "--server.port", str(port), "--server.headless", "true",
               "--browser.gatherUsageStats", "false"]  # fmt: skip
    env = {**index_env(real_index_settings),
           "ASSISTANT_DATA_DIR": str(tmp_path_factory.mktemp("data"))}  # fmt: skip
    with running(command, f"http://127.0.0.1:{port}/_stcore/health", env=env) as health:
        yield health.removesuffix("/_stcore/health")


@pytest.fixture
def page(app_url: str) -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )  # fmt: skip
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(app_url)
        yield page
        browser.close()


def test_ask_in_the_chat_and_open_a_citation(page: Page) -> None:
    SHOTS.mkdir(exist_ok=True)
    chat = page.get_by_placeholder("Posez votre question")
    chat.wait_for(timeout=WAIT_MS)
    chat.fill("Quelles actions soutiennent l'économie circulaire ?")
    chat.press("Enter")
    expect(page.get_by_text("C.2.2").first).to_be_visible(timeout=WAIT_MS)
    citation = page.get_by_text("[1] Axe stratégique A", exact=False).first
    expect(citation).to_be_visible(timeout=WAIT_MS)
    citation.click()
    expect(page.get_by_text("Porter les valeurs de l'ESS en organisant").last).to_be_visible()
    page.screenshot(path=str(SHOTS / "chat.png"), full_page=True)


def test_find_a_scheme_for_a_project(page: Page) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.get_by_role("link", name="Trouver un dispositif").click()
    description = page.get_by_label("Votre projet")
    description.wait_for(timeout=WAIT_MS)
    description.fill("association d'insertion qui veut créer une recyclerie, besoin de 10 000 € "
                     "pour démarrer")  # fmt: skip
    page.get_by_role("button", name="Trouver des dispositifs").click()
    expect(page.get_by_text("acteur local").first).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text("autre territoire").first).to_be_visible(timeout=WAIT_MS)
    page.screenshot(path=str(SHOTS / "schemes.png"), full_page=True)


@pytest.mark.parametrize(("link", "text"), [
    ("Recherche", "Rechercher dans la feuille de route"),
    ("Feuille de route", "Actions par axe et par thème"),
    ("Qualité", "Configuration par défaut"),
])  # fmt: skip
def test_other_pages_render(page: Page, link: str, text: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.get_by_role("link", name=link).click()
    expect(page.get_by_text(text).first).to_be_visible(timeout=WAIT_MS)
    page.screenshot(path=str(SHOTS / f"{link.lower().replace(' ', '-')}.png"), full_page=True)
