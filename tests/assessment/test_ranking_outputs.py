"""The county ranking table of the annual assessment as PDF and xlsx (issue 7), on the county
of test_assessment (eight towns, results worked out by hand there)."""

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from bangban.assessment import outputs
from tests.assessment.test_assessment import YEAR, county, run  # noqa: F401 (fixture)
from tests.documents.conftest import pdf_text, rasterise

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_ranking_pdf_lists_every_town_in_rank_order(county, client):  # noqa: F811
    got = run(county)
    client.force_login(county["admin"])
    page = client.get(f"/assessment/{YEAR}/")
    assert f"/assessment/{YEAR}/ranking.pdf" in page.content.decode()
    assert f"/assessment/{YEAR}/ranking.xlsx" in page.content.decode()
    response = client.get(f"/assessment/{YEAR}/ranking.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    rasterise(response.content, "assessment-ranking")
    text = pdf_text(response.content)
    assert f"{YEAR}" in text
    for n in range(1, 9):
        assert f"第{n}镇便民服务中心" in text
    # 第5镇 is first, 第1镇 sixth with 67.8 (see test_assessment)
    assert text.index("第5镇便民服务中心") < text.index("第1镇便民服务中心")
    assert "67.8" in text and "53.0" in text
    assert got["T1"].rank == 6


def test_ranking_xlsx_cells(county, client):  # noqa: F811
    got = run(county)
    client.force_login(county["supervisor"])
    response = client.get(f"/assessment/{YEAR}/ranking.xlsx")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    ws = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert ws.cell(row=2, column=1).font.bold
    assert ws.max_row == 2 + 8
    body = list(ws.iter_rows(min_row=3, values_only=True))
    assert [row[0] for row in body] == list(range(1, 9))
    assert [row[11] for row in body] == sorted(a.rank for a in got.values())
    assert body[0][1] == "第5镇便民服务中心"
    t1 = next(row for row in body if row[1] == "第1镇便民服务中心")
    assert [Decimal(str(v)) for v in t1[2:8]] == [13, 6, 16, 0, 10, 8]
    assert Decimal(str(t1[8])) == 53
    assert Decimal(str(t1[10])) == Decimal("67.8")
    assert t1[11] == 6
    assert isinstance(t1[10], (int, float, Decimal))


def test_ranking_outputs_refused_to_town_staff(county, client):  # noqa: F811
    run(county)
    client.force_login(county["t1_user"])
    assert client.get(f"/assessment/{YEAR}/ranking.pdf").status_code == 403
    assert client.get(f"/assessment/{YEAR}/ranking.xlsx").status_code == 403


def test_empty_year_still_renders():
    assert pdf_text(outputs.ranking_pdf(1999))
    ws = load_workbook(io.BytesIO(outputs.ranking_xlsx(1999))).worksheets[0]
    assert ws.max_row == 2
