import pytest

from bangban.core.errors import ValidationFailed
from bangban.core.identifiers import credit_code_check_char
from bangban.core.models import Event
from bangban.core.services import credit_code_accept
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

VALID = "91350100M000100Y43"


def _with_wrong_check(code: str) -> str:
    right = credit_code_check_char(code[:17])
    return code[:17] + ("0" if right != "0" else "1")


def test_a_valid_code_is_accepted_without_an_event():
    check = credit_code_accept(actor=None, value=VALID.lower())
    assert check.ok and check.value == VALID
    assert not Event.objects.filter(action="credit_code.override").exists()


def test_a_failing_code_needs_a_written_reason_which_is_logged():
    clerk = UserFactory(role="agent")
    wrong = _with_wrong_check(VALID)
    with pytest.raises(ValidationFailed) as refused:
        credit_code_accept(actor=clerk, value=wrong)
    assert refused.value.field == "credit_code"
    assert refused.value.extra["overridable"] is True
    assert not Event.objects.filter(action="credit_code.override").exists()
    check = credit_code_accept(actor=clerk, value=wrong, override_reason="营业执照原件即为此代码")
    assert not check.ok and check.warning
    event = Event.objects.get(action="credit_code.override")
    assert event.actor == clerk
    assert event.after["credit_code"] == wrong
    assert event.after["reason"] == "营业执照原件即为此代码"


def test_a_code_of_the_wrong_shape_cannot_be_overridden():
    with pytest.raises(ValidationFailed):
        credit_code_accept(actor=None, value="91350100M000100Y4", override_reason="原件如此写的")
