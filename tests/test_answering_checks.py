"""Follow-up questions and the checks that decide whether evidence answers a question."""

from __future__ import annotations

import pytest

from assistant import wiring
from assistant.answering import checks
from assistant.answering.checks import Salience, years
from assistant.answering.conversation import Turn
from assistant.answering.followup import resolve as resolve_follow_up
from assistant.answering.lexicon import Need, load_lexicon
from assistant.config import Settings
from assistant.retrieval.glossary import Glossary
from assistant.retrieval.lexical import FrenchAnalyzer
from tests.conftest import CORPUS

GAZETTEER = wiring.gazetteer(Settings(corpus_dir=CORPUS))  # with the home territory
GLOSSARY = Glossary.load(CORPUS / "glossary.yaml")
LEXICON = load_lexicon()


def need_of(question: str) -> Need | None:
    return checks.need_of(question, LEXICON)


def has_fact(sentence: str, need: Need) -> bool:
    return checks.has_fact(sentence, need, LEXICON)


class FactQuery:
    """The checks' FactQuery with the lexicon bound, as the answerer uses it."""

    def __init__(self, fact: checks.FactQuery) -> None:
        self.fact = fact
        self.need, self.counted, self.subjects = fact.need, fact.counted, fact.subjects

    @classmethod
    def of(cls, question: str, *, terms: frozenset[str] = frozenset()) -> FactQuery | None:
        fact = checks.FactQuery.of(question, LEXICON, terms=terms)
        return None if fact is None else cls(fact)

    def met_by(self, sentence: str) -> bool:
        return self.fact.met_by(sentence, LEXICON)


HISTORY = [
    Turn("user", "Combien rapporte le prix nantais de l'innovation sociale ?"),
    Turn("assistant", "Le montant de la dotation s'élève à 20 000 €. [1]"),
]


def resolve(question: str, history: list[Turn]) -> str:
    resolved = resolve_follow_up(
        question,
        history,
        lexicon=LEXICON,
        gazetteer=GAZETTEER,
        glossary=GLOSSARY,
        analyzer=FrenchAnalyzer(),
    )
    return question if resolved is None else resolved


def test_a_follow_up_on_another_territory_replaces_the_territory() -> None:
    assert resolve("et à Grand Poitiers ?", HISTORY) == (
        "Combien rapporte le prix de l'innovation sociale et à Grand Poitiers ?"
    )


def test_a_follow_up_refining_the_previous_question_keeps_it() -> None:
    history = [Turn("user", "Quelles actions soutiennent la coopération ?")]
    assert resolve("lesquelles concernent l'alimentation ?", history) == (
        "Quelles actions soutiennent la coopération lesquelles concernent l'alimentation ?"
    )


def test_a_standalone_question_is_left_alone() -> None:
    question = "Quels sont les trois axes stratégiques de la feuille de route ?"
    assert resolve(question, HISTORY) == question
    assert resolve("et à Nantes ?", []) == "et à Nantes ?"


def test_territories_are_found_by_name_and_adjective() -> None:
    assert [t.name for t in GAZETTEER.find("le prix nantais et Grand Poitiers")] == [
        "Nantes Métropole", "Grand Poitiers",
    ]  # fmt: skip
    strasbourg = GAZETTEER.find("l'Eurométropole de Strasbourg")
    assert strasbourg and not strasbourg[0].covered
    assert GAZETTEER.find("le patrimoine") == []


def test_an_acronym_names_a_territory_only_in_capitals() -> None:
    assert [t.name for t in GAZETTEER.find("les communes de la CAN et la MEL")] == [
        "Niort Agglo", "Métropole Européenne de Lille",
    ]  # fmt: skip
    assert GAZETTEER.find("What can the foundation offer? Send me an e-mel") == []


@pytest.mark.parametrize(
    ("question", "need"),
    [
        ("Quel budget annuel Niort Agglo met-elle sur sa feuille de route ?", "amount"),
        ("How much prize money will Niort give?", "amount"),
        ("What is the maximum grant a project can get?", "amount"),
        ("Combien de salariés chez Emmaüs Prahecq ?", "count"),
        ("Combien de bénévoles au total ? donne les deux chiffres", "count"),
        ("Quel est le nombre d'habitants de l'agglo ?", "count"),
        ("C'est quand la date limite de dépôt ?", "day"),
        ("Le forum a lieu depuis quelle année ?", "date"),
        ("Combien l'agglo verse-t-elle à France Active ?", "amount"),
        ("Quel poids pour l'ESS dans l'économie de Grand Poitiers ?", "share"),
        ("Qui contacter à Niort Agglo pour l'ESS ?", "contact"),
        ("Qui préside le comité de pilotage ?", "person"),
        ("Who is the mayor of Niort?", "person"),
        ("Je suis maire d'une commune, quel appui ?", None),
        ("Où seront situés les lieux totem ?", "place"),
        ("Quel est le loyer d'un bureau à l'hôtel d'activités ?", "amount"),
        ("What interest rate does the fund charge?", "share"),
        ("What is the occupancy rate of the building?", "share"),
        ("Quel est le taux d'occupation des hôtels d'activités ?", "share"),
        ("Les loyers sont-ils bas ?", None),
        ("Quel est le salaire de la chargée de mission ?", "amount"),
        ("When does the next call for projects open?", "day"),
        ("Quand le prix a-t-il été créé ?", "date"),
        ("Qu'est-ce que l'appel à projets apporte en plus de la dotation ?", None),
        ("Besides the money, what does the prize give?", None),
        ("Did Lille actually hit its insertion target?", "outcome"),
        ("L'objectif de 25 % a-t-il été atteint ?", "outcome"),
        ("Quel objectif la MEL vise-t-elle ?", None),
        ("Quelles actions soutiennent l'économie circulaire ?", None),
        ("Quelle superficie pour la future pépinière ?", "area"),
        ("How big is the incubator's floor space?", "area"),
        ("Quel chiffre d'affaires réalisent les coopératives ?", "amount"),
        ("Quelle part des marchés est réservée ?", "share"),
        ("How much of the travel costs does it cover?", "share"),
        ("Qui sont les référents ESS de la métropole ?", "person"),  # a role held by a person
        ("Who is the elected official for the social economy?", "person"),
        ("Pourquoi compter le nombre d'établissements ?", None),  # a reason, not a count
        ("Why does the fund give so much money?", None),
        ("Combien existe-t-il de tiers-lieux sur l'agglo ?", "count"),
        ("Le guichet, il est ouvert à quelle heure ?", "time"),  # a time of day, not a date
        ("Le forum de 2025, c'est à quelles dates exactement ?", "day"),  # not the year
        ("When does the call open this year?", "day"),
        ("By when does La Rochelle want to be carbon neutral?", "date"),  # a year answers
        ("Il faut quand même viser quoi pour l'avenir ?", None),  # "quand même": anyway
        ("When Niort decided to step up, how was that meant to fit with its plans?", None),
        ("The prize was created when?", "date"),
        ("What are the office's opening hours?", "time"),
        ("À Rennes, le comité, c'est qui qui le préside ?", "person"),
        ("Who's the person to get in touch with about premises?", "contact"),
    ],
)
def test_what_a_question_needs(question: str, need: str | None) -> None:
    assert need_of(question) == need


def test_facts_in_sentences() -> None:
    assert has_fact("une subvention d'un montant maximum de 10 000 € .", "amount")
    assert has_fact("enveloppe de 130K€", "amount") and not has_fact("en 2021", "amount")
    assert has_fact("environ 14 projets par an", "count") and not has_fact("en 2021", "count")
    assert has_fact("en février 2021", "date") and not has_fact("depuis , atteignant", "date")
    assert has_fact("essnantesfactory@nantesmetropole.fr", "contact")
    assert has_fact("Laurence PARC, chargée de mission", "person")
    assert years("édition 2023 et 2024") == {"2023", "2024"}
    assert has_fact("ouvert du lundi au vendredi de 9h à 17 h 30", "time")
    assert has_fact("permanence 14:00-16:00", "time") and not has_fact("en 2021, 3 projets", "time")


def test_a_share_is_not_an_amount_of_money() -> None:
    budget = FactQuery.of("Quel est le budget de la centrale d'achats ?")
    assert budget is not None and budget.need == "amount"
    assert not budget.met_by("une clause d'insertion dans 25 % des marchés")
    assert budget.met_by("un budget de 300K€")
    share = FactQuery.of("Quelle part des mobilités est financée ?")
    assert share is not None and share.met_by("un financement à hauteur de 80% des mobilités")
    assert share.met_by("la moitié des investissements") and not share.met_by("un budget de 6M€")


def test_the_figures_a_question_states_do_not_answer_it() -> None:
    question = "Et la région, combien d'établissements ? L'agglo est à 4,5 pour 1 000 habitants."
    asked = checks.FactQuery.of(question, LEXICON)
    assert asked is not None and asked.need == "count"
    stating = asked.stating(question)
    assert stating.given == {"4,5", "1000"}
    sentence = "Cela correspond à 4,5 établissements pour 1 000 habitants sur le territoire."
    assert asked.met_by(sentence, LEXICON) and not stating.met_by(sentence, LEXICON)
    other = "La région compte 3,9 établissements pour 1 000 habitants."
    assert stating.met_by(other, LEXICON)
    # A fact without figures is no figure of the question's: "la moitié" still gives a share.
    share = checks.FactQuery.of("Sur un budget de 6 M€, quelle part va aux associations ?", LEXICON)
    assert share is not None and share.stating("Sur un budget de 6 M€, quelle part ?").given
    assert share.stating("Sur un budget de 6 M€, quelle part ?").met_by(
        "la moitié des investissements", LEXICON
    )
    # A date asked knows no figures: "le prix de 20 000 €" does not date it.
    dated = checks.FactQuery.of("Le prix de 20 000 € a été créé en quelle année ?", LEXICON)
    assert dated is not None and dated.need == "date"
    assert dated.stating("Le prix de 20 000 € a été créé en quelle année ?") == dated


def test_a_target_is_not_an_outcome() -> None:
    assert not has_fact("un SPASER visant à horizon 2021 des objectifs ambitieux", "outcome")
    assert not has_fact("l'ambition d'atteindre la neutralité carbone", "outcome")
    assert has_fact("l'objectif a été atteint dès 2020", "outcome")


def test_numbers_that_name_things_are_not_counts() -> None:
    assert not has_fact("C.2.1 : Soutenir les démarches collectives (SCIC)", "count")
    assert not has_fact("Fondation – axe 1 : émergence", "count")
    assert not has_fact("une moyenne de 7 500 €/projet", "count")
    assert not has_fact("réunit la Région, le TAG 35 et France Active", "count")
    assert not has_fact("la dotation par projet est de 8 à 10K€", "count")
    assert has_fact("ce sont 545 établissements", "count")


def test_the_base_of_a_ratio_is_not_a_count() -> None:
    assert not has_fact("un taux de salariés pour 1 000 habitants supérieur", "count")
    assert not has_fact("the rate per 1,000 inhabitants", "count")
    assert has_fact("4,5 établissements pour 1 000 habitants", "count")


_JOBS = "Combien d'emplois les lauréats ont-ils créés ?"
_PEOPLE = "Combien de personnes participent chaque année ?"
_INHABITANTS = "Quel est le nombre d'habitants de l'agglo ?"


@pytest.mark.parametrize(
    ("question", "sentence", "answers"),
    [
        # A number of a plan's parts counts no thing of the world…
        (_JOBS, "votée en 2021 et articulée en 5 axes", False),
        (_JOBS, "40 emplois, selon les 5 axes du prix", True),
        ("Combien d'axes compte la feuille de route ?", "articulée en 5 axes", True),
        # …nor does a number of things of another kind, when both kinds are known…
        (_PEOPLE, "l'émergence de 25 projets par an", False),
        (_PEOPLE, "120 participants par an", True),
        ("Combien de postes au service ESS ?", "structuré autour de 2 ETP", True),
        ("Combien d'heures d'insertion ?", "25 projets par an", False),  # nor of no hours
        ("Combien d'heures d'insertion ?", "soit 300 000h/an", True),
        ("How many volunteers?", "29 000 bénévoles sur le territoire", True),  # counted_as
        ("Combien y a-t-il de quartiers concernés ?", "sur 4 domaines d'intervention", False),
        ("Combien y a-t-il de quartiers concernés ?", "dans 6 quartiers prioritaires", True),
        ("How many volunteers?", "25 projets par an", False),
        ("How many seats are there?", "25 projets par an", True),  # English, not in counted_as
        # …nor the base of a ratio.
        (_INHABITANTS, "4,5 établissements pour 1 000 habitants", False),
        (_INHABITANTS, "120 000 habitants, soit 4,5 pour 1 000 habitants", True),
        ("Combien d'établissements de l'ESS ?", "4,5 établissements pour 1 000 habitants", True),
    ],
)
def test_what_a_count_is_of(question: str, sentence: str, answers: bool) -> None:
    fact = FactQuery.of(question)
    assert fact is not None and fact.need == "count"
    assert fact.met_by(sentence) is answers


@pytest.mark.parametrize(
    ("subject", "sentence", "counted"),
    [
        ("emplois", "plus de 12 300 salariés (hors saisonniers)", True),  # counted_as
        ("postes", "structuré autour de 2 ETP", True),
        ("heures", "soit 300 000h/an", True),  # a unit's abbreviation
        ("annees", "depuis 10 ans sur notre territoire", True),
        ("fois", "se réunit trois fois par an", True),  # a number in words
        ("habitants", "plus de 12 300 salariés", False),  # people, but not inhabitants
        ("places", "2 ETP dont 0,8 ETP dédié à l'incubateur", False),
        ("heures", "3 habitants", False),  # "h" is a unit only as a whole word
        ("temps", "le soutien de 12 structures par an", False),  # a rate's base is not counted
        ("temps", "un accompagnement de 18 mois", True),
    ],
)
def test_what_a_number_counts(subject: str, sentence: str, counted: bool) -> None:
    assert checks.counts(sentence, subject, FrenchAnalyzer(), LEXICON) is counted


def test_a_deadline_wants_a_calendar_date_not_a_year() -> None:
    assert has_fact("jusqu'au 15 mars", "day") and has_fact("avant le 30/06/2023", "day")
    assert not has_fact("Appel à projets 2023", "day")


def test_a_rate_asked_must_be_the_rate_stated() -> None:
    monthly = FactQuery.of("Combien coûte le loyer par mois ?")
    assert monthly is not None and monthly.need == "amount"
    assert monthly.met_by("un loyer de 8 €/mois") and not monthly.met_by("un budget de 6M€")
    per_project = FactQuery.of("Quel montant moyen par projet ?")
    assert per_project is not None and per_project.met_by("env. 15K€ / projet soutenu")
    assert not per_project.met_by("une enveloppe de 130K€")
    interest = FactQuery.of("À quel taux d'intérêt le fonds prête-t-il ?")
    assert interest is not None and interest.met_by("des prêts à taux zéro jusqu'à 45 000 €")
    assert not interest.met_by("jusqu'à 100 % des dépenses engagées")
    salary = FactQuery.of("Quel salaire pour le chargé de mission ?")
    assert salary is not None and not salary.met_by("un budget de fonctionnement de 300K€")
    assert salary.met_by("un poste rémunéré 2 500 € brut par mois, salaire compris")
    yearly = FactQuery.of("Combien l'agglo verse-t-elle chaque année ?")
    assert yearly is not None and yearly.met_by("900 000€ par an")
    assert not yearly.met_by("jusqu'à 45K€/projet")


def test_a_bound_asked_must_be_the_bound_stated() -> None:
    ceiling = FactQuery.of("C'est quoi le plafond pour une asso ?")
    assert ceiling is not None and ceiling.need == "amount"
    assert ceiling.met_by("une aide de 20 000 € maximum") and ceiling.met_by("jusqu'à 45K€")
    assert not ceiling.met_by("en moyenne 8 000 € par projet, enveloppe de 130 000 €")
    floor = FactQuery.of("Is there a minimum loan amount?")
    assert floor is not None and not floor.met_by("un prêt jusqu'à 45 000 €")
    assert floor.met_by("un prêt de 5 000 € minimum")


def test_a_domain_term_counted_must_be_in_the_sentence() -> None:
    scic = FactQuery.of("Combien de SCIC sur le territoire ?", terms=frozenset({"scic"}))
    assert scic is not None and scic.counted == "scic"
    assert scic.met_by("3 SCIC sont accompagnées") and not scic.met_by("545 établissements")
    posts = FactQuery.of("Combien de postes au service ESS ?", terms=frozenset({"scic"}))
    assert posts is not None and posts.counted is None and posts.met_by("2 ETP")


def test_every_thing_counted_is_a_subject() -> None:
    both = FactQuery.of("Combien de bénévoles et de salariés dans l'ESS ?")
    assert both is not None and both.subjects == ("benevoles", "salaries")
    one = FactQuery.of("How many volunteers are there?")
    assert one is not None and one.subjects == ("volunteers",)


def test_the_words_asking_for_a_date_are_not_what_the_question_is_about() -> None:
    question = "Depuis quelle année la part des emplois augmente-t-elle ?"
    assert "depuis" not in Salience.of(question, FrenchAnalyzer(), LEXICON).terms


def test_an_area_is_a_surface_not_any_number() -> None:
    assert has_fact("des hôtels de 2000 à 4000 m² dédiés aux activités", "area")
    assert has_fact("une friche de 3 hectares", "area")
    assert not has_fact("trois hôtels d'activités ouverts en 2016", "area")


def test_a_number_in_words_counts_the_thing_asked() -> None:
    lexicon, analyzer = load_lexicon(), FrenchAnalyzer()
    assert checks.counts("Il se réunit au moins trois fois par an", "fois", analyzer, lexicon)
    assert checks.counts("un réseau de douze structures", "structures", analyzer, lexicon)
    assert not checks.counts("une ouverture à des acteurs", "acteurs", analyzer, lexicon)


def test_a_role_asked_is_a_role_stated() -> None:
    elected = FactQuery.of("Qui est l'élue en charge de l'ESS à la métropole ?")
    assert elected is not None and elected.need == "person"
    assert not elected.met_by("Contact : Alexandra VELAND, chef de projet ESS")
    assert elected.met_by("Mahel COPPEY, Vice-Présidente de Nantes Métropole en charge de l'ESS")
    chairs = FactQuery.of("Who chairs the joint committee in Rennes?")
    assert chairs is not None and not chairs.met_by("Contact : Benoît PERRIN, chargé de mission")


def test_a_person_is_named_in_capitals_or_with_the_role_held() -> None:
    assert has_fact("Johanna Rolland, Présidente de Nantes Métropole, a confirmé…", "person")
    assert has_fact("Mahel COPPEY, Vice-Présidente", "person")
    assert not has_fact("Grand Poitiers, la communauté urbaine, soutient…", "person")


def test_a_web_address_is_a_contact_and_a_site_a_place() -> None:
    assert need_of("L'appel à projets, on le trouve sur quel site ?") == "contact"
    assert need_of("What is the website of the Nantes prize?") == "contact"
    assert need_of("Combien de sites compte ARTIS ?") == "count"
    assert has_fact("ADEFIP (jadopteunprojet.com) et la CRESS", "contact")
    assert not has_fact("Les hôtels ARTIS accueillent 110 structures.", "contact")
