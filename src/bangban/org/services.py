"""Writes of the organisation and roster. Each use case is one function: keyword-only, typed,
permission-checked, atomic, and leaves one event.

`actor=None` means the system itself (a management command run by an operator with shell
access, such as `bangban demo`); views and API endpoints always pass the signed-in user."""

from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bangban.core.crypto import blind_index
from bangban.core.errors import PermissionDenied, ValidationFailed
from bangban.core.events import changes, event_record
from bangban.core.identifiers import validate_id_number, validate_mobile, validate_phone
from bangban.core.masking import mask_id_number, mask_phone
from bangban.core.text import texts_check
from bangban.core.uploads import image_check
from bangban.org.models import (
    CHILD_LEVELS,
    EIGHT_HAVES,
    Activity,
    Agent,
    Attendance,
    Employment,
    Level,
    PersonnelChange,
    Post,
    Role,
    ServiceKind,
    StaffingMinimum,
    Unit,
    User,
)
from bangban.org.scoping import (
    MANAGING_ROLES,
    REVEALING_ROLES,
    SEE_EVERYTHING,
    STAFF_ROLES,
    in_scope,
)

# 001 annex 4: personnel changes are reported to the county centre at least 3 days ahead.
PERSONNEL_CHANGE_NOTICE_DAYS = 3

UNIT_DETAIL_FIELDS = [
    "name",
    "address",
    "phone",
    "opening_hours",
    "lunch_hours",
    "weekend_hours",
    "is_active",
    *[field for field, _label in EIGHT_HAVES],
]
AGENT_DETAIL_FIELDS = [
    "name",
    "public_phone",
    "email",
    "employment",
    "service_kind",
    "post",
    "service_hours",
    "on_duty",
]


def _require_manager_of(actor, unit: Unit | None) -> None:
    """Writers are managers, centre administrators and system administrators, within their
    own subtree. Supervisors read only."""
    if actor is None:
        return
    if actor.role == Role.SUPERVISOR:
        raise PermissionDenied(_("Supervisors can view but cannot change anything."))
    if actor.role not in MANAGING_ROLES and not actor.is_superuser:
        raise PermissionDenied(_("Only point managers and administrators can do this."))
    if unit is not None and not in_scope(actor, unit):
        raise PermissionDenied(_("This unit is outside your area."))


def _snapshot(obj, fields: list[str]) -> dict[str, Any]:
    return {field: getattr(obj, field) for field in fields}


def _clean_phone(value: str, field: str) -> str:
    if not value:
        return ""
    try:
        return validate_phone(value)
    except ValidationFailed as exc:
        raise ValidationFailed(exc.message, field=field) from exc


@transaction.atomic
def unit_create(
    *,
    actor,
    name: str,
    code: str,
    level: str,
    parent: Unit | None = None,
    **details: Any,
) -> Unit:
    _require_manager_of(actor, parent)
    if actor is not None and parent is None and actor.role != Role.SYSADMIN:
        raise PermissionDenied(_("Only system administrators can create a top-level unit."))
    name, code = name.strip(), code.strip()
    if not name:
        raise ValidationFailed(_("Enter the unit's name."), field="name")
    if not code or "/" in code:
        raise ValidationFailed(_("Enter a unit code without slashes."), field="code")
    if level not in Level.values:
        raise ValidationFailed(_("Unknown unit level."), field="level")
    if parent is None and level not in (Level.REGION, Level.COUNTY):
        raise ValidationFailed(
            _("Only a county or region can be a top-level unit."), field="parent"
        )
    if parent is not None and level not in CHILD_LEVELS[parent.level]:
        raise ValidationFailed(
            _("A %(child)s cannot be placed under a %(parent)s.")
            % {"child": Level(level).label, "parent": parent.get_level_display()},
            field="level",
        )
    if Unit.objects.filter(code=code).exists():
        raise ValidationFailed(
            _("Unit code %(code)s is already used.") % {"code": code}, field="code"
        )
    unknown = set(details) - set(UNIT_DETAIL_FIELDS)
    if unknown:
        raise ValidationFailed(
            _("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )
    if "phone" in details:
        details["phone"] = _clean_phone(details["phone"], "phone")
    # A unit's name and address print on every form of its cases: no control character.
    texts_check([("name", name), *((f, v) for f, v in details.items() if isinstance(v, str))])
    path = f"{parent.path if parent else '/'}{code}/"
    unit = Unit.objects.create(
        name=name,
        code=code,
        level=level,
        parent=parent,
        path=path,
        depth=parent.depth + 1 if parent else 0,
        **details,
    )
    event_record(
        actor=actor,
        action="unit.create",
        obj=unit,
        after={
            "name": name,
            "code": code,
            "level": level,
            "parent": parent.code if parent else None,
        }
        | _snapshot(unit, UNIT_DETAIL_FIELDS),
    )
    return unit


@transaction.atomic
def unit_update(*, actor, unit: Unit, **fields: Any) -> Unit:
    _require_manager_of(actor, unit)
    unknown = set(fields) - set(UNIT_DETAIL_FIELDS)
    if unknown:
        raise ValidationFailed(
            _("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )
    if "name" in fields and not str(fields["name"]).strip():
        raise ValidationFailed(_("Enter the unit's name."), field="name")
    if "phone" in fields:
        fields["phone"] = _clean_phone(fields["phone"], "phone")
    texts_check((f, v) for f, v in fields.items() if isinstance(v, str))
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    before = _snapshot(unit, list(fields))
    for field, value in fields.items():
        setattr(unit, field, value)
    before, after = changes(before, _snapshot(unit, list(fields)))
    if not after:
        return unit
    unit.save(update_fields=list(after))
    event_record(actor=actor, action="unit.update", obj=unit, before=before, after=after)
    return unit


@transaction.atomic
def staffing_minimum_set(*, actor, level: str, minimum: int) -> StaffingMinimum:
    _require_manager_of(actor, None)
    if actor is not None and actor.role not in (Role.CENTRE_ADMIN, Role.SYSADMIN):
        raise PermissionDenied(_("Only administrators can change staffing minimums."))
    if level not in Level.values:
        raise ValidationFailed(_("Unknown unit level."), field="level")
    if minimum < 0 or minimum > 99:
        raise ValidationFailed(_("The minimum must be between 0 and 99."), field="minimum")
    row, _created = StaffingMinimum.objects.select_for_update().get_or_create(
        level=level, defaults={"minimum": minimum}
    )
    before = {"minimum": row.minimum if not _created else None}
    row.minimum = minimum
    row.save()
    event_record(
        actor=actor,
        action="staffing_minimum.set",
        obj=row,
        before=before,
        after={"level": level, "minimum": minimum},
    )
    return row


def _agent_identity(*, id_number: str, phone: str) -> dict[str, str]:
    try:
        id_number = validate_id_number(id_number)
    except ValidationFailed as exc:
        raise ValidationFailed(exc.message, field="id_number") from exc
    try:
        phone = validate_mobile(phone)
    except ValidationFailed as exc:
        raise ValidationFailed(exc.message, field="phone") from exc
    return {
        "id_number": id_number,
        "id_number_index": blind_index(id_number, purpose="id_number"),
        "phone": phone,
        "phone_index": blind_index(phone, purpose="phone"),
    }


def _agent_public_snapshot(agent: Agent) -> dict[str, Any]:
    """What an event may keep of an agent: personal data only masked."""
    return {
        "unit": agent.unit.code,
        "id_number": mask_id_number(agent.id_number),
        "phone": mask_phone(agent.phone),
        "active_from": agent.active_from,
        "active_until": agent.active_until,
    } | _snapshot(agent, AGENT_DETAIL_FIELDS)


def _validate_agent_details(details: dict[str, Any]) -> None:
    unknown = set(details) - set(AGENT_DETAIL_FIELDS) - {"photo"}
    if unknown:
        raise ValidationFailed(
            _("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )
    choices = {"employment": Employment, "service_kind": ServiceKind, "post": Post}
    for field, enum in choices.items():
        if field in details and details[field] not in enum.values:
            raise ValidationFailed(_("Choose a valid value."), field=field)
    if "name" in details and not str(details["name"]).strip():
        raise ValidationFailed(_("Enter the agent's name."), field="name")
    if "public_phone" in details:
        details["public_phone"] = _clean_phone(details["public_phone"], "public_phone")
    texts_check((f, v) for f, v in details.items() if isinstance(v, str))
    if isinstance(details.get("photo"), UploadedFile):
        # Published on the public roster: a JPG or PNG of a sane size, read from its content
        # (an SVG with a script, an HTML page named .png, a decompression bomb are refused).
        image_check(details["photo"], max_mb=settings.BANGBAN_PORTAL_PHOTO_MAX_MB, field="photo")


@transaction.atomic
def agent_create(
    *,
    actor,
    unit: Unit,
    name: str,
    id_number: str,
    phone: str,
    active_from: date | None = None,
    user: User | None = None,
    **details: Any,
) -> Agent:
    _require_manager_of(actor, unit)
    details["name"] = name
    _validate_agent_details(details)
    agent = Agent.objects.create(
        unit=unit,
        user=user,
        active_from=active_from or timezone.localdate(),
        **_agent_identity(id_number=id_number, phone=phone),
        **details,
    )
    event_record(actor=actor, action="agent.create", obj=agent, after=_agent_public_snapshot(agent))
    return agent


@transaction.atomic
def agent_update(
    *, actor, agent: Agent, id_number: str | None = None, phone: str | None = None, **details: Any
) -> Agent:
    _require_manager_of(actor, agent.unit)
    _validate_agent_details(details)
    agent = Agent.objects.select_for_update().select_related("unit").get(pk=agent.pk)
    before = _agent_public_snapshot(agent)
    identity = _agent_identity(
        id_number=id_number if id_number is not None else agent.id_number,
        phone=phone if phone is not None else agent.phone,
    )
    for field, value in (identity | details).items():
        setattr(agent, field, value)
    before, after = changes(before, _agent_public_snapshot(agent))
    if not after and "photo" not in details:
        return agent
    agent.save()
    event_record(actor=actor, action="agent.update", obj=agent, before=before, after=after)
    return agent


@transaction.atomic
def personal_data_reveal(*, actor, agent: Agent, field: str, ip_address: str | None = None) -> str:
    """Show one unmasked value to a permitted user, and log that they saw it."""
    if field not in ("id_number", "phone"):
        raise ValidationFailed(_("This field cannot be revealed."), field="field")
    own = agent.user_id is not None and agent.user_id == actor.pk
    if not own and (actor.role not in REVEALING_ROLES or not in_scope(actor, agent.unit)):
        raise PermissionDenied(_("You are not allowed to view this personal data."))
    event_record(
        actor=actor,
        action="personal_data.reveal",
        obj=agent,
        after={"field": field},
        ip_address=ip_address,
    )
    return getattr(agent, field)


@transaction.atomic
def personnel_change_record(
    *,
    actor,
    unit: Unit,
    post: str,
    effective_date: date,
    previous_agent: Agent | None = None,
    name: str = "",
    id_number: str = "",
    phone: str = "",
    email: str = "",
    reason: str = "",
) -> PersonnelChange:
    """A line of the personnel change register. The newcomer joins the roster on the effective
    date and the person replaced leaves it the day before; both rows stay on record."""
    _require_manager_of(actor, unit)
    today = timezone.localdate()
    if actor is not None and effective_date < today + timedelta(days=PERSONNEL_CHANGE_NOTICE_DAYS):
        raise ValidationFailed(
            _("Personnel changes must be registered at least %(days)d days ahead (from %(date)s).")
            % {
                "days": PERSONNEL_CHANGE_NOTICE_DAYS,
                "date": today + timedelta(days=PERSONNEL_CHANGE_NOTICE_DAYS),
            },
            field="effective_date",
        )
    if not post.strip():
        raise ValidationFailed(_("Enter the post."), field="post")
    if previous_agent is None and not name:
        raise ValidationFailed(_("Name the agent who leaves or the one who joins."), field="name")
    if previous_agent is not None:
        if previous_agent.unit_id != unit.pk:
            raise ValidationFailed(
                _("The agent who leaves is not in this unit."), field="previous_agent"
            )
        if previous_agent.active_until is not None:
            raise ValidationFailed(
                _("This agent has already left the roster."), field="previous_agent"
            )
    new_agent = None
    if name:
        if not email:
            # 001 annex 4 marks the e-mail as required for the new person.
            raise ValidationFailed(_("Enter the new agent's e-mail."), field="email")
        new_agent = Agent.objects.create(
            unit=unit,
            name=name.strip(),
            email=email,
            active_from=effective_date,
            **_agent_identity(id_number=id_number, phone=phone),
            # The newcomer takes over the post as it was; a new post starts from the point's
            # published phone and hours.
            **(
                {
                    "employment": previous_agent.employment,
                    "service_kind": previous_agent.service_kind,
                    "post": previous_agent.post,
                    "service_hours": previous_agent.service_hours,
                    "public_phone": previous_agent.public_phone,
                }
                if previous_agent
                else {"service_hours": unit.opening_hours, "public_phone": unit.phone}
            ),
        )
    if previous_agent is not None:
        previous_agent.active_until = effective_date - timedelta(days=1)
        previous_agent.save(update_fields=["active_until"])
    change = PersonnelChange.objects.create(
        unit=unit,
        previous_agent=previous_agent,
        new_agent=new_agent,
        post=post.strip(),
        effective_date=effective_date,
        reason=reason,
        recorded_by=actor or _system_user(),
    )
    event_record(
        actor=actor,
        action="personnel_change.record",
        obj=change,
        after={
            "previous_agent": previous_agent.pk if previous_agent else None,
            "new_agent": _agent_public_snapshot(new_agent) if new_agent else None,
            "post": post,
            "effective_date": effective_date,
            "reason": reason,
        },
    )
    return change


def _system_user() -> User:
    """The account that system-made records name as their author (never logs in)."""
    user, _created = User.objects.get_or_create(
        username="system",
        defaults={"full_name": "系统", "role": Role.SYSADMIN, "is_active": False},
    )
    return user


@transaction.atomic
def activity_record(
    *,
    actor,
    unit: Unit,
    kind: str,
    title: str,
    starts_at: datetime,
    location: str = "",
    summary: str = "",
    attendance: dict[int, str] | None = None,
) -> Activity:
    """A training or meeting with each invited agent's attendance (present/excused/absent)."""
    _require_manager_of(actor, unit)
    if kind not in Activity.Kind.values:
        raise ValidationFailed(_("Choose training or meeting."), field="kind")
    if not title.strip():
        raise ValidationFailed(_("Enter a title."), field="title")
    if timezone.is_naive(starts_at):
        raise ValidationFailed(_("Enter the time with its time zone."), field="starts_at")
    attendance = attendance or {}
    if any(status not in Attendance.Status.values for status in attendance.values()):
        raise ValidationFailed(_("Choose a valid attendance."), field="attendance")
    agents = Agent.objects.filter(pk__in=attendance, unit__path__startswith=unit.path)
    if agents.count() != len(attendance):
        raise ValidationFailed(
            _("Only agents of this unit and the units below it can be invited."), field="attendance"
        )
    activity = Activity.objects.create(
        unit=unit,
        kind=kind,
        title=title.strip(),
        starts_at=starts_at,
        location=location,
        summary=summary,
        recorded_by=actor or _system_user(),
    )
    Attendance.objects.bulk_create(
        Attendance(activity=activity, agent_id=agent_id, status=status)
        for agent_id, status in attendance.items()
    )
    event_record(
        actor=actor,
        action="activity.record",
        obj=activity,
        after={
            "kind": kind,
            "title": activity.title,
            "starts_at": starts_at,
            "attendance": {str(k): v for k, v in attendance.items()},
        },
    )
    return activity


def _check_role(actor, role: str, unit: Unit | None) -> None:
    """A role exists, staff roles sit in a unit, and only system administrators hand out the
    roles that see everything."""
    if role not in Role.values:
        raise ValidationFailed(_("Unknown role."), field="role")
    if actor is not None and actor.role != Role.SYSADMIN and role in SEE_EVERYTHING:
        raise PermissionDenied(_("Only system administrators can grant this role."))
    if role in STAFF_ROLES and unit is None:
        raise ValidationFailed(_("Staff accounts belong to a unit."), field="unit")


@transaction.atomic
def user_create(
    *,
    actor,
    username: str,
    password: str,
    role: str,
    unit: Unit | None = None,
    full_name: str = "",
    is_demo: bool = False,
) -> User:
    """A login. Centre administrators get the admin site (limited to their tree)."""
    if actor is not None and actor.role not in (Role.CENTRE_ADMIN, Role.SYSADMIN):
        raise PermissionDenied(_("Only administrators can create accounts."))
    _check_role(actor, role, unit)
    if actor is not None and unit is not None and not in_scope(actor, unit):
        raise PermissionDenied(_("This unit is outside your area."))
    if User.objects.filter(username=username).exists():
        raise ValidationFailed(_("This user name is taken."), field="username")
    user = User(
        username=username,
        full_name=full_name,
        role=role,
        unit=unit,
        is_demo=is_demo,
        is_staff=role in (Role.CENTRE_ADMIN, Role.SYSADMIN),
        is_superuser=role == Role.SYSADMIN,
    )
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        raise ValidationFailed(" ".join(exc.messages), field="password") from exc
    user.set_password(password)
    user.save()
    event_record(
        actor=actor,
        action="user.create",
        obj=user,
        unit_path=unit.path if unit else "",
        after={
            "username": username,
            "role": role,
            "unit": unit.code if unit else None,
            "is_demo": is_demo,
        },
    )
    return user


USER_DETAIL_FIELDS = ["full_name", "role", "unit", "is_active"]


@transaction.atomic
def user_update(*, actor, user: User, **fields: Any) -> User:
    """Change a login's name, role, unit, or switch it off (accounts are never deleted)."""
    if actor is not None and actor.role not in (Role.CENTRE_ADMIN, Role.SYSADMIN):
        raise PermissionDenied(_("Only administrators can change accounts."))
    unknown = set(fields) - set(USER_DETAIL_FIELDS)
    if unknown:
        raise ValidationFailed(
            _("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )
    user = User.objects.select_for_update(of=("self",)).select_related("unit").get(pk=user.pk)
    for unit in (user.unit, fields.get("unit")):
        if actor is not None and unit is not None and not in_scope(actor, unit):
            raise PermissionDenied(_("This unit is outside your area."))
    _check_role(actor, fields.get("role", user.role), fields.get("unit", user.unit))
    if actor is not None and user.pk == actor.pk and fields.get("is_active") is False:
        raise ValidationFailed(_("You cannot switch off your own account."), field="is_active")

    def snapshot() -> dict[str, Any]:
        return {
            "full_name": user.full_name,
            "role": user.role,
            "unit": user.unit.code if user.unit_id else None,
            "is_active": user.is_active,
        }

    before = snapshot()
    for field, value in fields.items():
        setattr(user, field, value)
    user.is_staff = user.role in (Role.CENTRE_ADMIN, Role.SYSADMIN)
    user.is_superuser = user.role == Role.SYSADMIN
    before, after = changes(before, snapshot())
    if not after:
        return user
    user.save()
    event_record(actor=actor, action="user.update", obj=user, before=before, after=after)
    return user
