"""What a service answers is what its OpenAPI document says: a body that is not JSON, a method
the path does not have, and errors of a route whose success is HTML."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from shared.api_document import describe_real_answers
from shared.http import error_responses, install_error_handlers


class _Note(BaseModel):
    text: str


def _app() -> FastAPI:
    api = FastAPI()
    install_error_handlers(api)
    describe_real_answers(api)

    @api.get("/notes")
    async def read() -> dict[str, str]:
        return {}

    @api.post("/notes", status_code=201)
    async def write(note: _Note) -> dict[str, str]:
        return {"text": note.text}

    @api.get("/page", response_class=HTMLResponse, responses=error_responses(422))
    async def page(n: int) -> HTMLResponse:
        return HTMLResponse(f"<p>{n}</p>")

    return api


async def _call(api: FastAPI, method: str, path: str, **kwargs: object) -> httpx.Response:
    transport = httpx.ASGITransport(app=api)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.request(method, path, **kwargs)  # type: ignore[arg-type]


async def test_a_body_that_is_not_json_gets_the_documented_400() -> None:
    api = _app()
    answer = await _call(
        api, "POST", "/notes", content=b"\xff\xfe{", headers={"Content-Type": "application/json"}
    )
    assert (answer.status_code, answer.json()["error"]) == (400, "malformed_body")
    documented = api.openapi()["paths"]["/notes"]["post"]["responses"]
    assert "400" in documented
    assert "400" not in api.openapi()["paths"]["/notes"]["get"]["responses"]


async def test_a_405_names_every_method_of_the_path() -> None:
    answer = await _call(_app(), "DELETE", "/notes")
    assert answer.status_code == 405
    assert set(answer.headers["Allow"].split(", ")) >= {"GET", "POST"}


async def test_errors_are_documented_as_the_json_error_body_they_are() -> None:
    api = _app()
    answer = await _call(api, "GET", "/page", params={"n": "x"})
    assert (answer.status_code, answer.headers["content-type"]) == (422, "application/json")
    page = api.openapi()["paths"]["/page"]["get"]["responses"]["422"]["content"]
    assert page == {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    notes = api.openapi()["paths"]["/notes"]["post"]["responses"]["422"]["content"]
    assert notes["application/json"]["schema"]["$ref"] == "#/components/schemas/ErrorBody"
    assert "HTTPValidationError" not in api.openapi()["components"]["schemas"]
