"""Auth's routes for the signed-in person's own settings (``/v1/me`` and below).

No `from __future__ import annotations` here: FastAPI reads the route annotations at runtime.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from services.auth import handlers, me
from services.auth.api_errors import errors
from services.auth.api_models import (
    CodeIn,
    EmailIn,
    MeOut,
    NotificationsBody,
    PasswordChangeIn,
    PhoneIn,
    ProfileIn,
)
from services.auth.domain import IdentifierKind
from services.auth.pictures import MEDIA_TYPES, PictureTooLarge
from services.auth.policies import Notifications
from shared.client_address import ClientAddresses
from shared.http import ApiError, bearer_claims, correlation_id, from_state
from shared.tokens import AccessClaims

__all__ = ["AuthDeps", "Claims", "client_of", "router"]

router = APIRouter()
AuthDeps = Annotated[handlers.Deps, Depends(from_state("deps"))]
Claims = Annotated[AccessClaims, Depends(bearer_claims)]


def client_of(request: Request) -> str | None:
    """The person's client address, for the throttles.

    The web edge's word for it when signed with the edge key, else the peer seen through the
    trusted proxies (shared.client_address); never a bare header.
    """
    addresses: ClientAddresses = request.app.state.addresses
    return addresses.of(request)


_PICTURE_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            kind: {"schema": {"type": "string", "format": "binary"}} for kind in MEDIA_TYPES
        },
    }
}


def _out(found: me.Me) -> MeOut:
    account, profile = found.account, found.profile
    return MeOut(
        account_id=account.account_id,
        email=account.email,
        phone=account.phone,
        username=account.username,
        language=account.language,
        time_zone=profile.time_zone,
        status=account.status,
        purge_deadline=account.purge_deadline,
        notifications=NotificationsBody(**vars(profile.notifications)),
        has_picture=profile.picture is not None,
    )


async def _read_limited(request: Request, limit: int) -> bytes:
    """The raw body, refusing it as soon as it passes ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PictureTooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PictureTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


@router.get("/v1/me", response_model=MeOut, responses=errors("account_not_found", bearer=True))
async def get_me(who: Claims, deps: AuthDeps) -> MeOut:
    """The signed-in person's own account and settings."""
    return _out(await me.me(deps, who))


@router.patch(
    "/v1/me",
    response_model=MeOut,
    responses=errors("username_taken", "account_not_found", bearer=True),
)
async def patch_me(body: ProfileIn, who: Claims, request: Request, deps: AuthDeps) -> MeOut:
    """Change username, language (nb|en) or time zone; absent fields stay as they are."""
    change = me.ProfileChange(
        username=body.username, language=body.language, time_zone=body.time_zone
    )
    found = await me.update_profile(deps, who, change, correlation_id=correlation_id(request))
    return _out(found)


@router.put(
    "/v1/me/password",
    status_code=204,
    responses=errors("invalid_credentials", "too_many_attempts", bearer=True),
)
async def put_password(
    body: PasswordChangeIn, who: Claims, request: Request, deps: AuthDeps
) -> Response:
    """Change the password (the current one is required); every session ends."""
    await me.change_password(
        deps,
        who,
        current=body.current_password,
        new=body.new_password,
        correlation_id=correlation_id(request),
    )
    return Response(status_code=204)


@router.get("/v1/me/notifications", response_model=NotificationsBody, responses=errors(bearer=True))
async def get_notifications(who: Claims, deps: AuthDeps) -> NotificationsBody:
    """What the person wants to hear about."""
    found = await me.me(deps, who)
    return NotificationsBody(**vars(found.profile.notifications))


@router.put("/v1/me/notifications", response_model=NotificationsBody, responses=errors(bearer=True))
async def put_notifications(
    body: NotificationsBody, who: Claims, deps: AuthDeps
) -> NotificationsBody:
    """Turn e-mail, SMS, push, marketing and ads on or off: a break instead of leaving."""
    found = await me.set_notifications(deps, who, Notifications(**body.model_dump()))
    return NotificationsBody(**vars(found.profile.notifications))


_TAKEN = ("identifier_taken", "identifier_retired", "resend_cooldown", "too_many_codes")
_CONFIRM = ("invalid_code", "code_expired", "too_many_attempts", *_TAKEN[:2])


async def _ask(
    deps: handlers.Deps, kind: IdentifierKind, value: str, who: AccessClaims, request: Request
) -> None:
    await me.request_contact_change(deps, who, kind, value, correlation_id=correlation_id(request))


async def _confirm(
    deps: handlers.Deps, kind: IdentifierKind, code: str, who: AccessClaims, request: Request
) -> MeOut:
    found = await me.confirm_contact_change(
        deps, who, kind, code, correlation_id=correlation_id(request)
    )
    return _out(found)


@router.post("/v1/me/email", status_code=202, responses=errors(*_TAKEN, bearer=True))
async def post_email(body: EmailIn, who: Claims, request: Request, deps: AuthDeps) -> Response:
    """Change the e-mail address: a code goes to the new address first."""
    await _ask(deps, "email", body.email, who, request)
    return Response(status_code=202)


@router.post("/v1/me/email/confirm", response_model=MeOut, responses=errors(*_CONFIRM, bearer=True))
async def confirm_email(body: CodeIn, who: Claims, request: Request, deps: AuthDeps) -> MeOut:
    """Confirm the new e-mail address with its code; the old address is told."""
    return await _confirm(deps, "email", body.code, who, request)


@router.post("/v1/me/phone", status_code=202, responses=errors(*_TAKEN, bearer=True))
async def post_phone(body: PhoneIn, who: Claims, request: Request, deps: AuthDeps) -> Response:
    """Change the phone number: a code goes to the new number first."""
    await _ask(deps, "phone", body.phone, who, request)
    return Response(status_code=202)


@router.post("/v1/me/phone/confirm", response_model=MeOut, responses=errors(*_CONFIRM, bearer=True))
async def confirm_phone(body: CodeIn, who: Claims, request: Request, deps: AuthDeps) -> MeOut:
    """Confirm the new phone number with its code; the old address is told."""
    return await _confirm(deps, "phone", body.code, who, request)


@router.put(
    "/v1/me/picture",
    status_code=204,
    openapi_extra=_PICTURE_BODY,
    responses=errors("invalid_picture", "picture_too_large", "unsupported_media_type", bearer=True),
)
async def put_picture(request: Request, who: Claims, deps: AuthDeps) -> Response:
    """Upload a profile picture (PNG, JPEG or WebP); it is checked and stored as PNG."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in MEDIA_TYPES:
        detail = "Send the picture as image/png, image/jpeg or image/webp."
        raise ApiError(415, "unsupported_media_type", detail)
    data = await _read_limited(request, deps.pictures.limits.max_bytes)
    await me.put_picture(deps, who, data, media_type)
    return Response(status_code=204)


@router.get(
    "/v1/me/picture",
    response_class=Response,
    responses={
        200: {"content": {"image/png": {}}, "description": "The picture as PNG"},
        **errors("picture_not_found", bearer=True),
    },
)
async def get_picture(who: Claims, deps: AuthDeps) -> Response:
    """The profile picture, as PNG."""
    data = await me.picture(deps, who)
    if data is None:
        raise ApiError(404, "picture_not_found", "There is no profile picture.")
    return Response(content=data, media_type="image/png")


@router.delete("/v1/me/picture", status_code=204, responses=errors(bearer=True))
async def delete_picture(who: Claims, deps: AuthDeps) -> Response:
    """Remove the profile picture."""
    await me.delete_picture(deps, who)
    return Response(status_code=204)
