"""The workflow table: every legal and illegal (state, action) pair, every guard, and the
generated diagram kept in step with the code."""

from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import translation

from bangban.cases.workflow import (
    FINAL,
    INITIAL,
    RULE_OF,
    RULES,
    Action,
    State,
    allowed_actions,
    check,
    diagram,
    refusal,
)
from bangban.core.errors import Conflict

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Facts:
    """A case on which every guard holds, unless a test says otherwise."""

    state: str = State.REGISTERED
    kind: str = "proxy"
    applicant_dishonest: bool = False
    agreement_signed: bool = True
    materials_held: int = 0
    open_tasks: int = 0
    rated: bool = False
    archive_missing: tuple[str, ...] = ()


def fit(action: Action, **facts) -> Facts:
    """Facts on which the guards of `action` hold (agreement unsigned for signing it)."""
    base = Facts(**facts)
    if action == Action.SIGN_AGREEMENT:
        base = replace(base, agreement_signed=False)
    return base


PAIRS = [(state, action) for state in State for action in Action]


@pytest.mark.parametrize(("state", "action"), PAIRS, ids=[f"{s.value}-{a.value}" for s, a in PAIRS])
def test_every_state_and_action_pair(state, action):
    case = fit(action, state=state)
    rule = RULE_OF[action]
    if state in rule.sources:
        assert check(case, action) is rule
        assert action in allowed_actions(case)
    else:
        with pytest.raises(Conflict) as refused:
            check(case, action)
        # The 409 names the state and the action, in Chinese through the catalogue.
        assert refused.value.status_code == 409
        with translation.override("zh-hans"):
            assert f"“{translation.gettext(action.label)}”" in refused.value.message
        assert refused.value.extra == {"action": action.value}
        assert action not in allowed_actions(case)


@pytest.mark.parametrize(
    ("action", "state", "broken"),
    [
        (Action.ACCEPT, State.REGISTERED, {"applicant_dishonest": True}),
        (Action.ACCEPT_TOLERATED, State.REGISTERED, {"applicant_dishonest": True}),
        (Action.SIGN_AGREEMENT, State.ACCEPTED, {"kind": "assist", "agreement_signed": False}),
        (Action.SIGN_AGREEMENT, State.ACCEPTED, {"agreement_signed": True}),
        (Action.START, State.ACCEPTED, {"agreement_signed": False}),
        (Action.COMPLETE, State.IN_PROGRESS, {"open_tasks": 2}),
        (Action.TERMINATE, State.IN_PROGRESS, {"materials_held": 3}),
        (Action.RATE, State.DELIVERED, {"rated": True}),
        (Action.ARCHIVE, State.DELIVERED, {"archive_missing": ("rating",)}),
    ],
)
def test_each_guard_refuses_with_its_reason(action, state, broken):
    case = replace(Facts(state=state), **broken)
    refused = refusal(case, action)
    assert refused is not None and refused.reasons
    with pytest.raises(Conflict):
        check(case, action)


def test_a_dishonest_enterprise_can_only_be_refused_as_a_proxy():
    case = Facts(state=State.REGISTERED, applicant_dishonest=True)
    offered = allowed_actions(case)
    assert Action.REFUSE in offered
    assert Action.ACCEPT not in offered and Action.ACCEPT_TOLERATED not in offered
    assist = replace(case, kind="assist")
    assert Action.ACCEPT in allowed_actions(assist)


def test_an_assist_case_starts_without_an_agreement():
    case = Facts(state=State.ACCEPTED, kind="assist", agreement_signed=False)
    assert Action.START in allowed_actions(case)
    assert Action.SIGN_AGREEMENT not in allowed_actions(case)


def test_every_state_is_reachable_and_every_open_state_can_end():
    edges = {(s, r.target) for r in RULES if r.target for s in r.sources}
    reached, frontier = {INITIAL}, [INITIAL]
    while frontier:
        here = frontier.pop()
        for source, target in edges:
            if source == here and target not in reached:
                reached.add(target)
                frontier.append(target)
    assert reached == set(State)
    for state in set(State) - FINAL:
        seen, frontier = {state}, [state]
        while frontier:
            here = frontier.pop()
            for source, target in edges:
                if source == here and target not in seen:
                    seen.add(target)
                    frontier.append(target)
        assert seen & FINAL, state


def test_archived_cases_are_locked():
    assert allowed_actions(Facts(state=State.ARCHIVED)) == []


def test_the_diagram_in_docs_is_generated_from_the_table(tmp_path):
    assert (ROOT / "docs" / "workflow.md").read_text(encoding="utf-8") == diagram()
    out = tmp_path / "workflow.md"
    call_command("workflow-diagram", str(out))
    assert out.read_text(encoding="utf-8") == diagram()
