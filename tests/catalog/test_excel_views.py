"""The staff pages of the catalog's Excel import and export, through the HTTP client."""

from io import BytesIO
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from bangban.catalog import excel, services
from bangban.catalog.models import ImportJob, Item
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _jobs(jobs_inline):
    """Every test here runs its import jobs inline (see tests/catalog/conftest.py)."""


@pytest.fixture
def admin_client(client, catalog_admin):
    client.force_login(catalog_admin)
    return client


def exported_bytes() -> bytes:
    out = BytesIO()
    excel.catalog_export(out)
    return out.getvalue()


def xlsx(content: bytes, name: str = "事项清单.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=excel.XLSX_CONTENT_TYPE)


def job_urls(job_id: int) -> list[str]:
    return [
        reverse("catalog-import-job", args=[job_id]),
        reverse("catalog-import-report", args=[job_id]),
    ]


@pytest.mark.parametrize("role", ["agent", "manager", "supervisor", "liaison", "applicant"])
def test_other_roles_get_403(client, county_with_departments, catalog_admin, role):
    job = ImportJob.objects.create(
        file="catalog/imports/x.xlsx", original_name="x.xlsx", created_by=catalog_admin
    )
    client.force_login(UserFactory(role=role, unit=county_with_departments["county"]))
    for url in [reverse("catalog-excel"), reverse("catalog-export"), *job_urls(job.pk)]:
        assert client.get(url).status_code == 403, url
    response = client.post(reverse("catalog-import"), {"file": xlsx(b"PK")})
    assert response.status_code == 403
    assert ImportJob.objects.count() == 1


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get(reverse("catalog-excel"))
    assert response.status_code == 302 and "/login" in response["Location"]


def test_sysadmins_may(client, county_with_departments):
    client.force_login(UserFactory(role="sysadmin", unit=None))
    assert client.get(reverse("catalog-excel")).status_code == 200


def test_the_page(admin_client, catalog_admin):
    ImportJob.objects.create(
        file="catalog/imports/x.xlsx", original_name="去年的清单.xlsx", created_by=catalog_admin
    )
    response = admin_client.get(reverse("catalog-excel"))
    assert response.status_code == 200
    html = response.content.decode()
    assert reverse("catalog-export") in html
    assert 'enctype="multipart/form-data"' in html
    assert "去年的清单.xlsx" in html
    assert 'style="' not in html and "<script>" not in html


def test_export_downloads_a_workbook(admin_client, demo_catalog):
    response = admin_client.get(reverse("catalog-export"))
    assert response.status_code == 200
    assert response["Content-Type"] == excel.XLSX_CONTENT_TYPE
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=utf-8''" + quote("事项清单-") in disposition
    book = load_workbook(BytesIO(b"".join(response.streaming_content)))
    assert book.sheetnames == ["事项", "申请材料", "办理流程", "一件事"]
    assert book["事项"].max_row == 157


def test_export_queries_do_not_grow_with_the_catalog(
    admin_client, demo_catalog, catalog_admin, django_assert_max_num_queries
):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = admin_client.get(reverse("catalog-export"))
            b"".join(response.streaming_content)
        return len(captured)

    with django_assert_max_num_queries(12):
        admin_client.get(reverse("catalog-export"))
    before = queries()
    for n in range(20):
        services.item_create(
            actor=catalog_admin,
            reason="测试",
            data={"name": f"新增事项{n}", "target": "法人"},
            materials=[{"name": "申请书"}],
            steps=[{"name": "受理"}],
        )
    assert queries() == before


def test_upload_runs_the_import_and_shows_the_summary(
    admin_client, demo_catalog, django_capture_on_commit_callbacks
):
    content = exported_bytes()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("catalog-import"), {"file": xlsx(content)})
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("catalog-import-job", args=[job.pk])
    page = admin_client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="import-summary"' in html
    assert "156" in html
    # A finished job's page does not poll.
    assert "hx-trigger" not in html
    assert 'style="' not in html


def test_a_running_job_polls_with_a_progress_bar(admin_client, catalog_admin):
    job = ImportJob.objects.create(
        file="catalog/imports/x.xlsx",
        original_name="x.xlsx",
        created_by=catalog_admin,
        status=ImportJob.Status.RUNNING,
        progress=40,
        stage="检查中",
    )
    url = reverse("catalog-import-job", args=[job.pk])
    page = admin_client.get(url).content.decode()
    assert "<html" in page and 'hx-trigger="every 1s"' in page
    fragment = admin_client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in fragment
    assert f'hx-get="{url}"' in fragment and 'hx-trigger="every 1s"' in fragment
    assert '<progress class="w-100" value="40" max="100"' in fragment
    assert "检查中" in fragment
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.SUCCEEDED, progress=100)
    fragment = admin_client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in fragment and 'data-testid="import-summary"' in fragment


def test_a_bad_upload_shows_problems_and_the_report_downloads(
    admin_client, demo_catalog, django_capture_on_commit_callbacks
):
    book = load_workbook(BytesIO(exported_bytes()))
    book["事项"]["H2"] = "很快"
    book["事项"]["D3"] = "县不存在局"
    out = BytesIO()
    book.save(out)
    items = Item.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("catalog-import"), {"file": xlsx(out.getvalue())})
    job = ImportJob.objects.get()
    html = admin_client.get(response["Location"]).content.decode()
    assert 'data-testid="import-problems"' in html
    assert "承诺办理时限（工作日）" in html and "县不存在局" in html
    assert Item.objects.count() == items
    report = admin_client.get(reverse("catalog-import-report", args=[job.pk]))
    assert report.status_code == 200
    assert report["Content-Type"] == excel.XLSX_CONTENT_TYPE
    sheet = load_workbook(BytesIO(b"".join(report.streaming_content))).active
    rows = list(sheet.values)
    assert rows[0] == ("工作表", "行", "列", "问题")
    assert [row[:3] for row in rows[1:]] == [
        ("事项", 2, "承诺办理时限（工作日）"),
        ("事项", 3, "实施部门"),
    ]


def test_a_job_without_problems_has_no_report(admin_client, catalog_admin):
    job = ImportJob.objects.create(
        file="catalog/imports/x.xlsx", original_name="x.xlsx", created_by=catalog_admin
    )
    assert admin_client.get(reverse("catalog-import-report", args=[job.pk])).status_code == 404
    assert admin_client.get(reverse("catalog-import-job", args=[job.pk + 1])).status_code == 404


@pytest.mark.parametrize(
    ("name", "content"),
    [("catalog.csv", b"a,b\n"), ("catalog.xls", b"\xd0\xcf\x11\xe0"), ("catalog", b"PK")],
)
def test_only_xlsx_files_are_taken(admin_client, name, content):
    response = admin_client.post(reverse("catalog-import"), {"file": xlsx(content, name)})
    assert response.status_code == 400
    assert excel._("Choose an Excel workbook (.xlsx).") in response.content.decode()
    assert not ImportJob.objects.exists()


def test_files_over_20_mb_are_refused(admin_client, monkeypatch):
    from bangban.catalog import import_jobs

    monkeypatch.setattr(import_jobs, "MAX_UPLOAD_BYTES", 1024)
    response = admin_client.post(reverse("catalog-import"), {"file": xlsx(b"x" * 2048)})
    assert response.status_code == 400
    assert not ImportJob.objects.exists()


def test_no_file(admin_client):
    response = admin_client.post(reverse("catalog-import"), {})
    assert response.status_code == 400
    assert not ImportJob.objects.exists()


def test_the_import_url_takes_only_post(admin_client):
    assert admin_client.get(reverse("catalog-import")).status_code == 405
