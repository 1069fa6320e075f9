import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_interactive_api_docs_render_from_this_server_under_the_csp(live_server, page):
    violations, remote = [], []
    page.on(
        "console", lambda msg: "Content Security Policy" in msg.text and violations.append(msg.text)
    )
    page.on(
        "request",
        lambda req: (
            not req.url.startswith(live_server.url)
            and not req.url.startswith("data:")
            and remote.append(req.url)
        ),
    )
    page.goto(f"{live_server.url}/api/v1/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("bangban API")
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("calendar/due-date" in path for path in paths)
    assert any(path.rstrip("/").endswith("/api/v1/agents") for path in paths)
    assert remote == []
    assert violations == []
