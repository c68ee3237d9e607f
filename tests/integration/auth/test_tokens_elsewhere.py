"""Auth's tokens as the deletion service sees them, and auth's published API contract."""

from __future__ import annotations

import base64
import json
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from services.auth.api_errors import ERROR_STATUS
from services.auth.app import bootstrap as auth_bootstrap
from services.auth.config import Settings as AuthSettings
from services.deletion.app import bootstrap as deletion_bootstrap
from services.deletion.config import Settings as DeletionSettings
from shared.clock import FrozenClock
from shared.config import PlatformSettings
from shared.crypto import new_key
from shared.tokens import TokenIssuer, new_signing_key
from tests.support.platform import Keys
from tests.support.polling import eventually
from tests.support.services import serving

PASSWORD = "correct horse battery"
TICKED = {"understood_consequences": True, "accepted_terms": True, "channel": "email"}


def _tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "someone-else"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


async def test_forged_tampered_expired_and_revoked_tokens_are_refused_by_deletion(
    platform: PlatformSettings, keys: Keys, tmp_path: Path
) -> None:
    clock = FrozenClock(datetime.now(UTC).replace(microsecond=0) - timedelta(days=1))
    auth = auth_bootstrap(
        AuthSettings(
            data_dir=tmp_path,
            platform=platform,
            token_signing_key=keys.signing_key,
            identifier_hmac_key=new_key(),
        ),
        clock=clock,
    )
    deletion = deletion_bootstrap(
        DeletionSettings(data_dir=tmp_path, platform=platform, hmac_key=new_key()), clock=clock
    )
    async with AsyncExitStack() as stack:
        auth_http = await stack.enter_async_context(serving(auth))
        deletion_http = await stack.enter_async_context(serving(deletion))
        body = {"email": "kari@example.com", "password": PASSWORD}
        account_id = (await auth_http.post("/v1/accounts", json=body)).json()["account_id"]
        signed = await auth_http.post(
            "/v1/sessions", json={"login": "kari@example.com", "password": PASSWORD}
        )
        token = signed.json()["access_token"]

        async def attempt(bearer: str) -> httpx.Response:
            headers = {"Authorization": f"Bearer {bearer}"}
            return await deletion_http.post("/v1/deletion-requests", json=TICKED, headers=headers)

        forged = TokenIssuer(new_signing_key(), clock, 900).issue(account_id)
        for bad in (forged, _tampered(token), token[:-4] + "AAAA", "not.a.token"):
            refused = await attempt(bad)
            assert (refused.status_code, refused.json()["error"]) == (401, "invalid_token")
        clock.advance(906)
        expired = await attempt(token)
        assert (expired.status_code, expired.json()["error"]) == (401, "invalid_token")

        token = (
            await auth_http.post(
                "/v1/sessions", json={"login": "kari@example.com", "password": PASSWORD}
            )
        ).json()["access_token"]
        assert (await attempt(token)).status_code == 201  # genuine and fresh: accepted
        clock.advance(1)
        headers = {"Authorization": f"Bearer {token}"}
        assert (await auth_http.delete("/v1/sessions/current", headers=headers)).status_code == 204

        async def refused_as_revoked() -> httpx.Response | None:
            answer = await attempt(token)
            return answer if answer.json().get("error") == "session_revoked" else None

        await eventually(refused_as_revoked, what="deletion learning of the logout")
        # The owner may still watch a request with an ended session (to see it purged).
        status = await deletion_http.get("/v1/deletion-requests/no-such-request", headers=headers)
        assert (status.status_code, status.json()["error"]) == (404, "request_not_found")


async def test_every_endpoint_and_error_code_is_in_the_openapi_document(
    platform: PlatformSettings, keys: Keys, tmp_path: Path
) -> None:
    settings = AuthSettings(
        data_dir=tmp_path,
        platform=platform.model_copy(update={"api_docs": True}),  # as in development
        token_signing_key=keys.signing_key,
        identifier_hmac_key=new_key(),
    )
    transport = httpx.ASGITransport(app=auth_bootstrap(settings).api)
    async with httpx.AsyncClient(transport=transport, base_url="http://auth") as client:
        document = (await client.get("/openapi.json")).json()
        key = (await client.get("/v1/keys/token")).json()
    assert key == {"public_key": keys.public_key}
    operations = {
        (method.upper(), path) for path, item in document["paths"].items() for method in item
    }
    expected = {
        ("POST", "/v1/accounts"),
        ("POST", "/v1/sessions"),
        ("POST", "/v1/sessions/reauthenticate"),
        ("DELETE", "/v1/sessions/current"),
        ("POST", "/v1/password-resets"),
        ("POST", "/v1/password-resets/confirm"),
        ("GET", "/v1/keys/token"),
        ("GET", "/v1/me"),
        ("PATCH", "/v1/me"),
        ("PUT", "/v1/me/password"),
        ("POST", "/v1/me/email"),
        ("POST", "/v1/me/email/confirm"),
        ("POST", "/v1/me/phone"),
        ("POST", "/v1/me/phone/confirm"),
        ("PUT", "/v1/me/picture"),
        ("GET", "/v1/me/picture"),
        ("DELETE", "/v1/me/picture"),
        ("GET", "/v1/me/notifications"),
        ("PUT", "/v1/me/notifications"),
    }
    assert expected <= operations
    documented: dict[str, set[str]] = {}
    for item in document["paths"].values():
        for operation in item.values():
            for status, response in operation.get("responses", {}).items():
                for code in ERROR_STATUS:
                    if code in response.get("description", "").split("error: ")[-1].split(" | "):
                        documented.setdefault(code, set()).add(status)
    assert {code: {str(status)} for code, status in ERROR_STATUS.items()} == documented


async def test_a_deployed_service_serves_no_api_documents(
    platform: PlatformSettings, keys: Keys, tmp_path: Path
) -> None:
    settings = AuthSettings(
        data_dir=tmp_path,
        platform=platform,  # ADIEU_API_DOCS left at its default
        token_signing_key=keys.signing_key,
        identifier_hmac_key=new_key(),
    )
    transport = httpx.ASGITransport(app=auth_bootstrap(settings).api)
    async with httpx.AsyncClient(transport=transport, base_url="http://auth") as client:
        answers = [(await client.get(path)).status_code for path in ("/docs", "/openapi.json")]
        assert (await client.get("/v1/keys/token")).status_code == 200
    assert answers == [404, 404]
