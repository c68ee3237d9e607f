"""What each error code of the APIs (and of the pages' own checks) means to a person, in
Norwegian (bokmål) and English. A code without an entry reads as ``http_error``; a unit test
checks that every code the APIs answer with has its own words.
"""

from __future__ import annotations

__all__ = ["ERRORS"]

# Error codes of the APIs (and of our own checks), as a person should read them.
ERRORS: dict[str, tuple[str, str]] = {
    "account_not_found": ("Denne kontoen finnes ikke.", "This account does not exist."),
    "invalid_credentials": ("Passordet er feil.", "The password is not correct."),
    "deletion_pending": (
        "Kontoen er under sletting og kan ikke lenger brukes.",
        "This account is being deleted and can no longer be used.",
    ),
    "required": ("Fyll ut dette feltet.", "Please fill in this field."),
    "box_required": ("Du må krysse av her for å fortsette.", "You must tick this box to continue."),
    "csrf": (
        "Skjemaet er utløpt. Last siden på nytt og prøv igjen.",
        "The form has expired. Reload the page and try again.",
    ),
    "invalid_code": (
        "Koden er feil. Du har {attempts_left} forsøk igjen.",
        "The code is not right. You have {attempts_left} tries left.",
    ),
    "code_expired": (
        "Koden er utløpt. Be om en ny kode.",
        "The code has expired. Ask for a new one.",
    ),
    "too_many_attempts": (
        "For mange forsøk. Be om en ny kode.",
        "Too many tries. Ask for a new code.",
    ),
    # auth's throttle after wrong passwords: too_many_attempts with a wait, not a burned code.
    "too_many_attempts_wait": (
        "For mange forsøk. Vent {retry_after} sekunder og prøv igjen.",
        "Too many tries. Wait {retry_after} seconds and try again.",
    ),
    "resend_cooldown": (
        "Vent {retry_after} sekunder før du ber om en ny kode.",
        "Wait {retry_after} seconds before asking for a new code.",
    ),
    "too_many_codes": (
        "Du har bedt om for mange koder. Prøv igjen senere.",
        "You have asked for too many codes. Try again later.",
    ),
    "too_many_sign_ups": (
        "For mange registreringer fra dette nettverket. Prøv igjen om en stund.",
        "Too many sign-ups from this network. Try again in a while.",
    ),
    "invalid_state": (
        "Koden er på vei. Vent litt og prøv igjen.",
        "The code is on its way. Wait a moment and try again.",
    ),
    "identifier_taken": ("Denne adressen brukes allerede.", "This address is already in use."),
    "identifier_retired": (
        "Denne adressen tilhørte en konto som er slettet, og kan ikke brukes igjen. "
        "Bruk en annen adresse.",
        "This address belonged to an account that has been deleted and cannot be used again. "
        "Please use another address.",
    ),
    "username_taken": ("Brukernavnet er tatt.", "This username is taken."),
    "validation_error": ("Sjekk dette feltet.", "Please check this field."),
    "address_unverified": (
        "Bekreft adressen din først: skriv inn koden vi sendte deg.",
        "Confirm your address first: enter the code we sent you.",
    ),
    "reasons_required": ("Velg minst én grunn.", "Choose at least one reason."),
    "other_text_needed": (
        "Kryss av for «Annet» og beskriv det med noen få ord.",
        "Tick “Other” and describe it in a few words.",
    ),
    "option_unknown": (
        "Velg blant alternativene på listen.",
        "Choose among the options in the list.",
    ),
    "rating_range": (
        "Velg et tall fra 1 til 5, eller «Vil ikke svare».",
        "Choose a number from 1 to 5, or “Rather not say”.",
    ),
    "comment_too_long": ("Kommentaren er for lang.", "The comment is too long."),
    "email_invalid": (
        "Skriv en e-postadresse som navn@eksempel.no.",
        "Enter an e-mail address like name@example.com.",
    ),
    "phone_invalid": (
        "Skriv et telefonnummer, for eksempel 912 34 567 eller +47 912 34 567.",
        "Enter a phone number, such as +47 912 34 567.",
    ),
    "password_too_short": (
        "Passordet må ha minst 8 tegn.",
        "The password must have at least 8 characters.",
    ),
    "password_too_long": (
        "Passordet kan ha høyst 128 tegn.",
        "The password can have at most 128 characters.",
    ),
    "username_invalid": (
        "Brukernavnet må ha 3 til 64 tegn: bokstaver, sifre, «_», «.» eller «-».",
        "A username has 3 to 64 characters: letters, digits, “_”, “.” or “-”.",
    ),
    "one_address": (
        "Bruk én adresse nå, e-post eller telefon. Den andre kan du legge til i innstillingene.",
        "Use one address now, e-mail or phone. You can add the other in your settings.",
    ),
    "request_exists": (
        "Du har allerede en sletting på gang.",
        "You already have a deletion under way.",
    ),
    "request_not_found": (
        "Vi finner ikke slettingen. Start på nytt.",
        "We cannot find the deletion. Please start again.",
    ),
    "request_not_yet_known": (
        "Et øyeblikk: vi gjør fortsatt klar slettingen din. Vent noen sekunder og trykk Send"
        " igjen. Svarene dine står der fortsatt.",
        "One moment: we are still getting your deletion ready. Wait a few seconds and press"
        " Send again. Your answers are still here.",
    ),
    "reauthentication_required": (
        "Skriv inn passordet ditt igjen for å fortsette.",
        "Enter your password again to continue.",
    ),
    "already_submitted": (
        "Svarene dine er allerede sendt.",
        "Your answers have already been sent.",
    ),
    "picture_not_found": ("Du har ikke noe profilbilde.", "You have no profile picture."),
    "unauthorized": ("Logg inn igjen.", "Please sign in again."),
    "invalid_token": ("Logg inn igjen.", "Please sign in again."),
    "session_revoked": (
        "Økten er avsluttet. Logg inn igjen.",
        "Your session has ended. Sign in again.",
    ),
    "unsupported_media_type": (
        "Bildet må være PNG, JPEG eller WebP.",
        "The picture must be PNG, JPEG or WebP.",
    ),
    "payload_too_large": ("Bildet er for stort.", "The picture is too large."),
    # auth's own answer; its limits are auth's configuration, so no number is named here.
    "picture_too_large": ("Bildet er for stort.", "The picture is too large."),
    "invalid_picture": (
        "Filen er ikke et bilde vi kan bruke.",
        "The file is not a usable picture.",
    ),
    "operator_token": ("Nøkkelen er feil.", "The token is not right."),
    "not_found": (
        "Denne funksjonen er ikke tilgjengelig ennå.",
        "This feature is not available yet.",
    ),
    "http_error": ("Noe gikk galt. Prøv igjen.", "Something went wrong. Please try again."),
    "export_in_progress": (
        "En kopi av dataene dine lages allerede.",
        "A copy of your data is already being prepared.",
    ),
    "export_not_found": ("Vi finner ingen kopi. Lag en ny.", "We find no copy. Make a new one."),
    "export_not_ready": ("Kopien er ikke klar ennå.", "The copy is not ready yet."),
    "export_expired": (
        "Kopien kan ikke lastes ned lenger. Lag en ny.",
        "The copy can no longer be downloaded. Make a new one.",
    ),
}
