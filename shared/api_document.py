"""The OpenAPI document a service publishes, made to say what the service really answers.

FastAPI's generated document differs from the answers in three ways that a schema-driven
client (or Schemathesis) trips on; each is corrected here, once, for every service:

- a body that is not JSON at all gets ``400 malformed_body`` from FastAPI itself, before any
  route runs: every operation with a JSON body documents it;
- validation errors are the platform's error body (``shared.http``), not FastAPI's
  ``HTTPValidationError``: the document names ``ErrorBody`` instead;
- an error of a route whose success is HTML or CSV is still JSON: the document says so.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

__all__ = ["describe_real_answers"]

_ERROR_REF = "#/components/schemas/ErrorBody"
_FASTAPI_VALIDATION = "#/components/schemas/HTTPValidationError"
_JSON = "application/json"


def _json_error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {_JSON: {"schema": {"$ref": _ERROR_REF}}}}


def _correct(operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    for status, response in responses.items():
        content: dict[str, Any] = response.get("content", {})
        for media in list(content):
            schema = content[media].get("schema", {})
            if schema.get("$ref") == _FASTAPI_VALIDATION:
                schema["$ref"] = _ERROR_REF
            if status[0] in "45" and media != _JSON and schema.get("$ref") == _ERROR_REF:
                content[_JSON] = content.pop(media)
    body = operation.get("requestBody", {}).get("content", {})
    if _JSON in body:
        responses.setdefault("400", _json_error("error: malformed_body (not JSON)"))


def describe_real_answers(api: FastAPI) -> None:
    """Make ``api.openapi()`` return the corrected document (built once, then cached)."""
    generate = api.openapi

    def corrected() -> dict[str, Any]:
        if api.openapi_schema is None:
            document = generate()
            for path in document.get("paths", {}).values():
                for operation in path.values():
                    _correct(operation)
            schemas = document.get("components", {}).get("schemas", {})
            schemas.pop("HTTPValidationError", None)
            schemas.pop("ValidationError", None)
            api.openapi_schema = document
        return api.openapi_schema

    api.openapi = corrected  # type: ignore[method-assign]  # FastAPI's documented override
