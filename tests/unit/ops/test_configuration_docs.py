"""docs/configuration.md is generated from the settings classes and explains every setting.

Its freshness is checked with the other generated documents (test_documents.py); this checks
that the generator sees every settings class and that no setting is left without a meaning.
"""

from __future__ import annotations

from shared.config_docs import configuration_markdown, undocumented


def test_every_setting_has_a_meaning() -> None:
    assert undocumented() == [], "give these settings a docstring, then run python -m shared.docs"


def test_the_document_names_each_service_variable_with_its_default() -> None:
    text = configuration_markdown()
    assert "| `DELETION_GRACE_SECONDS` | `86400` |" in text
    assert "| `AUTH_TOKEN_SIGNING_KEY` | **required** |" in text
    assert "| `AUTH_HTTP_PORT` | `8001` | HTTP port. |" in text
    assert "| `ADIEU_LOG_FORMAT` | `json` |" in text  # the web edge's alias of the platform's
    assert "DEVSTACK_VAR_DIR" in text
    assert "ADIEU_HTTP_TIMEOUT_SECONDS" in text
    assert "PLATFORM" not in text  # the embedded platform settings are not a variable
