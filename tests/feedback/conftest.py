"""Fixtures of the feedback loop tests: a village point with its manager (who has a mobile
number on an agent record), the centre's administrator, and delivered cases ready to rate."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from bangban.org.models import Role
from tests.cases.factories import case_in_state, point_with_item
from tests.factories import AgentFactory, UserFactory


class Point:
    def __init__(self):
        self.agent, self.item = point_with_item()
        self.unit = self.agent.unit
        self.county = self.unit.parent.parent
        self.manager = UserFactory(role=Role.MANAGER, unit=self.unit)
        AgentFactory(unit=self.unit, user=self.manager)
        self.admin = UserFactory(role=Role.CENTRE_ADMIN, unit=self.county)

    def case(self, state="delivered"):
        return case_in_state(state, actor=self.agent, items=[self.item])


@pytest.fixture
def point(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return Point()


def png(name: str = "evidence.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")
