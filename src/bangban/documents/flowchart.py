"""The printable flowcharts of the assist (帮办) and proxy (代办) procedures (001 annex 1, 000
annex 3), derived from the workflow table in `bangban.cases.workflow` rather than drawn by hand:
a state or action added to RULES shows up on the chart, and the paper cannot drift from what
the system enforces.

How the table becomes a chart:

- Which actions belong to a kind: a rule applies when its guards can all hold for a case of that
  kind. The guards read the small `CaseFacts` protocol, so they are evaluated on plain sample
  facts: the kind fixed, every other fact given each representative value of its type (False and
  True, 0 and 1, empty and not). PROXY_ONLY never holds for an assist case, so signing the
  delegation agreement is on the proxy chart only.
- The main line: the shortest way from `INITIAL` to `FINAL` through state changes that need no
  written reason (refusal, pause and termination do: they are the exceptions), ties broken by
  the table's order. Actions that leave the state as it is join the main line at a state when
  they are not exceptions (no written reason) and are particular to the line: those producing a
  form (signing, rating) at the last state of the line they may be taken in, those producing
  none at the one state they are limited to (the department tasks while in progress).
- Side branches: the other state changes, beside the step after which they may be taken, with
  what may follow from a state off the main line (the supplement loop, resuming, rating and
  archiving a refused case). Actions open across several steps of the line (supervise,
  transfer, terminate, …) go in one lane beside those steps; actions open in every state but the
  final one (the material handover) in a note.

Everything printed is a plain string taken when `procedure` runs (labels through gettext), so
the result can be hashed and rendered as it is.
"""

import types
import typing
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from itertools import product
from typing import Any

from django.utils.translation import gettext as _

from bangban.cases import workflow
from bangban.cases.workflow import Rule

KINDS = ("assist", "proxy")


def title_of(kind: str) -> str:
    return {
        "assist": _("Assist procedure flowchart"),
        "proxy": _("Proxy procedure flowchart"),
    }[kind]


@dataclass(frozen=True)
class Move:
    """One action on the chart: where it leads, the forms it produces, what may follow."""

    action: str
    label: str
    # None: the case stays in its state.
    target: str | None
    target_label: str
    documents: tuple[str, ...]
    needs_reason: bool
    # From a target off the main line: the moves that may follow there.
    then: tuple["Move", ...] = ()
    # The states it may be taken in, when narrower than the lane or note it is printed in.
    during: str = ""


@dataclass(frozen=True)
class Step:
    """A box on the main line: one action (or the phase's several tasks), the state after it."""

    title: str
    moves: tuple[Move, ...]
    state: str
    state_label: str
    documents: tuple[str, ...]
    # Side branches that may be taken after this step.
    branches: tuple[Move, ...] = ()


@dataclass(frozen=True)
class Procedure:
    kind: str
    title: str
    steps: tuple[Step, ...]
    final_state: str
    final_label: str
    # Moves open across several steps of the main line: one lane beside steps lane[0]..lane[1].
    lane: tuple[Move, ...] = ()
    lane_steps: tuple[int, int] | None = None
    lane_during: str = ""
    # Moves open in every state but the final one, and any the chart found no other place for.
    anytime: tuple[Move, ...] = ()

    def moves(self) -> Iterator[Move]:
        def walk(moves: Iterable[Move]) -> Iterator[Move]:
            for move in moves:
                yield move
                yield from walk(move.then)

        for step in self.steps:
            yield from walk(step.moves)
            yield from walk(step.branches)
        yield from walk(self.lane)
        yield from walk(self.anytime)

    def actions(self) -> set[str]:
        return {move.action for move in self.moves()}

    def states(self) -> set[str]:
        shown = {step.state for step in self.steps} | {self.final_state}
        return shown | {move.target for move in self.moves() if move.target is not None}

    def data(self) -> dict[str, Any]:
        """JSON-like: what the chart prints, for its content hash."""
        return asdict(self)


# Sample facts ---------------------------------------------------------------------------------


def _samples(annotation: Any) -> tuple[Any, ...]:
    """Representative values of one fact's type: enough to make a guard hold or fail."""
    if annotation is bool:
        return (False, True)
    if annotation is int:
        return (0, 1)
    origin = typing.get_origin(annotation)
    if annotation is tuple or origin is tuple:
        return ((), ("—",))
    if annotation is str:
        return ("",)
    if origin in (typing.Union, types.UnionType):
        return tuple(v for arg in typing.get_args(annotation) for v in _samples(arg))
    if annotation is type(None):
        return (None,)
    raise TypeError(f"No sample values for a fact of type {annotation!r}")


def _facts(kind: str, state: str) -> Iterator[types.SimpleNamespace]:
    """Every combination of sample values of the CaseFacts fields, for a case of `kind` in
    `state`."""
    hints = typing.get_type_hints(workflow.CaseFacts)
    fixed = {"kind": kind, "state": state}
    free = [name for name in hints if name not in fixed]
    for values in product(*(_samples(hints[name]) for name in free)):
        yield types.SimpleNamespace(**fixed, **dict(zip(free, values, strict=True)))


def applies(rule: Rule, kind: str) -> bool:
    """Whether a case of `kind` can ever be given the rule's action: all its guards hold
    together for some sample facts, in some state it may be taken from."""
    return any(
        all(guard.holds(facts) for guard in rule.guards)
        for state in rule.sources
        for facts in _facts(kind, state)
    )


# The chart ------------------------------------------------------------------------------------


def _label(choice: Any) -> str:
    return str(getattr(choice, "label", choice))


def _value(choice: Any) -> str:
    return str(getattr(choice, "value", choice))


def _main_path(rules: Sequence[Rule], initial: str, final: frozenset[str]) -> list[Rule]:
    """The shortest chain of state changes from `initial` to a final state, using actions that
    need no written reason when such a chain exists; ties go to the earlier rule."""
    for plain_only in (True, False):
        edges = [r for r in rules if r.target is not None and not (plain_only and r.needs_reason)]
        came: dict[str, tuple[str, Rule] | None] = {initial: None}
        queue = deque([initial])
        while queue:
            state = queue.popleft()
            if state in final:
                path: list[Rule] = []
                while (previous := came[state]) is not None:
                    state, rule = previous
                    path.append(rule)
                return path[::-1]
            for rule in edges:
                target = _value(rule.target)
                if state in rule.sources and target not in came:
                    came[target] = (state, rule)
                    queue.append(target)
    raise ValueError("The workflow has no way from its initial state to a final one.")


@dataclass
class _Chart:
    """The main line found, and what placing the other rules around it needs to know."""

    rules: list[Rule]
    line: list[str]  # the main line's states, in order
    final: frozenset[str]
    placed: set[str] = field(default_factory=set)
    # State value -> label, for the states of the enum and any a rule names.
    names: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        choices = [*workflow.State, *workflow.FINAL]
        for rule in self.rules:
            choices += [*rule.sources, *([rule.target] if rule.target is not None else [])]
        self.names = {_value(choice): _label(choice) for choice in choices}

    def name(self, state: str) -> str:
        return self.names.get(state, state)

    def span(self, rule: Rule) -> list[int]:
        """Positions on the main line of the states the rule may be taken in."""
        return [i for i, state in enumerate(self.line) if state in rule.sources]

    def anytime(self, rule: Rule) -> bool:
        every = {_value(s) for s in workflow.State} - set(self.final)
        return every <= {_value(s) for s in rule.sources}

    def during(self, states: Iterable[str]) -> str:
        chosen = [s for s in self.line if s in set(states)]
        if not chosen:
            return ""
        labels = [self.name(chosen[0]), self.name(chosen[-1])]
        if len(chosen) == 1:
            return labels[0]
        return _("%(first)s to %(last)s") % {"first": labels[0], "last": labels[1]}

    def move(
        self, rule: Rule, *, expand: set[str] | None = None, during: str = "", top: bool = False
    ) -> Move:
        """The rule as a move; from a target off the main line, what may follow there, unless
        shown elsewhere beside the same step (`expand`: the states already shown; a `top`
        branch shows its own target's)."""
        self.placed.add(_value(rule.action))
        target = _value(rule.target) if rule.target is not None else None
        then: tuple[Move, ...] = ()
        off_line = target is not None and target not in self.line
        if off_line and expand is not None and (top or target not in expand):
            expand.add(target)
            then = tuple(
                self.move(r, expand=expand)
                for r in self.rules
                if target in r.sources
                and r.target != rule.target  # not the same loop again
                and not self.lane_rule(r)
                and not self.anytime(r)
            )
        return Move(
            action=_value(rule.action),
            label=_label(rule.action),
            target=target,
            target_label=_label(rule.target) if rule.target is not None else "",
            documents=tuple(_label(d) for d in rule.documents),
            needs_reason=rule.needs_reason,
            then=then,
            during=during,
        )

    def lane_rule(self, rule: Rule) -> bool:
        """Open across several steps of the main line but not in every state (the lane)."""
        return len(self.span(rule)) > 1 and not self.anytime(rule) and not self.on_line(rule)

    def on_line(self, rule: Rule) -> bool:
        """An action leaving the state as it is that belongs on the main line."""
        if rule.target is not None or rule.needs_reason or self.anytime(rule):
            return False
        span = self.span(rule)
        return bool(span) and (bool(rule.documents) or len(span) == 1)


def procedure(kind: str, rules: Sequence[Rule] | None = None) -> Procedure:
    """The chart of the `kind` ("assist" or "proxy") procedure, from `rules` (the workflow's
    RULES by default)."""
    if kind not in KINDS:
        raise ValueError(f"Unknown procedure kind {kind!r}")
    table = list(workflow.RULES if rules is None else rules)
    usable = [rule for rule in table if applies(rule, kind)]
    initial = _value(workflow.INITIAL)
    final = frozenset(_value(s) for s in workflow.FINAL)
    path = _main_path(usable, initial, final)
    line = [initial] + [_value(rule.target) for rule in path]
    chart = _Chart(rules=usable, line=line, final=final)
    on_path = {id(rule) for rule in path}

    # In-place actions on the main line, by the position of the state they are taken in:
    # a form-producing one at the last state of the line it is open in, a task at its only one.
    in_place: dict[int, list[Rule]] = {}
    for rule in usable:
        if chart.on_line(rule):
            in_place.setdefault(chart.span(rule)[-1], []).append(rule)

    # The main line: registration, then each state's own actions and the change to the next.
    drafts: list[dict[str, Any]] = [
        {"title": _("Registration and acceptance check"), "moves": (), "state": initial}
    ]
    for position, state in enumerate(line):
        tasks: list[Rule] = []
        for rule in in_place.get(position, []):
            if rule.documents:
                if tasks:
                    drafts.append(_tasks_draft(chart, tasks, state))
                    tasks = []
                drafts.append({"title": "", "moves": (chart.move(rule),), "state": state})
            else:
                tasks.append(rule)
        if tasks:
            drafts.append(_tasks_draft(chart, tasks, state))
        if position < len(path):
            rule = path[position]
            drafts.append({"title": "", "moves": (chart.move(rule),), "state": line[position + 1]})

    # Side branches, after the last step that leaves the case in the state they start from.
    side: dict[int, list[Rule]] = {}
    lane_rules: list[Rule] = []
    for rule in usable:
        if id(rule) in on_path or chart.on_line(rule) or chart.anytime(rule):
            continue
        span = chart.span(rule)
        if len(span) > 1:
            lane_rules.append(rule)
        elif len(span) == 1:
            state = line[span[0]]
            at = max(i for i, draft in enumerate(drafts) if draft["state"] == state)
            side.setdefault(at, []).append(rule)
    branches: dict[int, list[Move]] = {}
    for at, rules_at in side.items():
        # A state a branch beside this step leads to is explained under that branch only.
        shown = {_value(r.target) for r in rules_at if r.target is not None}
        branches[at] = [chart.move(rule, expand=shown, top=True) for rule in rules_at]

    lane_states = {line[i] for rule in lane_rules for i in chart.span(rule)}
    lane_shown = {_value(r.target) for r in lane_rules if r.target is not None}
    lane = tuple(
        chart.move(
            rule,
            expand=lane_shown,
            top=True,
            during=""
            if {line[i] for i in chart.span(rule)} == lane_states
            else chart.during(rule.sources),
        )
        for rule in lane_rules
    )
    lane_steps = None
    if lane:
        covered = [i for i, draft in enumerate(drafts) if draft["state"] in lane_states]
        lane_steps = (covered[0], covered[-1])

    anytime = [
        chart.move(
            rule,
            during=_("Any step before %(state)s")
            % {"state": "、".join(chart.name(s) for s in sorted(final))},
        )
        for rule in usable
        if chart.anytime(rule)
    ]
    # Anything the chart has not placed (a rule only reachable from a state nothing leads to).
    anytime += [
        chart.move(rule, expand=set(), during=chart.during(rule.sources) or _state_labels(rule))
        for rule in usable
        if _value(rule.action) not in chart.placed
    ]

    steps = tuple(
        Step(
            title=draft["title"] or " · ".join(move.label for move in draft["moves"]),
            moves=draft["moves"],
            state=draft["state"],
            state_label=chart.name(draft["state"]),
            documents=tuple(d for move in draft["moves"] for d in move.documents),
            branches=tuple(branches.get(i, ())),
        )
        for i, draft in enumerate(drafts)
    )
    last = line[-1]
    return Procedure(
        kind=kind,
        title=title_of(kind),
        steps=steps,
        final_state=last,
        final_label=chart.name(last),
        lane=lane,
        lane_steps=lane_steps,
        lane_during=chart.during(lane_states),
        anytime=tuple(anytime),
    )


def _tasks_draft(chart: _Chart, tasks: list[Rule], state: str) -> dict[str, Any]:
    return {"title": "", "moves": tuple(chart.move(rule) for rule in tasks), "state": state}


def _state_labels(rule: Rule) -> str:
    return "、".join(_label(s) for s in sorted(rule.sources))
