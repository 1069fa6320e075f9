"""Document tests: forms of cases made through the case services, their text read back with
pdftotext and their first page rasterised for review into var/test-artefacts/documents/."""

import subprocess
from pathlib import Path

import pytest

from bangban.cases import services as case_services
from bangban.cases.workflow import State
from bangban.org.models import Role
from tests.cases.factories import PERSON, case_in_state, item_of
from tests.factories import AgentFactory, UserFactory, county_tree

ARTEFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artefacts" / "documents"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Generated PDFs go to a throwaway media root, never the developer's var/."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.BANGBAN_PUBLIC_URL = "https://bangban.example.gov.cn"


def pdf_text(pdf: bytes) -> str:
    result = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    )
    return result.stdout.decode("utf-8")


def rasterise(pdf: bytes, name: str) -> Path:
    """The first page as a PNG at 50 dpi, kept for a human to look at."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    prefix = ARTEFACTS / name
    subprocess.run(
        ["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", "-singlefile", "-", str(prefix)],
        input=pdf,
        capture_output=True,
        check=True,
    )
    return prefix.with_suffix(".png")


@pytest.fixture
def world(db):
    """A village point of a county tree, its agent 李帮办 and an item the department decides."""
    tree = county_tree()
    village = tree["villages"][0]
    admin = UserFactory(unit=tree["county"], role=Role.CENTRE_ADMIN)
    item = item_of(tree["dept"], actor=admin, name="个体工商户设立登记", limit_days=3)
    agent = UserFactory(unit=village, role=Role.AGENT, full_name="李帮办")
    AgentFactory(unit=village, user=agent, name="李帮办")
    return {"agent": agent, "item": item, "village": village, "tree": tree}


def make(world, state, **extra):
    case = case_in_state(state, actor=world["agent"], items=[world["item"]], **extra)
    case.refresh_from_db()
    return case


def signed_proxy_case(world):
    """An accepted proxy case whose delegation agreement both parties have signed."""
    case = make(world, State.ACCEPTED, kind="proxy", proxy_scope="full")
    case_services.agreement_sign(
        actor=world["agent"],
        case=case,
        revision=case.revision,
        applicant_signatory=PERSON["applicant_name"],
        agent_phone="0356-3181393",
    )
    case.refresh_from_db()
    return case
