import pytest


@pytest.fixture(autouse=True)
def _english_free_zh(settings):
    """Tests see what a user sees: the default language, zh-hans."""
    settings.LANGUAGE_CODE = "zh-hans"
