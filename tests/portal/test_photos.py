"""The material photos of an online application: the point's staff open them from the case
page (stored under our own names, every opening logged); nobody outside the case's area can."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from bangban.cases.models import CasePhoto
from bangban.cases.services import case_apply_online
from bangban.core.models import Event
from bangban.org.models import Role
from tests.factories import UserFactory
from tests.portal import public_helpers
from tests.portal.public_helpers import ID_NUMBER, PHONE, make_world

pytestmark = pytest.mark.django_db
sms = public_helpers.sms  # the fixture


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_staff_open_the_photos_of_an_online_application(client, sms):
    world = make_world()
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(buffer, "PNG")
    content = buffer.getvalue()
    case = case_apply_online(
        phone=PHONE,
        unit=world["village"],
        items=[world["item"]],
        applicant={"applicant_name": "王大爷", "id_number": ID_NUMBER},
        photos=[SimpleUploadedFile("../../户口簿 首页.png", content)],
    )
    photo = CasePhoto.objects.get(case=case)
    assert photo.original_name == "户口簿 首页.png"  # Django keeps the base name only
    assert "户口簿" not in photo.file.name and ".." not in photo.file.name
    client.force_login(world["agent"])
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    url = reverse("cases:photo", args=[case.pk, photo.pk])
    assert f'href="{url}"' in page
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == content
    assert response["Cache-Control"] == "private, no-store"
    assert Event.objects.filter(action="personal_data.reveal", after__photo=photo.pk).exists()
    # Another village's agent, and the public, do not get it.
    other = UserFactory(unit=world["villages"][2], role=Role.AGENT)
    client.force_login(other)
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302
