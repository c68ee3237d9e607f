"""Auth's sign-up routes: an account for one address, proven by the code sent to it.

No `from __future__ import annotations` here: FastAPI reads the route annotations at runtime.
"""

from typing import Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from services.auth import signup
from services.auth.api_errors import errors
from services.auth.api_me import AuthDeps, client_of
from services.auth.api_models import AccountIn, ClosedBody
from shared.http import correlation_id

__all__ = ["ProofIn", "ResendOut", "SignUpIn", "SignUpOut", "router"]


class SignUpIn(AccountIn):
    """The same fields as a registration; the account is usable once its code is entered."""


class SignUpOut(BaseModel):
    account_id: str
    channel: Literal["email", "sms"] = Field(description="Where the proof code was sent")
    status: Literal["unverified"] = "unverified"
    code_valid_minutes: int


class ResendOut(BaseModel):
    # The policy, the same for every login: it tells nothing about whether an account exists.
    code_valid_minutes: int


class ProofIn(ClosedBody):
    login: str = Field(min_length=1, max_length=320, description="The address signed up with")
    code: str = Field(min_length=1, max_length=32)


class ProofResendIn(ClosedBody):
    login: str = Field(min_length=1, max_length=320)


router = APIRouter(prefix="/v1/sign-ups")


@router.post(
    "",
    status_code=201,
    response_model=SignUpOut,
    responses=errors(
        "identifier_taken", "identifier_retired", "username_taken", "too_many_sign_ups"
    ),
)
async def sign_up(body: SignUpIn, request: Request, deps: AuthDeps) -> SignUpOut:
    """Sign up with an e-mail address or a phone number; a code goes to it.

    The account can sign in only once the code is entered (``/v1/sign-ups/confirm``).
    """
    details = body.registration(deps.phone_region)
    account_id = await signup.sign_up(
        deps, details, correlation_id=correlation_id(request), client=client_of(request)
    )
    return SignUpOut(
        account_id=account_id,
        channel="email" if details.email else "sms",
        code_valid_minutes=deps.codes.valid_minutes,
    )


@router.post(
    "/confirm",
    status_code=204,
    responses=errors("invalid_code", "code_expired", "too_many_attempts"),  # per-account budgets
)
async def confirm(body: ProofIn, deps: AuthDeps) -> Response:
    """Prove the address with its code; from now on the account signs in like any other."""
    await signup.confirm_sign_up(deps, login=body.login, code=body.code)
    return Response(status_code=204)


@router.post("/resend", status_code=202, response_model=ResendOut, responses=errors())
async def resend(body: ProofResendIn, request: Request, deps: AuthDeps) -> ResendOut:
    """Send a new proof code; the answer is the same whether or not the account exists."""
    await signup.resend_proof(deps, login=body.login, correlation_id=correlation_id(request))
    return ResendOut(code_valid_minutes=deps.codes.valid_minutes)
