"""In-app help on the action forms: every rule of the workflow table names, in one sentence,
the rule of the procedure it implements with its source document, and each action's form
shows that sentence above the form."""

import html
import re

import pytest
from django.urls import reverse
from django.utils import translation

from bangban.cases.workflow import RULE_OF, RULES, Action, State
from bangban.org.models import Role
from tests.cases.factories import case_in_state, item_of
from tests.factories import AgentFactory, UserFactory, county_tree

# A source document and where in it: "000 §五(二)6", "002 第十九条(二)", "001 §六(二)1, annex 6".
CITATION = re.compile(r"\b00[0-4] (§[一二三四五六七八九十]|第[一二三四五六七八九十]+条)")


def test_every_rule_has_a_sentence_that_cites_its_source_document():
    assert {rule.action for rule in RULES} == set(Action)
    for rule in RULES:
        with translation.override("en"):  # the msgid cites the document by its number
            sentence = str(rule.rule)
        assert sentence.strip(), rule.action
        assert sentence.endswith("."), rule.action
        assert CITATION.search(sentence), (rule.action, sentence)


def test_the_rule_sentences_are_distinct():
    sentences = [str(rule.rule) for rule in RULES]
    assert len(set(sentences)) == len(sentences)


def test_the_one_time_notice_cites_listing_every_missing_material_at_once():
    with translation.override("en"):
        sentence = str(RULE_OF[Action.ISSUE_NOTICE].rule)
    assert "every missing material at once" in sentence
    assert "004 §二(三)2" in sentence


@pytest.fixture
def world():
    tree = county_tree()
    village = tree["villages"][0]
    admin = UserFactory(unit=tree["county"], role=Role.CENTRE_ADMIN)
    item = item_of(tree["dept"], actor=admin, name="个体工商户登记", limit_days=3)
    agent = UserFactory(unit=village, role=Role.AGENT, full_name="李帮办")
    AgentFactory(unit=village, user=agent, name=agent.full_name)
    return {"agent": agent, "item": item}


def _rule_shown(response) -> str:
    found = re.search(
        r'<p class="form-text" data-testid="action-rule">(.*?)</p>', response.content.decode()
    )
    assert found, "the action form shows no rule sentence"
    return html.unescape(found.group(1))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("state", "kind", "action"),
    [
        (State.REGISTERED, "assist", Action.ISSUE_NOTICE),
        (State.REGISTERED, "assist", Action.ACCEPT_TOLERATED),
        (State.ACCEPTED, "proxy", Action.SIGN_AGREEMENT),
        (State.IN_PROGRESS, "assist", Action.RECORD_HANDOVER),
        (State.IN_PROGRESS, "assist", Action.PAUSE),
        (State.COMPLETED, "assist", Action.DELIVER),
        (State.IN_PROGRESS, "assist", Action.TERMINATE),
    ],
)
def test_the_action_form_shows_the_rule_it_implements(world, client, state, kind, action):
    case = case_in_state(state, actor=world["agent"], items=[world["item"]], kind=kind)
    client.force_login(world["agent"])
    response = client.get(reverse("cases:act", args=[case.pk, action.value]))
    assert response.status_code == 200
    language = response.headers.get("Content-Language") or translation.get_language()
    with translation.override(language):
        expected = str(RULE_OF[action].rule)
    assert _rule_shown(response) == expected
    # The sentence stands above the form it explains.
    body = response.content.decode()
    assert body.index('data-testid="action-rule"') < body.index('data-testid="action-form"')
