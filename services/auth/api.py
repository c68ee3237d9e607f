"""Auth's HTTP routes for accounts, sessions, password resets and the token key.

No `from __future__ import annotations` here: FastAPI reads the route annotations at runtime.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from services.auth import handlers, resets, sessions
from services.auth.api_errors import errors
from services.auth.api_me import AuthDeps, Claims, client_of
from services.auth.api_me import router as me_router
from services.auth.api_models import (
    AccountCreated,
    AccountIn,
    PublicKeyOut,
    ReauthenticateIn,
    ResetConfirmIn,
    ResetIn,
    SessionIn,
    TokenOut,
)
from services.auth.api_signup import router as signup_router
from shared.http import correlation_id, from_state

__all__ = ["router"]

router = APIRouter()
PublicKey = Annotated[str, Depends(from_state("public_key"))]


def _token(issued: handlers.IssuedToken) -> TokenOut:
    return TokenOut(access_token=issued.access_token, expires_in=issued.expires_in)


@router.post(
    "/v1/accounts",
    status_code=201,
    response_model=AccountCreated,
    responses=errors("identifier_taken", "identifier_retired", "username_taken"),
)
async def create_account(body: AccountIn, request: Request, deps: AuthDeps) -> AccountCreated:
    """Register with an e-mail address, a phone number, or both."""
    details = body.registration(deps.phone_region)
    account_id = await handlers.register(deps, details, correlation_id=correlation_id(request))
    return AccountCreated(account_id=account_id)


@router.post(
    "/v1/sessions",
    status_code=201,
    response_model=TokenOut,
    responses=errors(
        "invalid_credentials",
        "account_not_found",
        "deletion_pending",
        "address_unverified",
        "too_many_attempts",
    ),
)
async def create_session(body: SessionIn, request: Request, deps: AuthDeps) -> TokenOut:
    """Sign in with an e-mail address or phone number and the password."""
    issued = await handlers.sign_in(
        deps, login=body.login, password=body.password, client=client_of(request)
    )
    return _token(issued)


@router.post(
    "/v1/sessions/reauthenticate",
    status_code=201,
    response_model=TokenOut,
    responses=errors(
        "invalid_credentials",
        "account_not_found",
        "deletion_pending",
        "too_many_attempts",
        bearer=True,
    ),
)
async def reauthenticate(body: ReauthenticateIn, who: Claims, deps: AuthDeps) -> TokenOut:
    """Confirm the password again before an irreversible act; the new token says so."""
    issued = await handlers.reauthenticate(deps, who, password=body.password)
    return _token(issued)


@router.delete("/v1/sessions/current", status_code=204, responses=errors(bearer=True))
async def logout(who: Claims, request: Request, deps: AuthDeps) -> Response:
    """Sign out: this session's tokens stop working here and in every service."""
    await sessions.logout(deps, who, correlation_id=correlation_id(request))
    return Response(status_code=204)


@router.get("/v1/keys/token", response_model=PublicKeyOut)
async def token_key(public_key: PublicKey) -> PublicKeyOut:
    """The Ed25519 public key that verifies auth's access tokens."""
    return PublicKeyOut(public_key=public_key)


@router.post("/v1/password-resets", status_code=202, responses=errors())
async def request_reset(body: ResetIn, request: Request, deps: AuthDeps) -> Response:
    """Send a reset code; the answer is the same whether or not the account exists."""
    await resets.request_reset(
        deps, login=body.login, channel=body.channel, correlation_id=correlation_id(request)
    )
    return Response(status_code=202)


@router.post(
    "/v1/password-resets/confirm",
    status_code=204,
    responses=errors("invalid_code", "code_expired", "too_many_attempts"),
)
async def confirm_reset(body: ResetConfirmIn, request: Request, deps: AuthDeps) -> Response:
    """Set a new password with the code; every session of the account ends."""
    await resets.confirm_reset(
        deps,
        login=body.login,
        code=body.code,
        new_password=body.new_password,
        correlation_id=correlation_id(request),
    )
    return Response(status_code=204)


router.include_router(me_router)
router.include_router(signup_router)
