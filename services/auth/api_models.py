"""Auth's request and response bodies (the wire, kept apart from the domain).

No `from __future__ import annotations` here: FastAPI and pydantic read the annotations.
"""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from services.auth.domain import (
    EMAIL_MAX_LENGTH,
    PASSWORD_MAX_LENGTH,
    PASSWORD_MIN_LENGTH,
    USERNAME_MAX_LENGTH,
    AccountStatus,
    Registration,
    registration,
)

__all__ = [
    "AccountCreated",
    "AccountIn",
    "CodeIn",
    "EmailIn",
    "MeOut",
    "NewPassword",
    "NotificationsBody",
    "PasswordChangeIn",
    "PhoneIn",
    "ProfileIn",
    "PublicKeyOut",
    "ReauthenticateIn",
    "ResetConfirmIn",
    "ResetIn",
    "SessionIn",
    "TokenOut",
]

# Far above the password policy's 128; only stops absurd bodies before argon2 sees them.
_SECRET_MAX = 1024
# A password being chosen: the policy's own limits, so the document states them.
NewPassword = Annotated[str, Field(min_length=PASSWORD_MIN_LENGTH, max_length=PASSWORD_MAX_LENGTH)]


class ClosedBody(BaseModel):
    """A request body that refuses fields it does not know (a typo is an error, not ignored)."""

    model_config = ConfigDict(extra="forbid")


class AccountIn(ClosedBody):
    email: str | None = Field(default=None, max_length=EMAIL_MAX_LENGTH)
    phone: str | None = Field(default=None, max_length=40)
    password: NewPassword
    username: str | None = Field(default=None, max_length=USERNAME_MAX_LENGTH)
    language: Literal["nb", "en"] = "nb"

    def registration(self, region: str) -> Registration:
        """The checked registration (InvalidInput names the field that fails)."""
        return registration(
            email=self.email,
            phone=self.phone,
            password=self.password,
            username=self.username,
            language=self.language,
            region=region,
        )


class AccountCreated(BaseModel):
    account_id: str


class SessionIn(ClosedBody):
    login: str = Field(min_length=1, max_length=320, description="E-mail address or phone number")
    password: str = Field(max_length=_SECRET_MAX)


class ReauthenticateIn(ClosedBody):
    password: str = Field(max_length=_SECRET_MAX)


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105  # the OAuth token type, not a secret
    expires_in: int


class PublicKeyOut(BaseModel):
    public_key: str = Field(description="Ed25519 public key, URL-safe base64 (raw 32 bytes)")


class ResetIn(ClosedBody):
    login: str = Field(min_length=1, max_length=320, description="E-mail address or phone number")
    channel: Literal["email", "sms"] = Field(description="Where the reset code is sent")


class ResetConfirmIn(ClosedBody):
    login: str = Field(min_length=1, max_length=320)
    code: str = Field(min_length=1, max_length=32)
    new_password: NewPassword


class PasswordChangeIn(ClosedBody):
    current_password: str = Field(max_length=_SECRET_MAX)
    new_password: NewPassword


class EmailIn(ClosedBody):
    email: str = Field(min_length=1, max_length=320)


class PhoneIn(ClosedBody):
    phone: str = Field(min_length=1, max_length=40)


class CodeIn(ClosedBody):
    code: str = Field(min_length=1, max_length=32)


class ProfileIn(ClosedBody):
    username: str | None = Field(default=None, max_length=200)
    language: Literal["nb", "en"] | None = None
    time_zone: str | None = Field(default=None, max_length=64, description="IANA zone name")


class NotificationsBody(ClosedBody):
    email: StrictBool
    sms: StrictBool
    push: StrictBool
    marketing: StrictBool
    ads: StrictBool


class MeOut(BaseModel):
    account_id: str
    email: str | None
    phone: str | None
    username: str | None
    language: Literal["nb", "en"]
    time_zone: str | None
    status: AccountStatus
    purge_deadline: datetime | None
    notifications: NotificationsBody
    has_picture: bool
