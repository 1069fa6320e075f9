"""Encrypted fields and blind indexes: personal data is unreadable in the database, readable in
Python with the right key only, and findable through a keyed digest."""

import pytest
from cryptography.fernet import Fernet
from django.db import connection
from django.utils import timezone

from bangban.core import crypto
from bangban.core.crypto import blind_index, decrypt, encrypt
from bangban.org.models import Agent, Unit

ID_NUMBER = "11010519491231002X"
PHONE = "13812345678"


@pytest.fixture
def clear_fernet_cache():
    crypto._fernet.cache_clear()
    yield
    crypto._fernet.cache_clear()


def make_agent(*, id_number: str = ID_NUMBER, phone: str = PHONE) -> Agent:
    unit = Unit.objects.create(name="测试县", code="T1", level="county", path="/T1/")
    return Agent.objects.create(
        unit=unit,
        name="张三",
        id_number=id_number,
        id_number_index=blind_index(id_number, purpose="id_number"),
        phone=phone,
        phone_index=blind_index(phone, purpose="phone"),
        active_from=timezone.localdate(),
    )


def raw_columns(agent: Agent) -> tuple[str, str]:
    table = connection.ops.quote_name(Agent._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id_number, phone FROM {table} WHERE id = %s", [agent.pk])
        return cursor.fetchone()


@pytest.mark.django_db
def test_round_trip_through_the_database():
    agent = make_agent()
    assert (agent.id_number, agent.phone) == (ID_NUMBER, PHONE)
    loaded = Agent.objects.get(pk=agent.pk)
    assert (loaded.id_number, loaded.phone) == (ID_NUMBER, PHONE)
    assert list(Agent.objects.values_list("id_number", "phone")) == [(ID_NUMBER, PHONE)]


@pytest.mark.django_db
def test_the_database_holds_no_plaintext():
    agent = make_agent()
    raw_id, raw_phone = raw_columns(agent)
    for raw, plain in ((raw_id, ID_NUMBER), (raw_phone, PHONE)):
        assert plain not in raw
        assert raw.startswith("gAAAAA")  # a Fernet token (version byte 0x80), not a masked copy
        assert decrypt(raw) == plain


@pytest.mark.django_db
def test_queryset_update_encrypts_too():
    agent = make_agent()
    Agent.objects.filter(pk=agent.pk).update(phone="13900001111")
    assert "13900001111" not in raw_columns(agent)[1]
    agent.refresh_from_db()
    assert agent.phone == "13900001111"


@pytest.mark.django_db
def test_empty_value_is_stored_empty():
    agent = make_agent(phone="")
    assert raw_columns(agent)[1] == ""
    agent.refresh_from_db()
    assert agent.phone == ""


def test_encryption_is_randomised():
    """Equal plaintexts give different tokens: that is why a blind index is needed to find them."""
    assert encrypt(ID_NUMBER) != encrypt(ID_NUMBER)
    assert decrypt(encrypt("带中文的值")) == "带中文的值"


@pytest.mark.django_db
def test_the_encrypted_field_cannot_be_filtered_but_the_index_can():
    agent = make_agent()
    assert not Agent.objects.filter(id_number=ID_NUMBER).exists()
    found = Agent.objects.get(id_number_index=blind_index(ID_NUMBER, purpose="id_number"))
    assert found.pk == agent.pk
    assert Agent.objects.get(phone_index=blind_index(PHONE, purpose="phone")).pk == agent.pk


def test_blind_index_matches_equal_values_whatever_the_case_and_outer_whitespace():
    digest = blind_index(ID_NUMBER, purpose="id_number")
    assert len(digest) == 64
    assert blind_index(ID_NUMBER, purpose="id_number") == digest
    assert blind_index(" 11010519491231002x\n", purpose="id_number") == digest
    assert blind_index("11010519491231003X", purpose="id_number") != digest
    assert ID_NUMBER not in digest


def test_blind_index_purposes_are_separate():
    assert blind_index(PHONE, purpose="phone") != blind_index(PHONE, purpose="id_number")


def test_blind_index_depends_on_the_key(settings):
    before = blind_index(PHONE, purpose="phone")
    settings.FIELD_ENCRYPTION_KEY = Fernet.generate_key().decode()
    assert blind_index(PHONE, purpose="phone") != before


@pytest.mark.django_db
def test_another_key_cannot_read_the_data(settings, clear_fernet_cache):
    agent = make_agent()
    settings.FIELD_ENCRYPTION_KEY = Fernet.generate_key().decode()
    crypto._fernet.cache_clear()
    with pytest.raises(ValueError, match="configured key"):
        Agent.objects.get(pk=agent.pk)
    with pytest.raises(ValueError):
        decrypt(raw_columns(agent)[0])


def test_an_altered_token_is_refused():
    token = encrypt(PHONE)
    altered = token[:-5] + ("A" if token[-5] != "A" else "B") + token[-4:]
    with pytest.raises(ValueError):
        decrypt(altered)
