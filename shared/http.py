"""The HTTP conventions every service follows.

Every error body is ``{"error": "<code>", "detail": "<sentence>"}`` plus optional machine-readable
extras. Validation errors name the field but never echo what was sent (it may be a password).
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from shared.middleware import sane_correlation_id
from shared.tokens import AccessClaims, InvalidToken, TokenVerifier

__all__ = [
    "ApiError",
    "ErrorBody",
    "ErrorMap",
    "api_error_for",
    "bearer_claims",
    "bearer_dependency",
    "claims_from_state",
    "correlation_id",
    "error_responses",
    "from_state",
    "install_error_handlers",
    "map_errors",
    "operator_dependency",
    "operator_only",
]

log = logging.getLogger(__name__)


class ErrorBody(BaseModel):
    """The shape of every error answer."""

    error: str
    detail: str


class ApiError(Exception):
    """A command failed in a way the caller can act on."""

    def __init__(self, status: int, code: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.extra = extra


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries documenting the error body for ``statuses``."""
    return {status: {"model": ErrorBody} for status in statuses}


def _body(code: str, detail: str, **extra: Any) -> dict[str, Any]:
    return {"error": code, "detail": detail, **extra}


_STATUS_CODES = {
    # FastAPI's own answer to a body it cannot read (not JSON, not UTF-8); every route with a
    # JSON body documents it (shared.api_document).
    400: "malformed_body",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def install_error_handlers(api: FastAPI) -> None:
    """Map every failure to the common error body; nothing escapes as a bare 500 trace."""

    @api.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return _answer(exc)

    @api.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        location = [str(part) for part in first.get("loc", ()) if part not in ("body", "query")]
        field = ".".join(location) or "body"
        message = str(first.get("msg", "invalid value"))
        return JSONResponse(
            _body("validation_error", f"{field}: {message}", field=field), status_code=422
        )

    @api.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, "http_error")
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(_allowed_methods(request))
        return JSONResponse(
            _body(code, str(exc.detail)), status_code=exc.status_code, headers=headers
        )

    @api.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error: %s", type(exc).__name__)
        return JSONResponse(
            _body("internal_error", "Something went wrong on our side. Please try again."),
            status_code=500,
        )


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route of this path answers (Starlette names only the first route's,
    though one path often has a route per method)."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches(request.scope)
        if match in (Match.PARTIAL, Match.FULL):
            methods |= set(getattr(route, "methods", None) or ())
    return sorted(methods)


def _answer(exc: ApiError) -> JSONResponse:
    extra = dict(exc.extra)
    headers = extra.pop("headers", None)
    return JSONResponse(
        _body(exc.code, exc.detail, **extra), status_code=exc.status, headers=headers
    )


ErrorMap = Mapping[type[Exception], Callable[[Any], ApiError]]
"""A service's domain errors, each with the HTTP answer it gets."""


def map_errors(api: FastAPI, errors: ErrorMap) -> None:
    """Answer each domain error in ``errors`` as its ApiError, once for the whole service."""

    async def handler(_: Request, exc: Exception) -> JSONResponse:
        answer = api_error_for(errors, exc)
        if answer is None:  # not one of ours after all: the common 500 answer
            raise exc
        return _answer(answer)

    for kind in errors:
        api.add_exception_handler(kind, handler)


def api_error_for(errors: ErrorMap, exc: BaseException) -> ApiError | None:
    """The ApiError ``errors`` gives ``exc`` (by its class or the nearest base), if any."""
    for kind in type(exc).__mro__:
        convert = errors.get(kind)
        if convert is not None:
            return convert(exc)
    return None


def from_state(name: str) -> Callable[[Request], Any]:
    """A dependency giving ``app.state.<name>``: what bootstrap() wired for the routes."""

    def dependency(request: Request) -> Any:
        return getattr(request.app.state, name)

    return dependency


def claims_from_state(name: str) -> Callable[[Request], Awaitable[AccessClaims]]:
    """A dependency giving the token claims checked by ``app.state.<name>`` (bootstrap's)."""

    async def claims(request: Request) -> AccessClaims:
        check: Callable[[Request], Awaitable[AccessClaims]] = getattr(request.app.state, name)
        return await check(request)

    return claims


bearer_claims = claims_from_state("claims")
"""The request's verified token claims, by the check bootstrap() put in ``app.state.claims``."""


async def operator_only(request: Request) -> None:
    """Admit only the operator, by the check bootstrap() put in ``app.state.operator``."""
    check: Callable[[Request], Awaitable[None]] = request.app.state.operator
    await check(request)


_bearer = HTTPBearer(auto_error=False, description="Access token issued by the auth service")


def bearer_dependency(
    verifier: TokenVerifier,
    is_revoked: Callable[[AccessClaims], Awaitable[bool]] | None = None,
) -> Callable[..., Awaitable[AccessClaims]]:
    """A FastAPI dependency that verifies the bearer token locally and returns its claims.

    With ``is_revoked`` (see :mod:`shared.revocation`), tokens of revoked sessions are refused.
    """

    async def claims(request: Request) -> AccessClaims:
        credentials: HTTPAuthorizationCredentials | None = await _bearer(request)
        if credentials is None:
            raise ApiError(
                401,
                "unauthorized",
                "A bearer token is required.",
                headers={"WWW-Authenticate": "Bearer"},
            )
        try:
            verified = verifier.verify(credentials.credentials)
        except InvalidToken:
            raise ApiError(
                401,
                "invalid_token",
                "The access token is invalid or has expired.",
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            ) from None
        if is_revoked is not None and await is_revoked(verified):
            raise ApiError(
                401,
                "session_revoked",
                "This session has ended. Please sign in again.",
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        return verified

    return claims


def operator_dependency(
    token: str,
    *,
    missing_error: str = "unauthorized",
    wrong_error: str = "invalid_token",
    description: str = "The operator token",
) -> Callable[[Request], Awaitable[None]]:
    """A dependency admitting only requests whose bearer token is the operator ``token``.

    The error codes are the service's own (each published in its API); the check is shared.
    """
    expected = token.encode()
    scheme = HTTPBearer(auto_error=False, description=description)

    async def operator(request: Request) -> None:
        credentials: HTTPAuthorizationCredentials | None = await scheme(request)
        if credentials is None:
            raise ApiError(
                401,
                missing_error,
                "The operator token is required.",
                headers={"WWW-Authenticate": "Bearer"},
            )
        # Constant time, so the token cannot be guessed from how long a refusal takes.
        if not hmac.compare_digest(credentials.credentials.encode(), expected):
            raise ApiError(
                401,
                wrong_error,
                "The operator token is not valid.",
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )

    return operator


def correlation_id(request: Request) -> str:
    """The caller's ``X-Correlation-ID`` if it sent a sane one, else a fresh id.

    Inside ``build_api``'s middleware this is the id already chosen for the request (and bound
    to its log lines and echoed in the response), so events and logs carry the same one.
    """
    chosen = getattr(request.state, "correlation_id", None)
    if isinstance(chosen, str):
        return chosen
    return sane_correlation_id(request.headers.get("x-correlation-id"))
