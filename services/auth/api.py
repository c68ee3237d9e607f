"""Auth's HTTP routes: parse, authorise, call a handler, map errors.

No `from __future__ import annotations` here: FastAPI reads the route annotations at runtime.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from services.auth import handlers
from services.auth.domain import (
    AccountNotFound,
    AccountStatus,
    DeletionPending,
    IdentifierRetired,
    IdentifierTaken,
    InvalidCredentials,
    InvalidInput,
    registration,
)
from shared.http import ApiError, correlation_id, error_responses
from shared.tokens import AccessClaims

__all__ = ["build_router"]

# Far above the password policy's 128; only stops absurd bodies before argon2 sees them.
_SECRET_MAX = 1024
_NOUN = {"email": "e-mail address", "phone": "phone number"}
_INSTANT: TypeAdapter[datetime | None] = TypeAdapter(datetime | None)


class AccountIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=40)
    password: str = Field(max_length=_SECRET_MAX)
    username: str | None = Field(default=None, max_length=200)
    language: Literal["nb", "en"] = "nb"


class AccountCreated(BaseModel):
    account_id: str


class SessionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    login: str = Field(min_length=1, max_length=320, description="E-mail address or phone number")
    password: str = Field(max_length=_SECRET_MAX)


class ReauthenticateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: str = Field(max_length=_SECRET_MAX)


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105  # the OAuth token type, not a secret
    expires_in: int


class MeOut(BaseModel):
    account_id: str
    email: str | None
    phone: str | None
    username: str | None
    language: Literal["nb", "en"]
    status: AccountStatus
    purge_deadline: datetime | None


@contextmanager
def _as_api_errors() -> Iterator[None]:
    """Translate the domain's outcomes into the platform's error bodies."""
    try:
        yield
    except InvalidInput as exc:
        raise ApiError(
            422, "validation_error", f"{exc.field}: {exc.detail}", field=exc.field
        ) from None
    except IdentifierTaken as exc:
        detail = f"An account with this {_NOUN[exc.field]} already exists."
        raise ApiError(409, "identifier_taken", detail, field=exc.field) from None
    except IdentifierRetired as exc:
        detail = (
            f"This {_NOUN[exc.field]} belonged to an account that has been deleted. The "
            f"{_NOUN[exc.field]} of a deleted account can never be used again; please use another."
        )
        raise ApiError(409, "identifier_retired", detail, field=exc.field) from None
    except AccountNotFound:
        raise ApiError(404, "account_not_found", "The account does not exist.") from None
    except InvalidCredentials:
        raise ApiError(401, "invalid_credentials", "The password is not correct.") from None
    except DeletionPending as exc:
        deadline = _INSTANT.dump_python(exc.purge_deadline, mode="json")
        detail = "This account is scheduled for deletion and can no longer be signed in to."
        raise ApiError(423, "deletion_pending", detail, purge_deadline=deadline) from None


def _token(issued: handlers.IssuedToken) -> TokenOut:
    return TokenOut(access_token=issued.access_token, expires_in=issued.expires_in)


def build_router(deps: handlers.Deps, claims: object) -> APIRouter:
    """Auth's routes; ``claims`` is the bearer-token dependency."""
    router = APIRouter()
    Claims = Annotated[AccessClaims, Depends(claims)]  # noqa: N806  # a type alias, named like one

    @router.post(
        "/v1/accounts",
        status_code=201,
        response_model=AccountCreated,
        responses=error_responses(409, 422),
    )
    async def create_account(body: AccountIn, request: Request) -> AccountCreated:
        """Register with an e-mail address, a phone number, or both."""
        with _as_api_errors():
            details = registration(
                email=body.email,
                phone=body.phone,
                password=body.password,
                username=body.username,
                language=body.language,
                region=deps.phone_region,
            )
            account_id = await handlers.register(
                deps, details, correlation_id=correlation_id(request)
            )
        return AccountCreated(account_id=account_id)

    @router.post(
        "/v1/sessions",
        status_code=201,
        response_model=TokenOut,
        responses=error_responses(401, 404, 422, 423),
    )
    async def create_session(body: SessionIn) -> TokenOut:
        """Sign in with an e-mail address or phone number and the password."""
        with _as_api_errors():
            issued = await handlers.sign_in(deps, login=body.login, password=body.password)
        return _token(issued)

    @router.post(
        "/v1/sessions/reauthenticate",
        status_code=201,
        response_model=TokenOut,
        responses=error_responses(401, 404, 422, 423),
    )
    async def reauthenticate(body: ReauthenticateIn, who: Claims) -> TokenOut:
        """Confirm the password again before an irreversible act; the new token says so."""
        with _as_api_errors():
            issued = await handlers.reauthenticate(deps, who, password=body.password)
        return _token(issued)

    @router.get("/v1/me", response_model=MeOut, responses=error_responses(401, 404))
    async def me(who: Claims) -> MeOut:
        """The signed-in person's own account."""
        with _as_api_errors():
            account = await handlers.account_of(deps, who)
        return MeOut(
            account_id=account.account_id,
            email=account.email,
            phone=account.phone,
            username=account.username,
            language=account.language,
            status=account.status,
            purge_deadline=account.purge_deadline,
        )

    return router
