"""The answering package: the lexicon loader, the question analysis, follow-up detection, and
the router on the real corpus indexed with the fake embedder (fast), then a few answers with
the real model."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from assistant import wiring
from assistant.answering import Answerer
from assistant.answering.analysis import QuestionAnalyser
from assistant.answering.conversation import Turn
from assistant.answering.followup import is_follow_up
from assistant.answering.lexicon import LEXICON_DIR, LexiconError, load_lexicon
from assistant.assistant import Assistant
from assistant.build import build_index
from assistant.config import Settings
from assistant.index.store import load_index
from assistant.ingest.catalog import load_catalog
from assistant.retrieval.glossary import Glossary
from assistant.retrieval.lexical import FrenchAnalyzer
from assistant.types import Answer, Document
from assistant.wiring import build_retriever
from tests.conftest import CORPUS, FakeEmbedder

LEXICON = load_lexicon()
GAZETTEER = wiring.gazetteer(Settings(corpus_dir=CORPUS))  # with the home territory
GLOSSARY = Glossary.load(CORPUS / "glossary.yaml")
ANALYSER = QuestionAnalyser(LEXICON, GAZETTEER, GLOSSARY)


# The lexicon ----------------------------------------------------------------------------------


def test_the_lexicon_loads_every_language_and_merges_their_cues() -> None:
    needs = dict(LEXICON.needs)
    assert needs["amount"].search("quel budget") and needs["amount"].search("how much")
    assert LEXICON.line("fr", "declined", corpus="Les documents", topic="x").startswith(
        "Les documents : aucune information"
    )
    assert LEXICON.not_given_line("fr", "day", "la date limite").startswith(
        "Le document ne donne pas de date"
    )
    assert LEXICON.not_given_line("en", None, "x").startswith("The document does not answer")


def test_a_broken_lexicon_is_reported_with_its_file_and_key(tmp_path: Path) -> None:
    shutil.copy(LEXICON_DIR / "fr.yaml", tmp_path / "fr.yaml")
    text = (tmp_path / "fr.yaml").read_text(encoding="utf-8")
    broken = re.sub(r"^next: .*$", 'next: "(prochain"', text, flags=re.MULTILINE)
    assert broken != text
    (tmp_path / "fr.yaml").write_text(broken)
    with pytest.raises(LexiconError, match=r"fr\.yaml: next is not a valid pattern"):
        load_lexicon(tmp_path)
    (tmp_path / "fr.yaml").write_text(text.replace("  declined:", "  refused:"))
    with pytest.raises(LexiconError, match=r"missing label labels\.declined"):
        load_lexicon(tmp_path)
    (tmp_path / "fr.yaml").unlink()
    with pytest.raises(LexiconError, match=r"no fr\.yaml"):
        load_lexicon(tmp_path)


# The analysis ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("Quelles actions soutiennent l'économie circulaire ?", "list"),
        ("Combien de bénévoles sur le territoire ?", "fact"),
        ("Nantes ou Rennes : quel montant moyen par projet ?", "comparison"),
        ("Quelles aides pour financer une ressourcerie ?", "list"),
        ("Y a-t-il une subvention pour une ressourcerie ?", "scheme"),
        ("Je monte une recyclerie, il me faut 10 000 € : qui peut m'aider ?", "project"),
        ("Quel temps fera-t-il à Paris demain ?", "out_of_scope"),
        # support in other words, a project introduced with an adjective
        (
            "Notre jeune association veut ouvrir un café associatif, qui peut nous épauler ?",
            "project",
        ),
        ("My new association wants to open a bike workshop: is there any training?", "project"),
        ("Notre asso veut monter un repair café, un coup de pouce possible ?", "project"),
        ("Which actions of the roadmap concern food?", "list"),  # "which" + a plural
        ("Which bank runs the Nantes loan fund?", "scheme"),  # one thing asked: no list
    ],
)
def test_the_intent_of_a_question(question: str, intent: str) -> None:
    assert ANALYSER.analyse(question).intent == intent


def test_a_project_description_asks_only_in_its_questions() -> None:
    stated = ANALYSER.analyse(
        "Notre asso monte un jardin partagé à Rennes, budget 5 000 €. Ce prix nous conviendrait ?"
    )
    assert stated.project is not None and stated.parts[0].need is None  # a budget stated
    asked = ANALYSER.analyse(
        "Notre asso monte un jardin partagé à Rennes. Combien d'euros peut-on espérer ?"
    )
    assert asked.parts[0].need == "amount"


def test_the_analysis_holds_the_entities_named() -> None:
    analysis = ANALYSER.analyse("Combien de SCIC à Rennes en 2023 selon la GPEC ?")
    assert analysis.territories == ("Rennes Métropole",)
    assert analysis.years == frozenset({"2023"})
    assert "GPEC" in analysis.names and analysis.fact is not None
    assert analysis.fact.need == "count" and analysis.language == "fr"
    implied = ANALYSER.analyse("Quel est le budget de la feuille de route ?")
    assert implied.home == "Niort Agglo" and implied.territories == ()


def test_a_place_named_as_context_does_not_make_the_question_out_of_scope() -> None:
    analysis = ANALYSER.analyse(
        "Notre SCIC est installée à Angers et veut ouvrir une antenne à Nantes : "
        "peut-elle candidater ?"
    )
    assert analysis.intent != "out_of_scope"
    assert analysis.uncovered == ("other",) and analysis.territories == ("Nantes Métropole",)
    assert ANALYSER.analyse("Quelles aides à Angers ?").intent == "out_of_scope"


def test_a_multi_part_question_has_one_part_per_fact_asked() -> None:
    analysis = ANALYSER.analyse(
        "Peut-on cumuler subvention et avance remboursable, et y a-t-il une date limite ?"
    )
    assert analysis.multi_part
    assert [part.need for part in analysis.parts] == [None, "day"]
    counted = ANALYSER.analyse("Combien de bénévoles et de salariés dans l'ESS ?")
    assert not counted.multi_part and counted.fact is not None
    assert counted.fact.subjects == ("benevoles", "salaries")


def test_a_remark_after_a_question_is_not_a_part_of_its_own() -> None:
    remark = ANALYSER.analyse(
        "Quel est le numéro de téléphone de la chargée de mission ESS ? Un mail ne me suffit pas."
    )
    assert [part.need for part in remark.parts] == ["phone"] and not remark.multi_part
    two = ANALYSER.analyse(
        "Qui sélectionne les projets ? Et quand ont lieu les revues de projets ?"
    )
    assert two.multi_part and len(two.parts) == 2


def test_questions_of_no_particular_fact_stay_separate_parts() -> None:
    analysis = ANALYSER.analyse(
        "Un projet national peut-il candidater ? Et faut-il déjà avoir des salariés ?"
    )
    assert len(analysis.parts) == 2 and all(part.fact is None for part in analysis.parts)
    clause = ANALYSER.analyse("À quoi sert le portail, et il sera en ligne quand ?")
    assert [part.need for part in clause.parts] == [None, "date"]  # ", et il …": a new clause
    asking = ANALYSER.analyse("L'appel vise quel effet, et l'enveloppe globale c'est combien ?")
    assert [part.need for part in asking.parts] == [None, "amount"]  # a question word follows
    listing = ANALYSER.analyse("Quels sont les axes de la feuille de route, et leurs actions ?")
    assert not listing.multi_part
    context = ANALYSER.analyse("Notre SCIC est à Angers : peut-elle candidater à Nantes ?")
    assert not context.multi_part


def test_a_project_description_gives_stage_need_and_amount() -> None:
    analysis = ANALYSER.analyse(
        "Je monte une recyclerie associative à Niort, il me faut 10 000 € pour démarrer"
    )
    assert analysis.project is not None
    assert analysis.project.amount_eur == 10_000
    assert analysis.project.stage == "émergence"
    assert "financement" in analysis.project.needs
    assert analysis.home == "Niort Agglo"


# Follow-ups -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "follow_up"),
    [
        ("et à Nantes ?", True),
        ("lesquelles concernent l'alimentation ?", True),
        ("Combien ça représente ?", True),
        ("What about Lille?", True),
        ("Combien de bénévoles sur le territoire ?", False),  # short, but says what it is about
        ("Qui préside le comité ?", False),
        ("Combien ça coûte à Rennes ?", True),  # "ça": the thing is the previous question's
        ("Quels sont leurs montants à Nantes ?", False),  # points back, but names a territory
    ],
)
def test_a_follow_up_is_a_question_that_cannot_stand_alone(question: str, follow_up: bool) -> None:
    found = is_follow_up(
        question,
        lexicon=LEXICON,
        gazetteer=GAZETTEER,
        glossary=GLOSSARY,
        analyzer=FrenchAnalyzer(),
    )
    assert found is follow_up


# The router on the real corpus, fake embedder -------------------------------------------------


@pytest.fixture(scope="module")
def fake_answerer(tmp_path_factory: pytest.TempPathFactory) -> Answerer:
    root = tmp_path_factory.mktemp("fake-real")
    for name in ("documents", "records"):
        shutil.copytree(CORPUS / name, root / "corpus" / name)
    for name in ("glossary.yaml", "territories.yaml", "profile.yaml", "vocabulary.yaml"):
        shutil.copy(CORPUS / name, root / "corpus" / name)
    settings = Settings(corpus_dir=root / "corpus", index_dir=root / "index")
    embedder = FakeEmbedder()
    build_index(settings, embedder=embedder, progress=False)
    index = load_index(settings.index_dir, embedder={}, chunking={})
    retriever = build_retriever(index, embedder, settings)
    documents = {
        n: Document(name=n, title=n, text=t, format="md") for n, t in index.documents.items()
    }
    catalog = load_catalog(settings.records_dir, documents)
    return Answerer(
        retriever,
        index.documents,
        wiring.gazetteer(settings),
        schemes=catalog.dispositifs,
        corpus_labels={"fr": "Les textes"},
    )


def _exact(answer: Answer, documents: dict[str, str]) -> bool:
    return all(
        documents[c.source.document][c.source.start : c.source.end] == c.text
        for c in answer.citations
    )


def test_a_question_about_nothing_the_documents_mention_is_declined_plainly(
    fake_answerer: Answerer,
) -> None:
    answer = fake_answerer.answer("météo demain ?")
    assert answer.abstained and answer.citations == []
    assert answer.text == "Les textes : aucune information sur « météo demain »."


def test_a_home_project_gets_local_support_before_other_territories(
    fake_answerer: Answerer,
) -> None:
    answer = fake_answerer.answer(
        "Je monte une recyclerie associative à Niort, il me faut 10 000 € pour démarrer, "
        "qui peut m'aider ?"
    )
    assert not answer.abstained
    text = answer.text
    local = text.index("Sur Niort Agglo, les acteurs de l'accompagnement")
    assert "France Active" in text[local:]
    elsewhere = text.find("Exemples d'autres territoires")
    if elsewhere >= 0:
        assert local < elsewhere
        examples = text[elsewhere:].splitlines()[1:]
        assert examples and all("réservé au territoire de" in line for line in examples if line)
    assert _exact(answer, dict(fake_answerer.documents))


def test_related_passages_are_not_among_the_citations(fake_answerer: Answerer) -> None:
    answer = fake_answerer.answer("Combien de bénévoles sur le territoire ?")
    cited = {c.unit_id for c in answer.citations}
    assert answer.related and not cited & {r.unit_id for r in answer.related}
    for passage in answer.related:
        document = fake_answerer.documents[passage.source.document]
        assert document[passage.source.start : passage.source.end] == passage.text


def test_a_standalone_question_is_not_rewritten_after_history(fake_answerer: Answerer) -> None:
    history = [
        Turn("user", "Quelles actions soutiennent l'économie circulaire ?"),
        Turn("assistant", "…"),
    ]
    standalone = fake_answerer.answer("Combien de bénévoles sur le territoire ?", history=history)
    assert standalone.resolved_question is None
    follow = fake_answerer.answer("et lesquelles concernent l'alimentation ?", history=history)
    assert follow.resolved_question is not None
    assert follow.resolved_question.startswith("Quelles actions soutiennent")


def test_a_part_the_documents_do_not_answer_gets_a_plain_line(fake_answerer: Answerer) -> None:
    answer = fake_answerer.answer(
        "Que prévoit l'action sur les recycleries, et quelle est la date limite de dépôt ?"
    )
    if not answer.abstained:  # the first part is answered: the second says it is not
        assert "Le document ne donne pas de date précise" in answer.text


# A few answers with the real model ------------------------------------------------------------


@pytest.fixture(scope="module")
def assistant(real_index_settings: Settings) -> Assistant:
    return Assistant.load(real_index_settings)


def test_real_a_factoid_is_short_and_leads_with_the_fact(assistant: Assistant) -> None:
    answer = assistant.ask("Combien de bénévoles sur le territoire ?")
    assert not answer.abstained and "29 000" in answer.text.split("\n")[0]
    assert len(answer.text) <= 400


def test_real_an_open_question_keeps_only_the_lines_as_close_as_its_best(
    assistant: Assistant,
) -> None:
    answer = assistant.ask("Comment les associations sans salariés sont-elles prises en compte ?")
    assert not answer.abstained and "Seules les structures employeuses" in answer.text
    assert len(answer.text.split("\n\n")) <= 2 and len(answer.text) <= 600


def test_real_a_budget_the_roadmap_never_states_is_declined(assistant: Assistant) -> None:
    answer = assistant.ask("Quel est le budget de la feuille de route ?")
    assert answer.abstained
    assert "Toulouse" not in answer.text.split("\n")[0]


def test_real_a_home_project_gets_local_support_first(assistant: Assistant) -> None:
    answer = assistant.ask(
        "Je monte une recyclerie associative à Niort, il me faut 10 000 € pour démarrer, "
        "qui peut m'aider ?"
    )
    lines = answer.text.splitlines()
    assert lines[0].startswith("Sur Niort Agglo")
    assert any("France Active" in line for line in lines[:6])
    examples = answer.text.find("Exemples d'autres territoires")
    assert examples < 0 or answer.text.index("France Active") < examples


def test_real_a_scheme_question_on_one_field_gets_that_field_of_the_card(
    assistant: Assistant,
) -> None:
    answer = assistant.ask("ESS Nantes Factory : à quel moment de l'année se passent les revues ?")
    assert not answer.abstained
    assert "Calendrier" in answer.text and "janvier" in answer.text
    assert "Montants" not in answer.text and "Autres dispositifs proches" not in answer.text


def test_real_a_scheme_fact_asked_and_found_is_not_followed_by_the_whole_card(
    assistant: Assistant,
) -> None:
    answer = assistant.ask("Quel est le plafond du prix de l'innovation sociale de Nantes ?")
    first, *rest = answer.text.splitlines()
    assert not answer.abstained and "20 000 €" in first
    assert any(line.startswith("**Prix de l'innovation sociale") for line in rest)
    assert "lancé en 2017" not in answer.text  # the card's summary: not what was asked
    assert "Conditions" not in answer.text and len(answer.text) <= 400


def test_real_a_general_scheme_question_gets_the_whole_short_card(assistant: Assistant) -> None:
    answer = assistant.ask("Parle-moi de l'ESS Nantes Factory")
    assert all(label in answer.text for label in ("Montants", "Conditions", "Calendrier"))


def test_real_which_territories_lists_only_those_that_do_it(assistant: Assistant) -> None:
    answer = assistant.ask(
        "Which territories use public procurement to support the social economy?"
    )
    assert answer.text.split("\n")[0].startswith("**Métropole Européenne de Lille**")
    assert "**Niort Agglo**" not in answer.text and "**Grand Poitiers**" not in answer.text


def test_real_a_comparison_of_a_fact_shows_no_scheme_card(assistant: Assistant) -> None:
    answer = assistant.ask(
        "Combien de personnes travaillent au service ESS, à Toulouse et à Rennes ?"
    )
    assert "**Toulouse Métropole**" in answer.text
    assert (
        "Montants" not in answer.text and "Appel à projets « Toulouse Impact »" not in answer.text
    )


def test_real_a_project_gets_the_actions_of_its_own_theme_first(assistant: Assistant) -> None:
    # "ressourcerie" is a glossary synonym of "recyclerie", whose forms name the theme
    # "économie circulaire": the first action listed is filed under that theme.
    answer = assistant.ask(
        "On lance une ressourcerie à Niort, il nous faut un coup de pouce financier"
    )
    circular = {u.metadata["record_id"] for u in assistant.answerer.evidence.actions_by_theme[
        "economie circulaire"]}  # fmt: skip
    after = answer.text.split("Les actions de la feuille de route")[1]
    first = after.split("**")[1]
    assert first in circular, (first, circular)


def test_real_a_count_of_other_things_does_not_answer(assistant: Assistant) -> None:
    # Toulouse's incubator is staffed in ETP: no number of places is given anywhere.
    answer = assistant.ask("Combien de places d'incubation propose Première Brique à Toulouse ?")
    assert answer.abstained
    jobs = assistant.ask("L'ESS représente combien d'emplois dans l'agglo ?")
    assert not jobs.abstained and "12 300 salariés" in jobs.text  # counted_as: emplois


def test_real_a_part_naming_what_it_asks_is_said_absent(assistant: Assistant) -> None:
    answer = assistant.ask(
        "La feuille de route sera évaluée tous les combien, et par quel organisme extérieur ?"
    )
    assert not answer.abstained and "chaque année" in answer.text
    assert "ne répond pas à « quel organisme extérieur »" in answer.text


def test_real_each_part_of_no_particular_fact_gets_its_own_line(assistant: Assistant) -> None:
    answer = assistant.ask(
        "Combien de salariés compte l'ESS niortaise, et quelles familles de l'ESS sont présentes ?"
    )
    lines = [line for line in answer.text.split("\n") if line.strip()]
    assert "12 300 salariés" in lines[0]
    assert any("familles" in line for line in lines[1:]) and "ne répond pas" not in answer.text


def test_real_a_record_fact_is_quoted_from_the_line_of_the_document_saying_it(
    assistant: Assistant,
) -> None:
    answer = assistant.ask("À Toulouse, qui contacter pour l'ESS ?")
    first = answer.text.split("\n")[0]
    assert "Alexandra.VELAND@toulouse-metropole.fr" in first
    cited = answer.citations[0]
    document = assistant.index.documents[cited.source.document]
    assert document[cited.source.start : cited.source.end] == cited.text
    assert "Alexandra.VELAND@toulouse-metropole.fr" in cited.text
