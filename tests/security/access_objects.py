"""The data of the access matrix: two counties, the acting users (one per role), and two areas
of objects the actors must not reach.

    near: objects of village C2-1 (town C2, county C), their department tasks for department
          C-D2. Outside the scope of every actor below the county: the agent of the sibling
          village C2-2, the town C1 agent and manager, and the liaison of department C-D1.
    far:  the same objects in a second county K. Outside the scope of county C's centre agent
          and centre administrator (one deployment may hold several counties, SPEC §1).

Supervisors and system administrators see everything (bangban.org.scoping.SEE_EVERYTHING), so
no case object is outside their scope; the matrix does not act as them on objects (the admin
and the portal's tokens are still tried with them).

Every object carries identifying data (its case number, an applicant's name, ID number and
phone) that a refused answer must never show: `Area.secrets`."""

import io
import random
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image
from rest_framework.authtoken.models import Token

from bangban.assessment.models import Assessment, Finding, FindingKind
from bangban.assessment.services import rule_set_for
from bangban.cases import services as case_services
from bangban.cases.models import (
    Booking,
    Case,
    CasePhoto,
    Deficiency,
    Handover,
    Incident,
    Milestone,
    Plan,
    Rating,
    Task,
)
from bangban.cases.workflow import State
from bangban.catalog.models import ImportJob, Item
from bangban.core.crypto import blind_index
from bangban.core.identifiers import generate_id_number, generate_mobile
from bangban.documents.models import ArchiveExport, SignedScan
from bangban.documents.services.forms import document_generate
from bangban.feedback import services as feedback_services
from bangban.feedback.followup import rectification_open
from bangban.feedback.models import CallbackSample, Rectification, RectificationEvidence
from bangban.notify.models import OutboxMessage
from bangban.org.models import Activity, Level, PersonnelChange, Role, Unit, User
from bangban.supervision.models import LedgerExport, MonthlyReport
from tests.cases.factories import case_in_state, item_of
from tests.factories import AgentFactory, UnitFactory, UserFactory


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, "PNG")
    return buffer.getvalue()


PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def person(seed: int, name: str) -> dict[str, str]:
    rng = random.Random(seed)
    return {
        "applicant_name": name,
        "id_number": generate_id_number(rng),
        "phone": generate_mobile(rng),
        "address": "保密路9号",
    }


@dataclass
class Area:
    """The objects of one area outside the actors' scope."""

    name: str
    county: Unit
    town: Unit
    village: Unit
    department: Unit
    objects: dict[str, Any] = field(default_factory=dict)
    secrets: list[str] = field(default_factory=list)

    def __getattr__(self, key: str) -> Any:
        try:
            return self.__dict__["objects"][key]
        except KeyError as exc:
            raise AttributeError(key) from exc


def _staff(unit: Unit, role: Role, name: str, *, agent: bool = True, **extra) -> User:
    # Centre and system administrators are Django staff, as org.services makes them.
    staff = role in (Role.CENTRE_ADMIN, Role.SYSADMIN)
    user = UserFactory(unit=unit, role=role, full_name=name, is_staff=staff, **extra)
    if agent:
        AgentFactory(unit=unit, user=user, name=name)
    return user


def _county(code: str, name: str) -> dict[str, Unit]:
    county = UnitFactory(name=f"{name}政务服务中心", code=code, level=Level.COUNTY)
    units = {"county": county}
    for d in (1, 2):
        units[f"D{d}"] = UnitFactory(
            name=f"{name}第{d}局", code=f"{code}-D{d}", level=Level.DEPARTMENT, parent=county
        )
    for t in (1, 2):
        town = UnitFactory(
            name=f"{name}第{t}镇", code=f"{code}{t}", level=Level.TOWN, parent=county
        )
        units[f"T{t}"] = town
        for v in (1, 2):
            units[f"T{t}V{v}"] = UnitFactory(
                name=f"{name}第{t}镇{v}村", code=f"{code}{t}-{v}", level=Level.VILLAGE, parent=town
            )
    return units


def _area(name: str, units: dict[str, Unit], seed: int) -> Area:
    """Objects of every kind in village T2V1 of `units`, their tasks for department D2."""
    village, town, county, dept = units["T2V1"], units["T2"], units["county"], units["D2"]
    area = Area(name=name, county=county, town=town, village=village, department=dept)
    o = area.objects
    admin = _staff(county, Role.CENTRE_ADMIN, f"{name}中心管理员", agent=False)
    agent = _staff(village, Role.AGENT, f"{name}秘密代办员")
    manager = _staff(town, Role.MANAGER, f"{name}秘密站长")
    item = item_of(dept, actor=admin, name=f"{name}秘密事项", limit_days=3)
    applicant = person(seed, f"{name}欧阳秘")
    o.update(admin=admin, agent_user=agent, agent=agent.agent, manager=manager, item=item)

    case = case_in_state(State.IN_PROGRESS, actor=agent, items=[item], applicant=applicant)
    o["case"] = case
    o["task"] = Task.objects.filter(case=case).first()
    today = timezone.localdate()
    o["deficiency"] = Deficiency.objects.create(case=case, material="户口簿", due_on=today)
    handover = Handover.objects.create(
        case=case, giver="agent", receiver="lost", giver_signatory=agent.full_name,
        occurred_at=timezone.now(),
    )  # fmt: skip
    o["incident"] = Incident.objects.create(
        case=case, handover=handover, description="材料遗失", opened_at=timezone.now()
    )
    plan = Plan.objects.create(case=case, agreed_with=applicant["applicant_name"], agreed_on=today)
    o["milestone"] = Milestone.objects.create(plan=plan, title="提交材料", due_on=today)
    o["photo"] = CasePhoto.objects.create(
        case=case,
        file=ContentFile(png_bytes(), name="p.png"),
        original_name="p.png",
        content_type="image/png",
        size=10,
        sha256="0" * 64,
        uploaded_at=timezone.now(),
    )
    document = document_generate(actor=agent, case=case, kind="acceptance_receipt")
    o["document"] = document
    o["scan"] = SignedScan.objects.create(
        document=document,
        file=ContentFile(PDF_BYTES, name="s.pdf"),
        original_name="s.pdf",
        content_type="application/pdf",
        size=len(PDF_BYTES),
        sha256="0" * 64,
        uploaded_at=timezone.now(),
        uploaded_by=agent,
        event=document.event,
    )
    phone = applicant["phone"]
    o["booking"] = Booking.objects.create(
        unit=village,
        item=item,
        start=timezone.now() + timedelta(days=1),
        end=timezone.now() + timedelta(days=1, hours=1),
        applicant_name=applicant["applicant_name"],
        phone=phone,
        phone_index=blind_index(phone, purpose="phone"),
        code=f"B{seed:07d}",
        created_at=timezone.now(),
    )

    # A finished, low-rated case: its archive, its rectification and a callback sample.
    done = case_in_state(State.DELIVERED, actor=agent, items=[item], applicant=applicant)
    case_services.rating_record(
        actor=agent, case=done, revision=done.revision, level=1, comment="态度差"
    )
    done.refresh_from_db()
    o["done_case"] = done
    rating = Rating.objects.get(case=done)
    rectification = Rectification.objects.filter(case=done).first() or rectification_open(
        rating=rating
    )
    o["rectification"] = rectification
    o["evidence"] = RectificationEvidence.objects.create(
        rectification=rectification,
        file=ContentFile(png_bytes(), name="e.png"),
        original_name="e.png",
        content_type="image/png",
        size=10,
        sha256="0" * 64,
        uploaded_at=timezone.now(),
        uploaded_by=manager,
    )
    o["sample"] = CallbackSample.objects.create(
        unit=town,
        month=today.replace(day=1),
        size=1,
        seed=seed,
        population=1,
        case_ids=[done.pk],
        drawn_at=timezone.now(),
        drawn_by=admin,
    )
    o["archive"] = ArchiveExport.objects.create(
        requested_by=admin,
        scope=county.path,
        case=done,
        state=ArchiveExport.State.DONE,
        total=1,
        done=1,
        file=ContentFile(b"PK\x05\x06" + b"\0" * 18, name="a.zip"),
        finished_at=timezone.now(),
    )
    o["ledger"] = LedgerExport.objects.create(
        requested_by=admin,
        scope=county.path,
        state=LedgerExport.State.DONE,
        total=2,
        done=2,
        file=ContentFile(b"PK\x05\x06" + b"\0" * 18, name="l.xlsx"),
        finished_at=timezone.now(),
    )
    o["monthly"] = MonthlyReport.objects.create(
        unit=town,
        month=today.replace(day=1),
        version=1,
        generated_at=timezone.now(),
        generated_by=admin,
        figures={"cases": [case.number]},
        content_sha256="0" * 64,
        pdf=ContentFile(PDF_BYTES, name="m.pdf"),
        pdf_sha256="0" * 64,
        xlsx=ContentFile(b"PK\x05\x06" + b"\0" * 18, name="m.xlsx"),
        xlsx_sha256="0" * 64,
    )
    o["finding"] = Finding.objects.create(
        unit=town,
        year=today.year,
        found_on=today,
        kind=FindingKind.RULE_GAP,
        description=f"{name}秘密检查发现",
        evidence=ContentFile(png_bytes(), name="f.png"),
        recorded_by=admin,
        recorded_at=timezone.now(),
    )
    rule_set = rule_set_for(today.year)
    if rule_set.pk is None:
        rule_set.save()
    o["assessment"] = Assessment.objects.create(
        year=today.year,
        unit=town,
        rule_set=rule_set,
        seed=seed,
        own_score=90,
        villages_mean=90,
        total=90,
        computed_at=timezone.now(),
    )
    o["complaint"] = feedback_services.complaint_submit(
        category="attitude",
        description="窗口人员态度恶劣，推诿扯皮，多次往返仍未办成。",
        contact_name=applicant["applicant_name"],
        contact_phone=phone,
        unit=village,
        case_number=case.number,
    )
    o["obstacle"] = feedback_services.obstacle_submit(
        matter="办理营业执照",
        description="跑了三次都没有办成，窗口说材料不全但没有一次性告知。",
        contact_name=applicant["applicant_name"],
        contact_phone=phone,
        unit=village,
        case_number=case.number,
    )
    o["outbox"] = OutboxMessage.objects.create(
        kind="accepted",
        phone=phone,
        phone_masked=phone[:3] + "****" + phone[-4:],
        params={"number": case.number},
        text=f"您的办件{case.number}已登记",
        dedupe_key=f"access-{seed}",
        unit_path=village.path,
        subject=case.number,
        next_attempt_at=timezone.now(),
        created_at=timezone.now(),
    )
    o["activity"] = Activity.objects.create(
        kind=Activity.Kind.TRAINING,
        title=f"{name}秘密培训",
        unit=town,
        starts_at=timezone.now(),
        recorded_by=admin,
    )
    o["import_job"] = ImportJob.objects.create(
        file=ContentFile(b"PK\x05\x06" + b"\0" * 18, name="i.xlsx"),
        original_name=f"{name}秘密目录.xlsx",
        status="done",
        report=ContentFile(b"PK\x05\x06" + b"\0" * 18, name="r.xlsx"),
        created_by=admin,
    )
    o["personnel_change"] = PersonnelChange.objects.create(
        unit=village, new_agent=agent.agent, post="代办员", effective_date=today, recorded_by=admin
    )
    o["token"] = Token.objects.create(user=agent)
    o["event"] = document.event
    area.secrets = [
        case.number,
        done.number,
        applicant["applicant_name"],
        applicant["id_number"],
        phone,
        agent.agent.id_number,
        agent.agent.phone,
        f"{name}秘密",
    ]
    return area


# The actors: who they are, where they sit, and which area lies outside their scope.
ACTORS: dict[str, tuple[Role | None, str | None, str]] = {
    "anonymous": (None, None, "near"),
    "applicant": (Role.APPLICANT, None, "near"),
    "agent_village": (Role.AGENT, "T2V2", "near"),  # the sibling village of the near objects
    "agent_town": (Role.AGENT, "T1", "near"),
    "liaison": (Role.LIAISON, "D1", "near"),  # the near tasks go to department D2
    "manager": (Role.MANAGER, "T1", "near"),
    "agent_county": (Role.AGENT, "county", "far"),
    "centre_admin": (Role.CENTRE_ADMIN, "county", "far"),
}
# Not in ACTORS: they see everything (see the module's docstring), so only the admin and the
# portal's tokens are tried with them.
SEE_ALL = {"supervisor": Role.SUPERVISOR, "sysadmin": Role.SYSADMIN}


@dataclass
class World:
    units: dict[str, Unit]
    near: Area
    far: Area
    users: dict[str, User | None]
    tokens: dict[str, str]
    sessions: dict[str, str] = field(default_factory=dict)

    def target(self, actor: str) -> Area:
        return self.near if ACTORS[actor][2] == "near" else self.far


def build_world() -> World:
    units = _county("C", "本县")
    far_units = _county("K", "外县")
    near = _area("近区", units, seed=101)
    far = _area("外县", far_units, seed=202)
    users: dict[str, User | None] = {"anonymous": None}
    for actor, (role, unit_key, _area_name) in ACTORS.items():
        if role is None:
            continue
        unit = units[unit_key] if unit_key else None
        users[actor] = _staff(
            unit, role, f"操作员{actor}", agent=role in (Role.AGENT, Role.MANAGER)
        )
    for actor, role in SEE_ALL.items():
        users[actor] = _staff(units["county"], role, f"操作员{actor}", agent=False)
    tokens = {actor: Token.objects.create(user=user).key for actor, user in users.items() if user}
    # The far county's item is in the catalog of the whole deployment, like the near one.
    assert Item.objects.filter(pk=far.item.pk).exists()
    assert Case.objects.filter(unit__path__startswith=far.county.path).count() == 2
    return World(units=units, near=near, far=far, users=users, tokens=tokens)
