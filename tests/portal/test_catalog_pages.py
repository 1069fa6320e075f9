"""The public catalog: search, guide pages (every element, materials, steps, the expected date
on the working-day calendar, the QR code, the points with their agents) and bundles."""

import re
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from bangban.catalog import services
from bangban.catalog.forms import GUIDE_ELEMENTS, LABELS
from bangban.catalog.models import Bundle, Item
from bangban.core.models import CalendarYear
from bangban.org.models import Level

# The catalog tests' fixtures: the demo catalogue (156 real items) on the test county.
from tests.catalog.conftest import county_with_departments, demo_catalog  # noqa: F401
from tests.factories import AgentFactory, UnitFactory, county_tree
from tests.portal.test_qr import modules_for, modules_of

pytestmark = pytest.mark.django_db

GUIDE = {
    "code": "TEST-GUIDE-1",
    "name": "测试经营许可",
    "item_type": "行政许可",
    "department": "县市场监督管理局",
    "case_type": "承诺件",
    "statutory_limit_days": 20,
    "promised_limit_days": 20,
    "target": "法人",
    "legal_basis": "《测试条例》第三条",
    "conditions": "具有固定经营场所",
    "fees": "不收费",
    "result": "测试许可证",
    "address": "测试县人民路1号政务服务中心二楼",
    "hours": "周一至周五 9:00-17:00",
    "consultation_phone": "咨询电话：0914-6321888",
    "complaint_channel": "12345",
    "assist_tiers": "县;乡;村",
    "proxy_tiers": "县",
    "at_most_one_visit": True,
}
MATERIALS = [
    {"name": "测试许可申请书", "form": "原件", "copies": 1, "required": "是"},
    {
        "name": "营业执照",
        "form": "复印件",
        "copies": 2,
        "required": "否",
        "source_channel": "申请人自备",
    },
]
STEPS = [
    {"name": "受理", "time_limit_days": 1, "standard": "材料齐全"},
    {"name": "审查", "time_limit_days": 15},
    {"name": "决定", "time_limit_days": 4, "result": "准予许可"},
]


def _zh(text) -> str:
    """What a user reads for an English msgid (or a lazy string)."""
    with translation.override("zh-hans"):
        return translation.gettext(text) if isinstance(text, str) else str(text)


def _today(monkeypatch, day: date) -> None:
    # The view module and the selectors read the date through django.utils.timezone.
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args, **kwargs: day)


@pytest.fixture
def tree():
    return county_tree()


@pytest.fixture
def item(tree):
    return services.item_create(
        actor=None, reason="新增", data=GUIDE, materials=MATERIALS, steps=STEPS
    )


def _page(client, item, **params) -> str:
    response = client.get(reverse("guide", args=[item.pk]), params)
    assert response.status_code == 200
    return response.content.decode()


def test_guide_shows_every_element_in_order_and_none_for_empty_values(client, item):
    page = _page(client, item)
    rows = re.findall(r'<tr data-element="(\w+)"><th scope="row">([^<]+)</th>', page)
    assert [key for key, _label in rows] == GUIDE_ELEMENTS
    assert len(rows) == 18
    assert [label for _key, label in rows] == [_zh(LABELS[key]) for key in GUIDE_ELEMENTS]
    none = _zh("Not available")
    # 行使层级 was left empty: the row stays, saying so.
    exercise = re.search(r'data-element="exercise_level">.*?</tr>', page, re.S)[0]
    assert none in exercise
    for text in ("测试经营许可", "《测试条例》第三条", "具有固定经营场所", "不收费", "测试许可证"):
        assert text in page
    assert 'href="tel:0914-6321888"' in page
    # The item code, the tiers, the annex 5 flags and the version.
    assert "TEST-GUIDE-1" in page
    for key in ("assist_tiers", "proxy_tiers", "in_four_level_list", "at_most_one_visit"):
        assert _zh(LABELS[key]) in page
    assert 'data-testid="guide-version"' in page


def test_guide_lists_materials_and_steps(client, item):
    page = _page(client, item)
    materials = re.search(r'data-testid="guide-materials".*?</table>', page, re.S)[0]
    assert materials.count("<tr>") == 1 + 2  # the header and two materials
    assert "测试许可申请书" in materials and "营业执照" in materials
    assert "申请人自备" in materials
    steps = re.search(r'data-testid="guide-steps".*?</table>', page, re.S)[0]
    assert [s for s in ("受理", "审查", "决定") if s in steps] == ["受理", "审查", "决定"]
    assert "准予许可" in steps and "材料齐全" in steps


def test_blank_forms_and_samples_download(client, tree, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    item = services.item_create(
        actor=None,
        reason="新增",
        data=GUIDE,
        materials=[
            {
                "name": "测试许可申请书",
                "blank_form": SimpleUploadedFile("form.docx", b"blank form"),
                "sample": SimpleUploadedFile("sample.pdf", b"%PDF sample"),
            }
        ],
    )
    material = item.materials.get()
    page = _page(client, item)
    blank = reverse("material-file", args=[material.pk, "blank_form"])
    sample = reverse("material-file", args=[material.pk, "sample"])
    assert f'href="{blank}"' in page and f'href="{sample}"' in page
    response = client.get(blank)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"blank form"
    assert "attachment" in response["Content-Disposition"]
    assert client.get(reverse("material-file", args=[material.pk, "other"])).status_code == 404
    services.item_update(actor=None, item=item, reason="停用", data={"is_active": False})
    assert client.get(sample).status_code == 404


def test_expected_date_counts_working_days_from_today(client, item, monkeypatch):
    # 2026-11-24 is a Tuesday; 20 working days (the day itself not counted) with no holiday
    # in between: 25-27 Nov (3), 30 Nov-4 Dec (8), 7-11 Dec (13), 14-18 Dec (18), 21-22 Dec (20).
    _today(monkeypatch, date(2026, 11, 24))
    page = _page(client, item)
    expected = re.search(r'data-testid="guide-expected">(.*?)</div>', page, re.S)[1]
    assert "2026年12月22日" in expected
    assert "20" in expected


def test_expected_date_in_an_uncovered_year_explains_instead_of_failing(client, item, monkeypatch):
    CalendarYear.objects.filter(year=2027).delete()
    # From Sunday 2026-12-20, 20 working days run past 31 December into 2027.
    _today(monkeypatch, date(2026, 12, 20))
    page = _page(client, item)
    expected = re.search(r'data-testid="guide-expected">(.*?)</div>', page, re.S)[1]
    assert "2027" in expected
    assert "alert-warning" in page


def test_immediate_and_unpublished_limits(client, tree):
    immediate = services.item_create(
        actor=None,
        reason="新增",
        data={**GUIDE, "code": "T-2", "case_type": "即办件", "promised_limit_days": 0},
    )
    assert _zh("Done on the spot.") in _page(client, immediate)
    unpublished = services.item_create(
        actor=None,
        reason="新增",
        data={**GUIDE, "code": "T-3", "case_type": "", "promised_limit_days": None},
    )
    assert _zh("The promised time limit has not been published; ask the service point.") in (
        _page(client, unpublished)
    )


def test_qr_code_encodes_the_absolute_page_url(client, item):
    page = _page(client, item)
    url = f"http://testserver/public/items/{item.pk}/"
    figure = re.search(r'data-testid="guide-qr">(.*?)</figure>', page, re.S)[1]
    svg = re.search(r"<svg .*?</svg>", figure, re.S)[0]
    assert "<path " in svg
    assert modules_of(svg) == modules_for(url)
    assert url in figure  # the caption, for those who cannot scan


def test_points_offering_with_their_agents_in_a_bounded_number_of_queries(
    client, tree, item, django_assert_max_num_queries
):
    town = tree["towns"][0]
    with CaptureQueriesContext(connection) as few:
        page = _page(client, item)
    for unit in [tree["county"], *tree["towns"], *tree["villages"]]:
        assert unit.name in page
    assert tree["dept"].name not in re.search(r'id="points".*', page, re.S)[0]
    agent = tree["agents"][tree["villages"][0].code]
    assert f'href="tel:{agent.public_phone}"' in page and agent.name in page
    # Villages fold under their town.
    folded = re.findall(r'<details class="village-group.*?</details>', page, re.S)
    assert len(folded) == 2 and tree["villages"][0].name in folded[0]

    for n in range(200):
        village = UnitFactory(
            name=f"第1镇新村{n}便民服务站", code=f"C1-N{n}", level=Level.VILLAGE, parent=town
        )
        AgentFactory(unit=village, name=f"村代办员{n}", public_phone=f"0914-7{n:06d}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = _page(client, item)
    assert "第1镇新村199便民服务站" in page and 'href="tel:0914-7000199"' in page
    assert len(few.captured_queries) <= 12


def test_points_that_removed_the_item_are_not_listed(client, tree, item):
    village = tree["villages"][3]
    services.point_offer_set(
        actor=None, unit=village, item=item, offered=False, reason="暂不具备条件"
    )
    page = _page(client, item)
    assert village.name not in page and tree["villages"][2].name in page


def test_inactive_or_unknown_items_are_404(client, item):
    services.item_update(actor=None, item=item, reason="取消事项", data={"is_active": False})
    assert client.get(reverse("guide", args=[item.pk])).status_code == 404
    assert client.get(reverse("guide", args=[999999])).status_code == 404


def test_print_view_and_no_inline_script_or_style(client, item):
    page = _page(client, item, print="1")
    assert "print-view" in page and "data-print" in page
    normal = _page(client, item)
    assert 'href="?print=1"' in normal and "print-view" not in normal
    for html in (page, normal):
        assert " style=" not in html and "<style" not in html
        assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", html)


@pytest.mark.usefixtures("demo_catalog")
def test_search_finds_items_and_bundles_in_everyday_words(client):
    food = Item.objects.get(name="食品(含保健食品)经营许可核发")
    response = client.get(reverse("catalog-search"), {"q": "开饭店"})
    assert response.status_code == 200
    page = response.content.decode()
    results = re.search(r'data-testid="search-results".*', page, re.S)[0]
    first = re.search(r'href="([^"]+)"', results)[1]
    assert first == reverse("guide", args=[food.pk])
    bundle = Bundle.objects.get(name="我要开商场超市")
    results = client.get(reverse("catalog-search"), {"q": "开商场超市"}).content.decode()
    assert f'href="{reverse("bundle-guide", args=[bundle.pk])}" data-kind="bundle"' in results
    empty = client.get(reverse("catalog-search"), {"q": "zzzzqqqq"}).content.decode()
    assert 'data-testid="search-results"' in empty and "data-kind=" not in empty


@pytest.mark.usefixtures("demo_catalog")
def test_catalog_without_a_query_groups_items_by_department(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        response = client.get(reverse("catalog-search"))
    page = response.content.decode()
    active = Item.objects.filter(is_active=True)
    # Every item's guide once (the navigation's link to this page itself is not an item).
    assert len(re.findall(r'href="/public/items/\d+/"', page)) == active.count()
    for department in {
        i.department.name for i in active.select_related("department") if i.department
    }:
        assert department in page
    assert page.count('<details class="dept-group') >= 2
    assert page.count('href="/public/bundles/') == Bundle.objects.filter(is_active=True).count()


@pytest.mark.usefixtures("demo_catalog")
def test_bundle_page_links_its_member_items(client):
    bundle = Bundle.objects.get(name="我要开商场超市")
    response = client.get(reverse("bundle-guide", args=[bundle.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert bundle.name in page
    members = re.search(r'data-testid="bundle-members".*?</ol>', page, re.S)[0]
    linked = [m.item for m in bundle.members.all() if m.item_id]
    assert linked
    for item in linked:
        assert f'href="{reverse("guide", args=[item.pk])}"' in members
    if bundle.lead_department:
        assert bundle.lead_department.name in page
    guide = client.get(reverse("guide", args=[linked[0].pk])).content.decode()
    assert reverse("bundle-guide", args=[bundle.pk]) in guide
    Bundle.objects.filter(pk=bundle.pk).update(is_active=False)
    assert client.get(reverse("bundle-guide", args=[bundle.pk])).status_code == 404
