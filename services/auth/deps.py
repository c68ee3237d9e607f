"""What auth's use cases are given: one object, built by :func:`services.auth.app.bootstrap`.

It lives apart from the use cases so that the steps they share (guards, sessions) can name it
without importing the use cases back.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from services.auth.passwords import Passwords
from services.auth.pictures import PictureStore
from services.auth.policies import CodePolicy, ThrottlePolicy
from services.auth.vault import IdentifierVault
from shared.clock import Clock
from shared.codes import CodeGenerator, CodeHasher, random_code
from shared.db import Database
from shared.ids import IdFactory, random_id
from shared.recipient_keys import Sealer
from shared.revocation import Revocations
from shared.rolling_limits import RollingLimit
from shared.tokens import TokenIssuer
from shared.topics import Topics

__all__ = ["Deps"]


@dataclass(frozen=True)
class Deps:
    """What auth's handlers need."""

    db: Database
    clock: Clock
    topics: Topics
    passwords: Passwords
    tokens: TokenIssuer
    # Seals addresses and codes to the account's notification key (shared.recipient_keys).
    sealer: Sealer
    identifier_key: bytes
    phone_region: str
    revocations: Revocations
    pictures: PictureStore
    # Stored e-mails and phones: digests to find accounts by, ciphertexts to read them.
    vault: IdentifierVault
    # Shared with the survey only: the digests of identifier words (shared.identifier_digests).
    redaction_key: bytes = b""
    hide_unknown_accounts: bool = False
    account_throttle: ThrottlePolicy = field(default_factory=ThrottlePolicy)
    account_any_throttle: ThrottlePolicy = field(
        default_factory=lambda: ThrottlePolicy(slow_after=20, lock_after=100)
    )
    address_throttle: ThrottlePolicy = field(
        default_factory=lambda: ThrottlePolicy(slow_after=20, lock_after=100)
    )
    codes: CodePolicy = field(default_factory=CodePolicy)
    # Per account and kind of code over a rolling window, however many codes are asked for.
    wrong_codes: RollingLimit = field(default_factory=lambda: RollingLimit("auth_wrong_code", 20))
    new_codes: RollingLimit = field(default_factory=lambda: RollingLimit("auth_new_code", 10))
    # Sign-ups (taken addresses included) per client address over a rolling window.
    sign_ups: RollingLimit = field(default_factory=lambda: RollingLimit("auth_sign_up", 20, 3600))
    new_code: CodeGenerator = random_code
    new_id: IdFactory = random_id
    code_hasher: CodeHasher = field(init=False)

    def __post_init__(self) -> None:
        # Same secret as the identifier digests, separated by purpose inside the keyed hash.
        object.__setattr__(self, "code_hasher", CodeHasher(self.identifier_key, "auth-code"))
