import pytest

# Prints the search relevance share at the end of every run (issue 3 asks make test to show it).
pytest_plugins = ["tests.catalog.plugin_relevance"]


@pytest.fixture(autouse=True)
def _english_free_zh(settings):
    """Tests see what a user sees: the default language, zh-hans."""
    settings.LANGUAGE_CODE = "zh-hans"
