"""The public portal's actions (掌上申请, 预约, 查询, 评价): done by a citizen, not by staff.

A citizen has no login; they prove their phone number with an SMS code. What they do is
recorded under one dedicated system user, "网上申请（公众）" (inactive, no password), because a
case, a timeline line and a handover need a user; the event names the citizen by their masked
phone ("公众:138****0000"). The point's staff are notified in the app and by SMS.

Abuse limits (SMS codes per phone and per address) are settings with defaults here."""

import secrets
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from bangban.cases import hours
from bangban.cases.area import town_id_of
from bangban.cases.models import (
    ApplicantType,
    Booking,
    Case,
    CaseItem,
    CasePhoto,
    Category,
    Channel,
    Kind,
    PhoneCode,
    Rating,
    RatingSource,
)
from bangban.cases.services.common import POINT_LEVELS, _log, _notify, fits
from bangban.cases.services.registration import _applicant, _next_number
from bangban.cases.signals import rating_recorded
from bangban.cases.tally import facts_of, tally_change, tally_rating
from bangban.cases.workflow import Action, check
from bangban.catalog.models import Item
from bangban.catalog.selectors import items_offered
from bangban.core.crypto import blind_index
from bangban.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from bangban.core.events import event_record
from bangban.core.identifiers import validate_mobile
from bangban.core.masking import mask_id_number, mask_phone
from bangban.core.ratelimit import ratelimit_hit
from bangban.core.text import text_check
from bangban.core.uploads import image_check, sha256_of
from bangban.notify.models import Kind as SmsKind
from bangban.notify.services import outbox_enqueue
from bangban.org.models import Agent, Role, Unit, User
from bangban.org.scoping import in_scope

PUBLIC_USERNAME = "portal-public"


def setting(name: str) -> int:
    """One of the portal's limits (settings.py, from the environment)."""
    return getattr(settings, name)


def public_user() -> User:
    """The system user under which the public's actions are recorded."""
    user = User.objects.filter(username=PUBLIC_USERNAME).first()
    if user is None:
        user = User(
            username=PUBLIC_USERNAME,
            full_name=_("Online applicant (public)"),
            role=Role.APPLICANT,
            is_active=False,
        )
        user.set_unusable_password()
        user.save()
    return user


def public_label(phone: str) -> str:
    return f"公众:{mask_phone(phone)}"


# SMS codes -----------------------------------------------------------------------------------


def _code_hash(phone_index: str, code: str) -> str:
    return salted_hmac("bangban.portal.sms-code", f"{phone_index}:{code}").hexdigest()


@transaction.atomic
def phone_code_send(*, phone: str, ip: str) -> PhoneCode:
    """A six-digit code by SMS to prove the phone, valid a few minutes. Limited per phone (one
    a minute, a few an hour) and per address; over a limit, TooManyRequests and nothing sent."""
    phone = validate_mobile(phone, field="phone")
    index = blind_index(phone, purpose="phone")
    ratelimit_hit(
        "sms-code-ip",
        ip,
        limit=setting("BANGBAN_SMS_CODE_PER_IP_HOUR"),
        window=3600,
        message=_("Too many codes were requested from this network. Try again in an hour."),
    )
    ratelimit_hit(
        "sms-code-phone-minute",
        index,
        limit=setting("BANGBAN_SMS_CODE_PER_PHONE_MINUTE"),
        window=60,
        message=_("A code was just sent to this phone. Wait a minute before asking again."),
    )
    ratelimit_hit(
        "sms-code-phone-hour",
        index,
        limit=setting("BANGBAN_SMS_CODE_PER_PHONE_HOUR"),
        window=3600,
        message=_("Too many codes were sent to this phone. Try again in an hour."),
    )
    code = f"{secrets.randbelow(1_000_000):06d}"
    now = timezone.now()
    minutes = setting("BANGBAN_SMS_CODE_MINUTES")
    # A new code replaces the earlier ones.
    PhoneCode.objects.filter(phone_index=index, used_at__isnull=True).update(used_at=now)
    sent = PhoneCode.objects.create(
        phone_index=index,
        code_hash=_code_hash(index, code),
        created_at=now,
        expires_at=now + timedelta(minutes=minutes),
    )
    outbox_enqueue(
        kind=SmsKind.SMS_CODE,
        phone=phone,
        params={"code": code, "minutes": minutes},
        dedupe_key=f"sms_code:{sent.pk}",
        subject="portal",
    )
    return sent


def phone_code_verify(*, phone: str, code: str) -> str:
    """The normalised phone when `code` is the code last sent to it; ValidationFailed when it
    is wrong, expired, used, or was tried wrongly too often."""
    phone = validate_mobile(phone, field="phone")
    index = blind_index(phone, purpose="phone")
    now = timezone.now()
    sent = PhoneCode.objects.filter(phone_index=index, used_at__isnull=True).first()
    if sent is None or sent.expires_at <= now:
        raise ValidationFailed(
            _("The code has expired or was not sent. Ask for a new code."), field="code"
        )
    if sent.tries >= setting("BANGBAN_SMS_CODE_MAX_TRIES"):
        raise ValidationFailed(
            _("The code was entered wrongly too many times. Ask for a new code."), field="code"
        )
    if not constant_time_compare(sent.code_hash, _code_hash(index, code.strip())):
        PhoneCode.objects.filter(pk=sent.pk, tries=sent.tries).update(tries=sent.tries + 1)
        raise ValidationFailed(
            _("The code is not right. Check the SMS and try again."), field="code"
        )
    if not PhoneCode.objects.filter(pk=sent.pk, used_at__isnull=True).update(used_at=now):
        raise ValidationFailed(_("This code was already used. Ask for a new code."), field="code")
    return phone


# Applications --------------------------------------------------------------------------------


def _check_point(unit: Unit, items: Iterable[Item]) -> list[Item]:
    if not unit.is_active or unit.level not in POINT_LEVELS:
        raise ValidationFailed(_("Choose a service point."), field="unit")
    chosen = list(items)
    if not chosen:
        raise ValidationFailed(_("Choose an item."), field="item")
    offered = set(
        items_offered(unit=unit).filter(pk__in=[i.pk for i in chosen]).values_list("pk", flat=True)
    )
    if any(item.pk not in offered for item in chosen):
        raise ValidationFailed(
            _("This service point does not handle this item. Choose another point."),
            field="unit",
        )
    return chosen


def _staff_of(unit: Unit) -> list[User]:
    return list(
        User.objects.filter(
            unit=unit, is_active=True, role__in=[Role.AGENT, Role.MANAGER]
        ).order_by("pk")
    )


def _agents_with_phones(unit: Unit) -> list[Agent]:
    return [
        agent
        for agent in Agent.objects.filter(unit=unit, active_until__isnull=True, on_duty=True)
        if agent.phone
    ]


def _tell_point(*, unit: Unit, case: Case | None, number: str, item: str, text: str, key: str):
    _notify(_staff_of(unit), case, text)
    for agent in _agents_with_phones(unit):
        outbox_enqueue(
            kind=SmsKind.NEW_REQUEST,
            phone=agent.phone,
            params={"number": number, "item": item, "point": unit.name},
            dedupe_key=f"new_request:{key}:agent:{agent.pk}",
            unit_path=unit.path,
            subject=number,
            recipient=agent.user,
        )


def _check_photos(photos: Sequence[UploadedFile]) -> list[tuple[UploadedFile, str]]:
    if len(photos) > setting("BANGBAN_PORTAL_MAX_PHOTOS"):
        raise ValidationFailed(
            _("Upload at most %(count)d photos.") % {"count": setting("BANGBAN_PORTAL_MAX_PHOTOS")},
            field="photos",
        )
    limit = setting("BANGBAN_PORTAL_PHOTO_MAX_MB")
    return [(photo, image_check(photo, max_mb=limit)) for photo in photos]


@transaction.atomic
def case_apply_online(
    *,
    phone: str,
    unit: Unit,
    items: Sequence[Item],
    applicant: Mapping[str, Any],
    applicant_type: str = ApplicantType.PERSON,
    kind: str = Kind.ASSIST,
    special_group: bool = False,
    home_visit: bool = False,
    photos: Sequence[UploadedFile] = (),
) -> Case:
    """掌上申请: a citizen with a verified phone registers a case at a point. It lands in the
    point's queue unassigned (the manager dispatches it); the point's staff are told. A
    special-group applicant may ask for a home visit (the case's channel says so)."""
    if kind not in Kind.values:
        raise ValidationFailed(_("Choose a valid value."), field="kind")
    if home_visit and not special_group:
        raise ValidationFailed(
            _("Home visits are for elderly, sick, disabled and other special-group applicants."),
            field="home_visit",
        )
    chosen = _check_point(unit, items)
    fields = _applicant(applicant_type, {**applicant, "phone": phone})
    if applicant_type == ApplicantType.ENTERPRISE:
        # The credit code is checked by staff at the window: the portal takes persons only.
        raise ValidationFailed(
            _("Enterprises and projects apply at the service point."), field="applicant_type"
        )
    checked = _check_photos(photos)
    actor = public_user()
    now = timezone.now()
    channel = Channel.HOME_VISIT if home_visit else Channel.ONLINE
    category = Category.SPECIAL_GROUP if special_group else Category.PERSONAL
    case = Case.objects.create(
        number=_next_number(unit, timezone.localdate(now)),
        unit=unit,
        town_id=town_id_of(unit),
        kind=kind,
        channel=channel,
        category=category,
        special_group=special_group,
        registered_at=now,
        created_by=actor,
        **fields,
    )
    CaseItem.objects.bulk_create(
        CaseItem(case=case, item=item, item_version_id=item.current_version_id) for item in chosen
    )
    tally_change(None, facts_of(case), case_id=case.pk, item_ids=[item.pk for item in chosen])
    for photo, content_type in checked:
        original = photo.name or "photo"
        # Stored under a name of ours: the uploader's name is kept as data, never as a path.
        photo.name = f"{uuid.uuid4().hex}.{'png' if content_type == 'image/png' else 'jpg'}"
        CasePhoto.objects.create(
            case=case,
            file=photo,
            original_name=original[-200:],
            content_type=content_type,
            size=photo.size,
            sha256=sha256_of(photo),
            uploaded_at=now,
        )
    names = "、".join(item.name for item in chosen)
    event = event_record(
        actor=actor,
        actor_label=public_label(case.phone),
        action="case.register",
        obj=case,
        after={
            "number": case.number,
            "kind": kind,
            "channel": channel,
            "items": [item.pk for item in chosen],
            "applicant": case.applicant_name,
            "id_number": mask_id_number(case.id_number),
            "phone": mask_phone(case.phone),
            "photos": len(checked),
        },
    )
    _log(case=case, actor=actor, action="register", when=now, reason="", summary=names, event=event)
    text = (
        _("New home-visit request %(number)s: %(items)s")
        if home_visit
        else _("New online application %(number)s: %(items)s")
    ) % {"number": case.number, "items": names}
    _tell_point(
        unit=unit, case=case, number=case.number, item=names, text=text, key=f"case:{case.pk}"
    )
    return case


# Bookings ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OfferedSlot:
    slot: hours.Slot
    left: int


def slots_available(unit: Unit, *, now: datetime | None = None) -> list[OfferedSlot]:
    """The point's slots from now over the next days, full ones left out."""
    now = now or timezone.now()
    found = hours.slots(
        unit,
        first=timezone.localtime(now).date(),
        days=setting("BANGBAN_BOOKING_DAYS"),
        minutes=setting("BANGBAN_BOOKING_SLOT_MINUTES"),
        after=now,
    )
    if not found:
        return []
    taken: dict[datetime, int] = {}
    for start in Booking.objects.filter(
        unit=unit, state=Booking.State.BOOKED, start__gte=found[0].start
    ).values_list("start", flat=True):
        taken[start] = taken.get(start, 0) + 1
    capacity = setting("BANGBAN_BOOKING_SLOT_CAPACITY")
    return [
        OfferedSlot(slot, capacity - taken.get(slot.start, 0))
        for slot in found
        if taken.get(slot.start, 0) < capacity
    ]


_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def _booking_code() -> str:
    while True:
        code = "".join(secrets.choice(_CODE_ALPHABET) for _i in range(6))
        if not Booking.objects.filter(code=code).exists():
            return code


@transaction.atomic
def booking_make(
    *,
    phone: str,
    unit: Unit,
    item: Item,
    slot: str,
    applicant_name: str,
    special_group: bool = False,
    home_visit: bool = False,
    address: str = "",
) -> Booking:
    """预约: a slot at a point, taken when it is still offered and not full. The applicant gets
    the booking code by SMS; the point's staff are told."""
    phone = validate_mobile(phone, field="phone")
    _check_point(unit, [item])
    name, address = applicant_name.strip(), address.strip()
    if not name:
        raise ValidationFailed(_("Enter your name."), field="applicant_name")
    fits(Booking, "applicant_name", name)
    fits(Booking, "address", address)
    if home_visit and not special_group:
        raise ValidationFailed(
            _("Home visits are for elderly, sick, disabled and other special-group applicants."),
            field="home_visit",
        )
    if home_visit and not address:
        raise ValidationFailed(_("Enter the address for the home visit."), field="address")
    # One booking at a time per point: the count below cannot change under us.
    Unit.objects.select_for_update().filter(pk=unit.pk).first()
    now = timezone.now()
    chosen = hours.slot_of(
        unit,
        slot,
        minutes=setting("BANGBAN_BOOKING_SLOT_MINUTES"),
        days=setting("BANGBAN_BOOKING_DAYS"),
        after=now,
    )
    if chosen is None:
        raise ValidationFailed(_("This time is not offered. Choose another time."), field="slot")
    taken = Booking.objects.filter(unit=unit, start=chosen.start, state=Booking.State.BOOKED)
    if taken.count() >= setting("BANGBAN_BOOKING_SLOT_CAPACITY"):
        raise Conflict(_("This time has just been fully booked. Choose another time."))
    index = blind_index(phone, purpose="phone")
    if Booking.objects.filter(
        unit=unit, start=chosen.start, phone_index=index, state=Booking.State.BOOKED
    ).exists():
        raise Conflict(_("You have already booked this time."))
    booking = Booking.objects.create(
        unit=unit,
        item=item,
        start=chosen.start,
        end=chosen.end,
        applicant_name=name,
        phone=phone,
        phone_index=index,
        special_group=special_group,
        home_visit=home_visit,
        address=address,
        code=_booking_code(),
        created_at=now,
    )
    when = timezone.localtime(chosen.start)
    when_text = f"{when:%Y-%m-%d %H:%M}"
    event_record(
        actor=public_user(),
        actor_label=public_label(phone),
        action="booking.make",
        obj=booking,
        after={
            "code": booking.code,
            "item": item.pk,
            "start": chosen.start,
            "phone": mask_phone(phone),
        },
    )
    outbox_enqueue(
        kind=SmsKind.BOOKING_CONFIRMED,
        phone=phone,
        params={"point": unit.name, "when": when_text, "item": item.name, "code": booking.code},
        dedupe_key=f"booking_confirmed:{booking.pk}",
        unit_path=unit.path,
        subject=booking.code,
    )
    _tell_point(
        unit=unit,
        case=None,
        number=booking.code,
        item=item.name,
        text=_("New booking %(code)s: %(item)s, %(when)s")
        % {"code": booking.code, "item": item.name, "when": when_text},
        key=f"booking:{booking.pk}",
    )
    return booking


# Tracking ------------------------------------------------------------------------------------


def case_track(*, number: str, phone: str) -> Case:
    """The case with this number whose applicant's phone is `phone`; NotFound, with one neutral
    message, when either does not match (the page never says which)."""
    not_found = NotFound(
        _("No case matches this number and phone number. Check both and try again.")
    )
    try:
        phone = validate_mobile(phone, field="phone")
    except ValidationFailed as exc:
        raise not_found from exc
    index = blind_index(phone, purpose="phone")
    case = (
        Case.objects.select_related("unit", "agent")
        .filter(number=number.strip(), phone_index=index)
        .first()
    )
    if case is None:
        raise not_found
    return case


# Rating --------------------------------------------------------------------------------------


@transaction.atomic
def rating_record_public(
    *, token: str, level: int, comment: str = "", source: str = RatingSource.LINK
) -> Rating:
    """一事一评 from the QR code or the SMS link: the signed token names the case. Once per case:
    a second rating is refused politely (Conflict)."""
    from bangban.cases.tokens import rating_token_read

    claim = rating_token_read(token)
    if source not in (RatingSource.QR, RatingSource.LINK, RatingSource.SMS):
        raise ValidationFailed(_("Choose a valid value."), field="source")
    if level not in (1, 2, 3, 4, 5):
        raise ValidationFailed(_("Choose one of the five levels."), field="level")
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("unit")
        .filter(number=claim.number)
        .first()
    )
    if case is None:
        raise NotFound(_("This rating link is not valid."))
    if Rating.objects.filter(case=case).exists():
        raise Conflict(_("This case has already been rated. Thank you for your feedback."))
    rule = check(case, Action.RATE)
    comment = comment.strip()
    text_check(comment, field="comment")
    if len(comment) > 1000:
        # Refused, not cut: the applicant shortens it and nothing they wrote is lost unseen.
        raise ValidationFailed(
            _("The comment is too long: at most 1000 characters."), field="comment"
        )
    updated = Case.objects.filter(pk=case.pk, revision=case.revision).update(
        revision=case.revision + 1, **({"state": rule.target} if rule.target else {})
    )
    if not updated:
        raise Conflict(_("Somebody else changed this case meanwhile. Try again."))
    actor = public_user()
    now = timezone.now()
    event = event_record(
        actor=actor,
        actor_label=public_label(case.phone),
        action=f"case.{Action.RATE.value}",
        obj=case,
        before={"state": case.state},
        after={"state": case.state, "level": level, "declined": False, "source": source},
    )
    _log(
        case=case,
        actor=actor,
        action=Action.RATE.value,
        when=now,
        reason="",
        summary=comment[:200],
        event=event,
    )
    rating = Rating.objects.create(
        case=case, level=level, comment=comment, declined=False, source=source, rated_at=now
    )
    tally_rating(case=case, level=rating.level, rated_at=rating.rated_at)
    rating_recorded.send(sender=Rating, rating=rating, actor=actor)
    return rating


@transaction.atomic
def photo_open(*, actor, photo: CasePhoto, ip_address: str | None = None) -> CasePhoto:
    """Hand a material photo of an online application to staff who may see its case (the caller
    read it through `selectors.case_photo_get`). A photo of an ID card or a licence is personal
    data: every opening is logged."""
    event_record(
        actor=actor,
        action="personal_data.reveal",
        obj=photo.case,
        after={"photo": photo.pk, "fields": ["material_photo"]},
        ip_address=ip_address,
    )
    return photo


# Who closes a booking: the point's people (a department liaison has no bookings).
POINT_STAFF = {Role.AGENT, Role.MANAGER, Role.CENTRE_ADMIN, Role.SYSADMIN}


@transaction.atomic
def booking_mark(*, actor, booking: Booking, state: str) -> Booking:
    """The point's staff record how a booking ended: served, or cancelled (the applicant did
    not come, or called it off). Once, from booked."""
    # Who may, before what they sent: another area's booking is refused whatever the form.
    if actor.role not in POINT_STAFF or not in_scope(actor, booking.unit):
        raise PermissionDenied(_("This service point is outside your area."))
    if state not in (Booking.State.SERVED, Booking.State.CANCELLED):
        raise ValidationFailed(_("Choose a valid value."), field="state")
    updated = Booking.objects.filter(pk=booking.pk, state=Booking.State.BOOKED).update(state=state)
    if not updated:
        raise Conflict(_("This booking has already been closed."))
    booking.state = state
    event_record(
        actor=actor, action=f"booking.{state}", obj=booking, unit_path=booking.unit.path, after={}
    )
    return booking
