"""Case reads, scoped to what the actor may see.

A case is seen by the unit that owns it and every tier above it (the unit path), by the lower
tier that escalated it for joint handling, by the liaisons of the departments holding one of its
tasks, and by supervisors and system administrators everywhere."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Exists, F, Func, JSONField, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from bangban.cases.deadlines import DUE_SOON_DAYS, Deadline, deadline
from bangban.cases.models import (
    Booking,
    Case,
    CaseItem,
    CaseLog,
    Consultation,
    Meeting,
    Notification,
    Task,
    WorkNote,
)
from bangban.cases.workflow import OPEN, State
from bangban.catalog.models import Item
from bangban.core.calendar import CalendarNotCovered, add_working_days
from bangban.core.errors import NotFound, PermissionDenied
from bangban.org.models import Level, Role, Unit
from bangban.org.scoping import in_scope, scope_path


def _subtree_ids(actor, path: str) -> list[int]:
    """The ids of the units below `path`, kept on the actor for the rest of the request."""
    cached = getattr(actor, "_subtree_ids", None)
    if cached is None or cached[0] != path:
        ids = list(Unit.objects.filter(path__startswith=path).values_list("pk", flat=True))
        cached = (path, ids)
        actor._subtree_ids = cached
    return cached[1]


def _visible_q(actor) -> Q | None:
    """The filter for the cases the actor sees; None: nothing; Q(): everything.

    The subtree is matched by a list of unit ids (read once, a few hundred at most), not
    through a join on the unit's path: the case table's own indexes then serve the scope (a
    bitmap OR of the unit and joint-unit indexes), and the queue's partial index can walk the
    open cases in queue order."""
    path = scope_path(actor)
    if path is None:
        return None
    if path == "":
        return Q()
    if actor.role != Role.LIAISON and actor.unit.level == Level.TOWN:
        # The same cases as the subtree's (cases.area), read by the town's own index range.
        return Q(town_id=actor.unit_id)
    subtree = _subtree_ids(actor, path)
    if actor.role == Role.LIAISON:
        return Q(Exists(Task.objects.filter(case=OuterRef("pk"), department__in=subtree))) | Q(
            unit__in=subtree
        )
    return Q(unit__in=subtree) | Q(joint_unit__in=subtree)


def cases_visible(*, actor) -> QuerySet[Case]:
    q = _visible_q(actor)
    if q is None:
        return Case.objects.none()
    return Case.objects.filter(q)


def _list_related(queryset: QuerySet[Case]) -> QuerySet[Case]:
    return queryset.select_related("unit", "agent", "bundle").prefetch_related(
        Prefetch("items", queryset=CaseItem.objects.select_related("item").order_by("pk"))
    )


@dataclass(frozen=True)
class CaseFilters:
    state: str = ""
    item: int | None = None
    category: str = ""
    channel: str = ""
    warning: str = ""  # normal / due_soon / overdue
    registered_from: date | None = None
    registered_to: date | None = None
    q: str = ""  # case number or applicant name


def _warning_q(level: str, today: date) -> Q:
    """The warning levels as date filters on the stored due date, so the database sorts and
    filters them. 'Due soon' means at most DUE_SOON_DAYS working days remain."""
    soon = add_working_days(today, DUE_SOON_DAYS).due_date
    open_q = Q(state__open=True, due_date__isnull=False)
    if level == "overdue":
        return open_q & Q(due_date__lt=today)
    if level == "due_soon":
        return open_q & Q(due_date__gte=today, due_date__lte=soon)
    if level == "normal":
        return open_q & Q(due_date__gt=soon)
    return Q()


def _local_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def cases_filtered(queryset: QuerySet[Case], filters: CaseFilters) -> QuerySet[Case]:
    if filters.state:
        queryset = queryset.filter(state=filters.state)
    if filters.item:
        # Exists, not a join: a join repeats a case per matching item and needs DISTINCT.
        queryset = queryset.filter(
            Exists(CaseItem.objects.filter(case=OuterRef("pk"), item_id=filters.item))
        )
    if filters.category:
        queryset = queryset.filter(category=filters.category)
    if filters.channel:
        queryset = queryset.filter(channel=filters.channel)
    if filters.warning:
        queryset = queryset.filter(_warning_q(filters.warning, timezone.localdate()))
    if filters.registered_from:
        queryset = queryset.filter(registered_at__gte=_local_start(filters.registered_from))
    if filters.registered_to:
        end = _local_start(filters.registered_to + timedelta(days=1))
        queryset = queryset.filter(registered_at__lt=end)
    if filters.q:
        queryset = queryset.filter(
            Q(number__icontains=filters.q) | Q(applicant_name__icontains=filters.q)
        )
    return queryset


# The workbench queues (工作台).
QUEUES = ("mine", "unassigned", "tasks", "due_soon", "overdue", "open", "all")


def case_queue(*, actor, queue: str, filters: CaseFilters | None = None) -> QuerySet[Case]:
    """One workbench queue of cases, green channel first, then by due date."""
    queryset = cases_visible(actor=actor)
    today = timezone.localdate()
    if queue == "mine":
        queryset = queryset.filter(agent__user=actor, state__open=True)
    elif queue == "unassigned":
        unit_id = actor.unit_id
        queryset = queryset.filter(agent__isnull=True, state__open=True, unit_id=unit_id)
    elif queue == "due_soon":
        queryset = queryset.filter(_warning_q("due_soon", today))
    elif queue == "overdue":
        queryset = queryset.filter(_warning_q("overdue", today))
    elif queue == "open":
        queryset = queryset.filter(state__open=True)
    elif queue == "tasks":
        queryset = queryset.filter(
            Exists(
                Task.objects.filter(
                    case=OuterRef("pk"),
                    decision="",
                    department__path__startswith=actor.unit.path if actor.unit_id else "-",
                )
            )
        )
    elif queue != "all":
        raise NotFound(_("There is no such queue."))
    if filters is not None:
        queryset = cases_filtered(queryset, filters)
    return _list_related(queryset).order_by("-special_group", "due_date", "-registered_at", "pk")


# What a row of a workbench queue shows: neither the case's nor its agent's encrypted columns
# (decrypted on every load), nor anything else the row does not show.
QUEUE_ROW_COLUMNS = (
    "pk",
    "number",
    "special_group",
    "applicant_name",
    "kind",
    "state",
    "due_date",
    "agent__name",
)


def queue_rows(page: QuerySet[Case]) -> list[dict[str, Any]]:
    """One page of a workbench queue (a slice of `case_queue`: the queue counts and orders the
    cases without reading them) as dicts of QUEUE_ROW_COLUMNS and "items", the names of the
    case's items in the order they were registered. Two queries."""
    rows = list(page.select_related(None).prefetch_related(None).values(*QUEUE_ROW_COLUMNS))
    if not rows:
        return rows
    names: dict[int, list[str]] = {}
    items = (
        CaseItem.objects.filter(case_id__in=[row["pk"] for row in rows])
        .order_by("pk")
        .values_list("case_id", "item__name")
    )
    for case_id, name in items:
        names.setdefault(case_id, []).append(name)
    for row in rows:
        row["items"] = names.get(row["pk"], [])
    return rows


# The values of a ledger row in the API (`cases.api.CaseRowSerializer`): the masked
# identifiers stored at registration, never the encrypted ones, which would be decrypted on
# load for every row; the unit, agent and bundle by name, from joins.
CASE_ROW_VALUES = (
    "id",
    "number",
    "state",
    "kind",
    "proxy_scope",
    "channel",
    "category",
    "special_group",
    "unit_id",
    "unit__code",
    "unit__name",
    "agent_id",
    "agent__name",
    "bundle_id",
    "bundle__name",
    "applicant_type",
    "applicant_name",
    "id_number_masked",
    "phone_masked",
    "registered_at",
    "accepted_on",
    "due_date",
    "revision",
)


class _ItemsOfCase(Func):
    """A case's items as a JSON array of {"id", "name"} in the order they were registered,
    read in the row's own query (one correlated lookup on the case's item rows per row of the
    page) instead of a second query for the page's items."""

    output_field = JSONField()
    arity = 1
    # SQLite aggregates in the order the inner query gives; PostgreSQL orders the aggregate.
    template = (
        "(SELECT COALESCE(json_group_array(json_object('id', s.item_id, 'name', s.name)), '[]')"
        " FROM (SELECT ci.item_id, it.name FROM cases_caseitem ci"
        " JOIN catalog_item it ON it.id = ci.item_id"
        " WHERE ci.case_id = %(expressions)s ORDER BY ci.id) s)"
    )
    template_postgresql = (
        "(SELECT COALESCE(json_agg(json_build_object('id', ci.item_id, 'name', it.name)"
        " ORDER BY ci.id), '[]')::text FROM cases_caseitem ci"
        " JOIN catalog_item it ON it.id = ci.item_id WHERE ci.case_id = %(expressions)s)"
    )

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template=self.template_postgresql, **extra_context)


def case_rows(
    *, actor, queue: str, filters: CaseFilters | None = None
) -> QuerySet[Case, dict[str, Any]]:
    """A workbench queue as the API's ledger rows: plain values, only those a row shows (no
    model instances, no encrypted column), with the case's items (`item_list`). Unordered: the
    API's keyset pagination orders and pages it."""
    queryset = case_queue(actor=actor, queue=queue, filters=filters)
    return (
        queryset.prefetch_related(None)
        .annotate(item_list=_ItemsOfCase(F("pk")))
        .values(*CASE_ROW_VALUES, "item_list")
    )


def case_row_of(case: Case, items: Sequence[Item]) -> dict[str, Any]:
    """The ledger row of a case the caller has just registered, from the case held in memory
    with its unit, agent and bundle, and its items in the order registered: the values
    `case_rows` reads for it, without reading back what was just written (the answer to
    registration; tests compare it with the list's row)."""
    row: dict[str, Any] = {}
    for key in CASE_ROW_VALUES:
        value: Any = case
        for part in key.split("__"):
            value = getattr(value, part) if value is not None else None
        row[key] = value
    row["item_list"] = [{"id": item.pk, "name": item.name} for item in items]
    return row


def tasks_for_department(*, actor, pending_only: bool = True) -> QuerySet[Task]:
    """The liaison's queue: the tasks of the actor's department (and the units under it)."""
    path = scope_path(actor)
    if path is None:
        return Task.objects.none()
    queryset = Task.objects.all()
    if path:
        queryset = queryset.filter(department__path__startswith=path)
    if pending_only:
        queryset = queryset.filter(decision="", case__state__in=[State.IN_PROGRESS, State.PAUSED])
    return queryset.select_related("case", "case__unit", "item", "department").order_by(
        "due_date", "pk"
    )


def case_get(*, actor, pk: int) -> Case:
    try:
        return (
            cases_visible(actor=actor)
            .select_related("unit", "agent", "bundle", "joint_unit", "created_by")
            .get(pk=pk)
        )
    except Case.DoesNotExist as exc:
        raise NotFound(_("There is no such case, or it is outside your area.")) from exc


def case_by_number(*, actor, number: str) -> Case:
    try:
        return cases_visible(actor=actor).get(number=number)
    except Case.DoesNotExist as exc:
        raise NotFound(_("There is no such case, or it is outside your area.")) from exc


def timeline(case: Case) -> QuerySet[CaseLog]:
    return case.log.select_related("actor").order_by("occurred_at", "pk")


@dataclass(frozen=True)
class DeadlineExplained:
    deadline: Deadline | None
    text: str


def deadline_explained(case: Case, today: date | None = None) -> DeadlineExplained:
    """The due date with how it was reached, for the case page."""
    today = today or timezone.localdate()
    if case.accepted_on is None:
        return DeadlineExplained(None, _("The time limit starts at acceptance."))
    if case.limit_days is None:
        return DeadlineExplained(None, _("The items of this case promise no time limit."))
    parts = [
        _("Accepted on %(day)s; %(days)d working days from the next working day")
        % {"day": f"{case.accepted_on:%Y-%m-%d}", "days": case.limit_days}
    ]
    if case.paused_working_days:
        parts.append(_("plus %(days)d working days paused") % {"days": case.paused_working_days})
    if case.paused_since:
        parts.append(
            _("paused since %(day)s: the due date moves on at resumption")
            % {"day": f"{case.paused_since:%Y-%m-%d}"}
        )
    parts.append(_("due on %(day)s") % {"day": f"{case.due_date:%Y-%m-%d}"})
    if case.state not in OPEN:
        return DeadlineExplained(None, "；".join(parts))
    try:
        return DeadlineExplained(deadline(case.due_date, today), "；".join(parts))
    except CalendarNotCovered as exc:
        # The page still opens; the message says which year's calendar is missing.
        return DeadlineExplained(None, "；".join([*parts, exc.message]))


def case_detail(*, actor, pk: int) -> dict[str, Any]:
    """Everything the case page shows, in a fixed number of queries. The handovers and tasks
    are read once and also answer the workflow guards' questions (`materials_held`,
    `open_tasks`), which the page's and the API's CasePage read before the case's own
    properties."""
    from bangban.cases.custody import held_by_service, holdings

    case = case_get(actor=actor, pk=pk)
    handovers = list(case.handovers.select_related("department").prefetch_related("lines"))
    tasks = list(case.tasks.select_related("item", "department", "decided_by"))
    deciding = {t.department_id for t in tasks if not t.decision}
    plans = case.plans.filter(superseded=False).prefetch_related("milestones")
    return {
        "case": case,
        "items": list(case.items.select_related("item", "item_version")),
        "timeline": list(timeline(case)),
        "holdings": holdings(case, handovers),
        "handovers": handovers,
        "tasks": tasks,
        "materials_held": sum(held_by_service(case, handovers, deciding).values()),
        "open_tasks": sum(1 for t in tasks if not t.decision),
        "notices": list(case.notices.all()),
        "deficiencies": list(case.deficiencies.all()),
        "incidents": list(case.incidents.all()),
        "photos": list(case.photos.all()),
        "messages": list(case.messages.select_related("author", "author_unit")),
        "plan": plans.first(),
        "meetings": list(case.meetings.all()),
        "deadline": deadline_explained(case),
    }


class CasePage:
    """`case_detail` as one object: its parts (items, tasks, holdings…) and, for everything
    else, the case's own attributes — so nested serializers read both alike, and the workflow
    guards read the counts the detail already holds instead of querying per guard."""

    def __init__(self, detail: dict[str, Any]):
        self._detail = detail

    def __getattr__(self, name: str) -> Any:
        detail = self.__dict__["_detail"]
        return detail[name] if name in detail else getattr(detail["case"], name)


def consultations_visible(*, actor) -> QuerySet[Consultation]:
    path = scope_path(actor)
    if path is None:
        return Consultation.objects.none()
    queryset = Consultation.objects.select_related("unit", "item", "case", "recorded_by")
    return queryset.filter(unit__path__startswith=path) if path else queryset


def meetings_visible(*, actor) -> QuerySet[Meeting]:
    path = scope_path(actor)
    if path is None:
        return Meeting.objects.none()
    queryset = Meeting.objects.select_related("unit").prefetch_related("cases")
    return queryset.filter(unit__path__startswith=path) if path else queryset


@dataclass(frozen=True)
class WorkLog:
    day: date
    entries: list[CaseLog]
    notes: list[WorkNote]


def work_log(*, actor, user, day: date) -> WorkLog:
    """One agent's day: the case steps they took (dated when they happened) and their notes.
    Managers read the logs of the staff in their area."""
    path = scope_path(actor)
    if user.pk != actor.pk and (
        path is None
        or actor.role not in {Role.MANAGER, Role.CENTRE_ADMIN, Role.SYSADMIN, Role.SUPERVISOR}
        or not (user.unit_id and user.unit.path.startswith(path))
    ):
        raise NotFound(_("There is no such work log, or it is outside your area."))
    start = _local_start(day)
    entries = (
        CaseLog.objects.filter(
            actor=user, occurred_at__gte=start, occurred_at__lt=start + timedelta(days=1)
        )
        .select_related("case")
        .order_by("occurred_at", "pk")
    )
    notes = WorkNote.objects.filter(author=user, day=day).select_related("case")
    return WorkLog(day=day, entries=list(entries), notes=list(notes))


def notifications_unread(*, actor) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=actor, read_at__isnull=True).select_related("case")


def case_photo_get(*, actor, pk: int, photo_pk: int):
    """A material photo of a case the actor may see; NotFound otherwise."""
    case = case_get(actor=actor, pk=pk)
    photo = case.photos.filter(pk=photo_pk).first()
    if photo is None:
        raise NotFound(_("There is no such photo."))
    return photo


def bookings_for_unit(*, actor, day: date, unit: Unit | None = None) -> QuerySet[Booking]:
    """The bookings of a day at the actor's point (or at `unit`, within the actor's area), in
    time order."""
    unit = unit or actor.unit
    if unit is None or not in_scope(actor, unit):
        raise PermissionDenied(_("This service point is outside your area."))
    tz = timezone.get_current_timezone()
    start = datetime.combine(day, datetime.min.time(), tzinfo=tz)
    return (
        Booking.objects.filter(unit=unit, start__gte=start, start__lt=start + timedelta(days=1))
        .select_related("item", "unit")
        .order_by("start", "pk")
    )
