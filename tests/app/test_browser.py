"""The real Streamlit app in headless Chromium at desktop (1280×900) and phone (390×844) sizes:
each page used as people use it, a screenshot of each, and axe-core's accessibility check.

Needs Debian's chromium (`apt-get install chromium`; .ci/run installs it) and axe-core from npm
(`make install` puts it under .venv/npm). Without them the tests are skipped, except in CI (CI
set), where a missing browser or axe-core fails the run.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.config import Settings
from tests.conftest import REPO, free_port, index_env, running, serve_command

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE = Path(os.environ.get("AXE_CORE_JS", REPO / ".venv/npm/node_modules/axe-core/axe.min.js"))
SHOTS = REPO / "tests" / "artifacts"
WAIT_MS = 120_000
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        pytest.fail("chromium is missing: install it with `apt-get install chromium`")
    pytest.skip("chromium is not installed (apt-get install chromium)", allow_module_level=True)

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402


@pytest.fixture(scope="module")
def app_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A real `streamlit run` of the app over the real index, on a free localhost port (or the
    app already running at ASSISTANT_APP_URL, to work on these tests)."""
    if os.environ.get("ASSISTANT_APP_URL"):
        yield os.environ["ASSISTANT_APP_URL"].rstrip("/")
        return
    settings: Settings = request.getfixturevalue("real_index_settings")
    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", "app/streamlit_app.py",
               "--server.port", str(port), "--server.address", "127.0.0.1",
               "--server.headless", "true", "--browser.gatherUsageStats", "false"]  # fmt: skip
    env = {**index_env(settings), "ASSISTANT_DATA_DIR": str(tmp_path_factory.mktemp("data"))}
    with running(command, f"http://127.0.0.1:{port}/_stcore/health", env=env) as health:
        yield health.removesuffix("/_stcore/health")


ADMIN_TOKEN = "jeton-de-test-navigateur-0123456789"


@pytest.fixture(scope="module")
def admin_app_url(
    real_index_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The app as staff run it: a real service holding an admin token, and the app talking to it
    over HTTP (ASSISTANT_SERVICE_URL)."""
    data = tmp_path_factory.mktemp("admin-data")
    env = {**index_env(real_index_settings), "ASSISTANT_DATA_DIR": str(data)}
    port = free_port()
    with running(serve_command(port), f"http://127.0.0.1:{port}/health",
                 env={**env, "ASSISTANT_ADMIN_TOKEN": ADMIN_TOKEN}) as health:  # fmt: skip
        app_port = free_port()
        command = [sys.executable, "-m", "streamlit", "run", "app/streamlit_app.py",
                   "--server.port", str(app_port), "--server.address", "127.0.0.1",
                   "--server.headless", "true", "--browser.gatherUsageStats", "false"]  # fmt: skip
        app_env = {**env, "ASSISTANT_SERVICE_URL": health.removesuffix("/health")}
        with running(command, f"http://127.0.0.1:{app_port}/_stcore/health", env=app_env) as app:
            yield app.removesuffix("/_stcore/health")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture(params=list(SIZES))
def size(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def page(browser: Browser, size: str) -> Iterator[Page]:
    context = browser.new_context(viewport=SIZES[size], locale="fr-FR")  # type: ignore[arg-type]
    opened = context.new_page()
    yield opened
    context.close()


def visit(page: Page, url: str) -> None:
    page.goto(url)
    page.locator('[data-testid="stApp"]').wait_for(timeout=WAIT_MS)
    expect(page.locator("h1").first).to_be_visible(timeout=WAIT_MS)
    page.wait_for_function("document.documentElement.lang === 'fr'", timeout=WAIT_MS)
    settle(page)


def settle(page: Page) -> None:
    """Wait until Streamlit has run the script and redrawn the page (nothing stale, no spinner)."""
    page.wait_for_timeout(300)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=WAIT_MS)
    page.wait_for_function(
        "document.querySelectorAll('[data-stale=\"true\"]').length === 0", timeout=WAIT_MS
    )
    page.wait_for_timeout(500)


def shoot(page: Page, name: str, size: str) -> None:
    """The whole page: Streamlit scrolls inside its main block, so the window is made as tall."""
    SHOTS.mkdir(exist_ok=True)
    viewport = SIZES[size]
    # Chat pages scroll in another element (the one that sticks to the bottom): take the tallest
    # of the elements that scroll.
    height = page.evaluate(
        """Math.max(...[...document.querySelectorAll('*')]
               .filter(e => ['auto', 'scroll'].includes(getComputedStyle(e).overflowY))
               .map(e => e.scrollHeight), document.documentElement.scrollHeight)"""
    )
    page.set_viewport_size({"width": viewport["width"], "height": min(int(height) + 80, 8000)})
    page.wait_for_timeout(500)
    page.screenshot(path=str(SHOTS / f"{name}-{size}.png"))
    page.set_viewport_size(viewport)  # type: ignore[arg-type]


def serious_violations(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page (WCAG 2.1 A and AA rules)."""
    if not AXE.exists():
        if os.environ.get("CI"):
            pytest.fail(f"axe-core is missing at {AXE}: run `make install` (needs npm)")
        pytest.skip(f"axe-core is not installed at {AXE} (make install, with npm)")
    page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate(
        """async () => await axe.run(document, {
               runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"""
    )
    found = []
    for violation in result["violations"]:
        if violation["impact"] in {"serious", "critical"}:
            targets = "; ".join(str(node["target"]) for node in violation["nodes"][:3])
            found.append(
                f"{violation['id']} ({violation['impact']}): {violation['help']} — {targets}"
            )
    return found


def assert_accessible(page: Page) -> None:
    """French, no developer tools, and no serious or critical axe-core violation."""
    assert page.evaluate("document.documentElement.lang") == "fr"
    assert page.get_by_role("button", name="Deploy").count() == 0
    page.get_by_test_id("stMainMenuButton").click()
    menu = page.get_by_test_id("stMainMenuList").inner_text()
    assert "Print" in menu and "Clear cache" not in menu and "Rerun" not in menu
    page.keyboard.press("Escape")
    settle(page)
    assert serious_violations(page) == []


def test_chat_answers_with_chips_sources_follow_ups_and_one_vote(
    page: Page, app_url: str, size: str
) -> None:
    visit(page, app_url)
    chat = page.get_by_placeholder("Posez votre question")
    chat.fill("Quelles actions soutiennent l'économie circulaire ?")
    chat.press("Enter")
    sources = page.get_by_text("Sources (", exact=False).first
    expect(sources).to_be_visible(timeout=WAIT_MS)
    settle(page)
    answer = page.locator('[data-testid="stChatMessage"]').last
    expect(answer.get_by_text("C.2.2", exact=False).first).to_be_visible()
    assert answer.locator("span", has_text="1").first.is_visible()  # a chip, not "[1]"
    assert "[1]" not in answer.inner_text()
    sources.click()
    expect(page.get_by_text("voir dans le document").first).to_be_visible()
    document = page.locator('[data-testid="stExpander"] strong', has_text=".md").first
    expect(document).to_be_visible()
    expect(page.get_by_text("Questions suivantes possibles")).to_be_visible()
    page.get_by_role("button", name="👎 Pas utile").click()
    page.get_by_role("button", name="incomplet").click()
    settle(page)
    page.get_by_role("button", name="Envoyer l'avis").click()
    expect(page.get_by_text("Votre avis : réponse pas utile (incomplet)")).to_be_visible(
        timeout=WAIT_MS
    )
    # one vote per answer: the buttons go once the rerun that records the vote has drawn
    expect(page.get_by_role("button", name="👍 Utile")).to_have_count(0, timeout=WAIT_MS)
    shoot(page, "chat", size)
    assert_accessible(page)


def test_a_follow_up_shows_the_question_as_understood(page: Page, app_url: str, size: str) -> None:
    if size == "phone":
        pytest.skip("the rewrite is the same at both sizes; the phone chat is checked above")
    visit(page, app_url)
    chat = page.get_by_placeholder("Posez votre question")
    chat.fill("Quels dispositifs existent à Nantes ?")
    chat.press("Enter")
    expect(page.get_by_text("Sources (", exact=False).first).to_be_visible(timeout=WAIT_MS)
    settle(page)
    chat.fill("et à Lyon ?")
    chat.press("Enter")
    expect(page.get_by_text("Question comprise", exact=False)).to_be_visible(timeout=WAIT_MS)
    settle(page)
    shoot(page, "chat-follow-up", size)


def test_search_cards_and_an_unknown_filter_value(page: Page, app_url: str, size: str) -> None:
    visit(page, f"{app_url}/search?q=locaux+pas+chers+pour+une+association")
    expect(page.locator("h4").first).to_be_visible(timeout=WAIT_MS)
    text = page.locator('[data-testid="stMain"]').inner_text()
    assert "Montant :" not in text and "Dispositif de soutien :" not in text
    assert "grenoble-hotels-activites-artis" not in text
    expect(page.locator("strong", has_text="locaux").first).to_be_visible()  # the match, in bold
    shoot(page, "search", size)
    assert_accessible(page)
    visit(page, f"{app_url}/search?q=locaux&axe=Z.9")
    warning = page.get_by_text("Aucun axe « Z.9 » dans le corpus", exact=False)
    expect(warning).to_be_visible(timeout=WAIT_MS)
    assert "Valeurs possibles : A, A.1" in warning.inner_text()
    assert "Choose" not in page.locator('[data-testid="stMain"]').inner_text()  # filters in French


def test_scheme_finder_splits_home_and_other_territories(
    page: Page, app_url: str, size: str
) -> None:
    visit(page, f"{app_url}/schemes")
    page.get_by_label("Votre projet").fill(
        "association d'insertion qui veut créer une recyclerie, besoin de 10 000 € pour démarrer"
    )
    page.get_by_role("button", name="Trouver des dispositifs").click()
    home = page.get_by_role("heading", name="Sur votre territoire", exact=False)
    expect(home).to_be_visible(timeout=WAIT_MS)
    settle(page)
    other = page.get_by_role("heading", name="Exemples d'autres territoires", exact=False)
    expect(other).to_be_visible()
    assert "non accessibles depuis" in other.inner_text()
    text = page.locator('[data-testid="stMain"]').inner_text()
    elsewhere = text.split("Exemples d'autres territoires", 1)[1]
    assert "✔" not in elsewhere  # no green fit on a scheme the project cannot apply to
    assert "Montants" in elsewhere and " par projet" in elsewhere
    assert "Choose" not in text  # Streamlit's English placeholder
    home_text = text.split("Exemples d'autres territoires", 1)[0]
    # a local body's contact is the document's, or said plainly to be missing; never invented
    assert "Contact : " in home_text
    assert "non indiqué" not in home_text
    hrefs = page.locator('[data-testid="stMain"] a').evaluate_all(
        "links => links.map(link => link.getAttribute('href'))"
    )
    relative = [h for h in hrefs if h and not h.startswith(("#", "/", "http", "mailto:"))]
    assert relative == []  # a bare site name would be a link relative to the app
    shoot(page, "schemes", size)
    assert_accessible(page)


def test_roadmap_charts_table_and_theme_actions(page: Page, app_url: str, size: str) -> None:
    visit(page, f"{app_url}/roadmap")
    expect(page.get_by_text("Actions par axe et par thème")).to_be_visible(timeout=WAIT_MS)
    chart = page.locator('[data-testid="stVegaLiteChart"]').first
    chart.locator("canvas, svg").first.wait_for(timeout=WAIT_MS)
    page.get_by_role("tab", name="Tableaux").click()
    expect(page.get_by_role("rowheader", name="économie circulaire")).to_be_visible()
    page.get_by_role("tab", name="Graphiques").click()
    page.get_by_label("Actions du thème", exact=False).click()
    page.keyboard.type("circulaire")  # the list is virtualised: filter it, as a person would
    page.get_by_role("option", name="économie circulaire").click()
    settle(page)
    expect(page.get_by_role("heading", name="économie circulaire :", exact=False)).to_be_visible()
    shoot(page, "roadmap", size)
    assert_accessible(page)


def test_quality_reads_in_words_with_trend_and_failing_questions(
    page: Page, app_url: str, size: str
) -> None:
    visit(page, f"{app_url}/quality")
    expect(page.get_by_text("Réponses complètes").first).to_be_visible(timeout=WAIT_MS)
    for words in ("Refus justifiés", "Refus à tort", "objectif", "Évolution", "Questions en échec",
                  "Mesures par révision évaluée"):  # fmt: skip
        expect(page.get_by_text(words, exact=False).first).to_be_visible()
    text = page.locator('[data-testid="stMain"]').inner_text()
    assert "recall@1" not in text and "mrr@10" not in text
    # The trend has a y scale (tick labels in %): a chart squeezed by its own axes and legend
    # drew every point on one line with none. Each measure is in its legend.
    chart = page.locator('[data-testid="stVegaLiteChart"]').first
    expect(chart.get_by_text("Réponses complètes")).to_be_attached()
    chart_text = chart.inner_text()
    assert len(re.findall(r"\d+\s?%", chart_text)) >= 3, chart_text
    assert all(m in chart_text for m in ("Réponses complètes", "Refus justifiés", "Refus à tort"))
    assert " · ? · " not in text  # every failed question has its kind (batches included)
    summary = page.locator("summary", has_text=" · ")
    failed = page.locator('[data-testid="stExpander"]').filter(has=summary).first
    expect(failed).to_be_visible()
    failed.locator("summary").click()
    expect(failed.get_by_text("Faits attendus")).to_be_visible()
    expect(failed.get_by_role("button", name="Voir la réponse de l'assistant")).to_be_visible()
    shoot(page, "quality", size)
    assert_accessible(page)


def test_document_view_opens_at_the_cited_passage(page: Page, app_url: str, size: str) -> None:
    path = sorted((REPO / "corpus" / "documents").glob("*.md"))[0]
    text = path.read_text(encoding="utf-8")
    # a passage as citations give one: the document's first paragraph of text
    line = next(ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#"))
    start = text.index(line)
    visit(page, f"{app_url}/document?doc={path.name}&start={start}&end={start + len(line)}")
    expect(page.get_by_text("Passage cité", exact=True)).to_be_visible(timeout=WAIT_MS)
    assert "caractères" not in page.locator('[data-testid="stMain"]').inner_text()  # no offsets
    shoot(page, "document", size)
    assert_accessible(page)


def test_on_a_phone_the_sidebar_closes_after_navigation(
    page: Page, app_url: str, size: str
) -> None:
    if size != "phone":
        pytest.skip("the sidebar covers the page only on a phone")
    visit(page, app_url)
    sidebar = page.locator('[data-testid="stSidebar"]')
    expect(sidebar).to_have_attribute("data-collapsed", "true")  # closed on a phone at first
    page.get_by_test_id("stExpandSidebarButton").click()
    expect(sidebar).to_have_attribute("data-collapsed", "false")
    page.locator('[data-testid="stSidebarNav"] a', has_text="Recherche").click()
    expect(page.get_by_role("heading", name="Recherche")).to_be_visible(timeout=WAIT_MS)
    expect(sidebar).to_have_attribute("data-collapsed", "true", timeout=10_000)
    settle(page)
    shoot(page, "phone-after-navigation", size)


def test_admin_lists_the_documents_once_the_token_is_given(
    page: Page, admin_app_url: str, size: str
) -> None:
    visit(page, f"{admin_app_url}/admin")
    token = page.get_by_label("Jeton d'administration")
    expect(token).to_be_visible(timeout=WAIT_MS)
    assert page.get_by_text("Documents du corpus").count() == 0  # nothing before the token
    token.fill(ADMIN_TOKEN)
    token.press("Enter")
    expect(page.get_by_text("Documents du corpus")).to_be_visible(timeout=WAIT_MS)
    settle(page)
    expect(page.get_by_role("button", name="Reconstruire l'index")).to_be_visible()
    expect(page.get_by_role("button", name="Exporter les avis (CSV)")).to_be_visible()
    name = sorted(p.name for p in (REPO / "corpus" / "documents").glob("*.md"))[0]
    # the table is drawn on a canvas; its cells are in the page for screen readers
    expect(page.locator('[role="gridcell"]', has_text=name).first).to_be_attached()
    shoot(page, "admin", size)
    assert_accessible(page)
