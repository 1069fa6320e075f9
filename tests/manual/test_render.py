"""Markdown to HTML: heading ids, screenshots (present, missing, unknown), links between
chapters; and the pages under /help/ (index, chapter, images with a strict name check)."""

import pytest
from django.urls import reverse

from bangban.manual.render import MISSING_CLASS, Targets, render_markdown

SOURCE = """# 帮办代办员操作手册

## 一、窗口登记

群众来办事，先登记。

![登记页面](img/registration.png)

## 二、一次性告知

见[部门联络员手册](liaison.md#二审批)和[英文版](../en/admin.md)。

![还没截的图](img/case-detail.png)

![不在清单里的图](img/no-such-screen.png)
"""


def targets(existing=("registration",)):
    return Targets(
        image=lambda name: f"/pics/{name}.png" if name in existing else None,
        chapter=lambda slug: f"/help/{slug}/",
    )


def test_headings_get_ids_and_the_title_and_sections_are_known():
    rendered = render_markdown(SOURCE, targets=targets(), chapter_path="zh/agent.md")
    assert '<h2 id="一窗口登记">一、窗口登记</h2>' in rendered.html
    assert rendered.title == "帮办代办员操作手册"
    assert [entry["name"] for entry in rendered.toc] == ["一、窗口登记", "二、一次性告知"]
    assert rendered.toc[0]["id"] == "一窗口登记"


def test_a_taken_screenshot_is_a_figure_with_its_caption():
    html = render_markdown(SOURCE, targets=targets(), chapter_path="zh/agent.md").html
    assert '<figure class="manual-figure">' in html
    assert 'src="/pics/registration.png"' in html
    assert "<figcaption>登记页面</figcaption>" in html


def test_a_missing_or_unknown_screenshot_is_a_marked_box_with_its_caption():
    rendered = render_markdown(SOURCE, targets=targets(), chapter_path="zh/agent.md")
    assert rendered.html.count(f'class="{MISSING_CLASS}"') == 2
    assert "截图缺失" in rendered.html or "Screenshot missing" in rendered.html
    assert "还没截的图" in rendered.html and "不在清单里的图" in rendered.html
    assert 'src="img/' not in rendered.html
    assert rendered.missing_images == ["case-detail", "no-such-screen"]


def test_links_to_chapter_files_go_to_the_chapters():
    html = render_markdown(SOURCE, targets=targets(), chapter_path="zh/agent.md").html
    assert 'href="/help/liaison/#二审批"' in html
    assert 'href="/help/en/admin/"' in html


def test_an_id_prefix_keeps_ids_apart_in_the_whole_book():
    rendered = render_markdown(
        SOURCE,
        targets=Targets(image=lambda name: None, id_prefix="agent--"),
        chapter_path="zh/agent.md",
    )
    assert 'id="agent--一窗口登记"' in rendered.html


@pytest.mark.django_db
def test_index_lists_every_chapter(client, sample_manual, var_dir):
    response = client.get(reverse("manual:index"))
    assert response.status_code == 200
    from bangban.manual.chapters import CHAPTERS, QUICK_GUIDES

    for chapter in CHAPTERS + QUICK_GUIDES:
        assert reverse("manual:chapter", args=[chapter.slug]) in response.content.decode()


@pytest.mark.django_db
def test_chapter_page_shows_the_rendered_chapter_and_served_screenshots(
    client, sample_manual, screenshots
):
    response = client.get(reverse("manual:chapter", args=["en/admin"]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "示例Centre administrator" in body
    assert 'lang="en"' in body
    assert f'src="{reverse("manual:image", args=["login"])}"' in body
    image = client.get(reverse("manual:image", args=["login"]))
    assert image.status_code == 200 and image["Content-Type"] == "image/png"


@pytest.mark.django_db
def test_unknown_chapters_and_images_are_not_found(client, sample_manual, screenshots):
    assert client.get("/help/nosuch/").status_code == 404
    assert client.get("/help/../settings/").status_code == 404
    (screenshots / "secret.png").write_bytes(b"x")  # a file that is not a screenshot name
    assert client.get("/help/img/secret.png").status_code == 404
    assert client.get("/help/img/..%2Fsecret.png").status_code == 404
    (screenshots / "roster.png").unlink()  # a name of the list, not taken
    assert client.get("/help/img/roster.png").status_code == 404
    assert client.get("/help/pdf/manual.pdf").status_code == 404  # not built


@pytest.mark.django_db
def test_a_missing_screenshot_shows_a_box_on_the_page(client, sample_manual, var_dir):
    body = client.get(reverse("manual:chapter", args=["agent"])).content.decode()
    assert MISSING_CLASS in body and "登录页面" in body


@pytest.mark.django_db
def test_built_pdfs_are_offered_and_served_by_name_only(client, sample_manual, var_dir):
    from bangban.manual.build import site_dir

    site_dir().mkdir(parents=True)
    (site_dir() / "manual.pdf").write_bytes(b"%PDF-1.7 test")
    (site_dir() / "other.pdf").write_bytes(b"%PDF-1.7 test")
    index = client.get(reverse("manual:index")).content.decode()
    assert reverse("manual:pdf", args=["manual"]) in index
    assert reverse("manual:pdf", args=["quick-agent"]) not in index
    response = client.get(reverse("manual:pdf", args=["manual"]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert client.get("/help/pdf/other.pdf").status_code == 404
