"""The attack of issue 12, item 8, through the real services: a person types their own username,
e-mail address and phone number (in other forms than they registered them) into the survey's
comment; the survey's SQLite file, read raw, holds none of them, and never held them.

Auth, deletion and the survey run for real on the broker, each with its own SQLite file; auth
and the survey share ADIEU_REDACTION_KEY, as devstack and the compose files give it to them.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from pathlib import Path

from services.auth.app import bootstrap as auth_bootstrap
from services.auth.config import Settings as AuthSettings
from services.deletion.app import bootstrap as deletion_bootstrap
from services.deletion.config import Settings as DeletionSettings
from services.survey.app import bootstrap as survey_bootstrap
from services.survey.config import Settings as SurveySettings
from shared.config import PlatformSettings
from shared.crypto import new_key
from tests.support.platform import Keys
from tests.support.polling import eventually
from tests.support.services import serving
from tests.support.sqlite_files import stored_bytes

PASSWORD = "correct horse battery"
ACCOUNT = {
    "email": "Kari.Nordmann@example.com",
    "phone": "+47 41 23 45 67",
    "username": "Kari_Nordmann-85",
    "password": PASSWORD,
}
COMMENT = (
    "Takk for alt. Hilsen KARI_NORDMANN-85, også kjent som kari nordmann 85 og KariNordmann85;"
    " skriv til KARI.NORDMANN at example dot com eller ring 0047 412-34-567."
)
TRACES = ("kari", "nordmann", "41234567", "412-34-567", "412 34 567")


async def test_the_persons_identifiers_never_reach_the_survey_file(
    platform: PlatformSettings, keys: Keys, tmp_path: Path
) -> None:
    shared_key = new_key()
    auth = auth_bootstrap(
        AuthSettings(
            data_dir=tmp_path,
            platform=platform,
            token_signing_key=keys.signing_key,
            identifier_hmac_key=new_key(),
            redaction_key=shared_key,
        )
    )
    deletion = deletion_bootstrap(
        DeletionSettings(data_dir=tmp_path, platform=platform, hmac_key=new_key())
    )
    survey = survey_bootstrap(
        SurveySettings(data_dir=tmp_path, platform=platform, redaction_key=shared_key)
    )
    async with AsyncExitStack() as stack:
        auth_http = await stack.enter_async_context(serving(auth))
        deletion_http = await stack.enter_async_context(serving(deletion))
        survey_http = await stack.enter_async_context(serving(survey))
        assert (await auth_http.post("/v1/accounts", json=ACCOUNT)).status_code == 201
        signed = await auth_http.post(
            "/v1/sessions", json={"login": "kari.nordmann@example.com", "password": PASSWORD}
        )
        headers = {"Authorization": f"Bearer {signed.json()['access_token']}"}
        ticked = {"understood_consequences": True, "accepted_terms": True, "channel": "email"}
        opened = await deletion_http.post("/v1/deletion-requests", json=ticked, headers=headers)
        assert opened.status_code == 201, opened.text
        answer = {
            "request_id": opened.json()["request_id"],
            "reasons": ["privacy"],
            "problems": [],
            "ratings": {"overall": 3},
            "comment": COMMENT,
        }
        # Sent at once: the answer waits for deletion's request and auth's digests to arrive.
        sent = await survey_http.post("/v1/responses", json=answer, headers=headers)
        assert sent.status_code == 201, sent.text

        async def clean() -> bytes | None:
            raw = stored_bytes(survey.deps.db.path).lower()
            return raw if not any(trace.encode() in raw for trace in TRACES) else None

        # The survey's own log pages are scrubbed by its runtime seconds after a write.
        raw = await eventually(clean, timeout=30, what="the survey file free of every identifier")
    assert b"takk for alt. hilsen" in raw  # the comment is there, minus the person
