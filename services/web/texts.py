"""Every text the pages show, in Norwegian (bokmål) and English; our own words, no brand names.

The shop is named only through ``{shop}``, filled from ``ADIEU_SHOP_NAME``.
"""

from __future__ import annotations

from services.web.texts_errors import ERRORS

__all__ = ["ERRORS", "TEXTS"]

# key: (nb, en)
TEXTS: dict[str, tuple[str, str]] = {
    "skip": ("Gå til innholdet", "Skip to content"),
    "nav": ("Språk og konto", "Language and account"),
    "account": ("Kontoen min", "My account"),
    "sign_out": ("Logg ut", "Sign out"),
    "login_title": ("Logg inn", "Sign in"),
    "login_intro": (
        "Logg inn hos {shop} med e-post eller telefonnummer.",
        "Sign in to {shop} with your e-mail address or phone number.",
    ),
    "login_field": ("E-post eller telefonnummer", "E-mail or phone number"),
    "password": ("Passord", "Password"),
    "login_button": ("Logg inn", "Sign in"),
    "forgot": ("Glemt passordet?", "Forgot your password?"),
    "reset_title": ("Nytt passord", "New password"),
    "reset_intro": (
        "Vi sender en kode du bruker for å velge et nytt passord.",
        "We send you a code that lets you choose a new password.",
    ),
    "channel": ("Send koden med", "Send the code by"),
    "channel_email": ("E-post", "E-mail"),
    "channel_sms": ("SMS", "Text message (SMS)"),
    "reset_send": ("Send kode", "Send code"),
    "reset_sent": (
        "Hvis kontoen finnes, har vi sendt en kode. Den gjelder i 10 minutter.",
        "If the account exists, we have sent a code. It is valid for 10 minutes.",
    ),
    "code": ("Kode", "Code"),
    "new_password": ("Nytt passord", "New password"),
    "current_password": ("Nåværende passord", "Current password"),
    "reset_confirm": ("Lagre nytt passord", "Save new password"),
    "reset_done": (
        "Passordet er endret. Logg inn med det nye passordet.",
        "Your password has been changed. Sign in with the new one.",
    ),
    "back_to_login": ("Tilbake til innlogging", "Back to sign-in"),
    "settings_title": ("Kontoinnstillinger", "Account settings"),
    "break_title": ("Trenger du en pause?", "Need a break?"),
    "break_intro": (
        "Du kan slå av alle varsler og all reklame og beholde kontoen, "
        "kjøpshistorikken og fordelene dine. Du kan slå dem på igjen når du vil.",
        "You can turn off every notification and all ads and keep your account, your "
        "order history and your benefits. Turn them back on whenever you like.",
    ),
    "break_button": ("Ta en pause: slå av alt", "Take a break: turn everything off"),
    "break_done": (
        "Alle varsler og all reklame er slått av.",
        "Every notification and all ads are off.",
    ),
    "notifications_title": ("Varsler og reklame", "Notifications and ads"),
    "pref_email": ("Varsler på e-post", "Notifications by e-mail"),
    "pref_sms": ("Varsler på SMS", "Notifications by text message"),
    "pref_push": ("Pushvarsler i appen", "Push notifications in the app"),
    "pref_marketing": ("Tilbud og nyhetsbrev", "Offers and newsletters"),
    "pref_ads": ("Tilpasset reklame", "Personalised ads"),
    "save": ("Lagre", "Save"),
    "saved": ("Lagret.", "Saved."),
    "profile_title": ("Profil", "Profile"),
    "username": ("Brukernavn", "Username"),
    "language": ("Språk", "Language"),
    "lang_nb": ("Norsk (bokmål)", "Norwegian (bokmål)"),
    "lang_en": ("Engelsk", "English"),
    "password_title": ("Bytt passord", "Change password"),
    "password_changed": (
        "Passordet er endret, og du er logget ut overalt. Logg inn igjen.",
        "Your password has been changed and you are signed out everywhere. Sign in again.",
    ),
    "email_title": ("E-postadresse", "E-mail address"),
    "phone_title": ("Telefonnummer", "Phone number"),
    "email": ("Ny e-postadresse", "New e-mail address"),
    "phone": ("Nytt telefonnummer", "New phone number"),
    "current": ("Nå: {value}", "Now: {value}"),
    "none": ("ingen", "none"),
    "contact_send": ("Send bekreftelseskode", "Send confirmation code"),
    "contact_sent": (
        "Vi har sendt en kode til den nye adressen. Skriv den inn for å bekrefte.",
        "We have sent a code to the new address. Enter it to confirm.",
    ),
    "contact_confirm": ("Bekreft", "Confirm"),
    "picture_title": ("Profilbilde", "Profile picture"),
    "picture_alt": ("Profilbildet ditt", "Your profile picture"),
    "picture_file": (
        "Velg et bilde (PNG, JPEG eller WebP)",
        "Choose a picture (PNG, JPEG or WebP)",
    ),
    "picture_upload": ("Last opp", "Upload"),
    "picture_remove": ("Fjern bildet", "Remove picture"),
    "danger_title": ("Slett kontoen", "Delete account"),
    "danger_intro": (
        "Sletting kan ikke angres. Vi viser deg først hva du mister.",
        "Deletion cannot be undone. We first show you what you lose.",
    ),
    "delete_link": ("Slett kontoen", "Delete account"),
    "understood": ("Jeg forstår konsekvensene", "I understand the consequences"),
    "accepted": ("Jeg godtar vilkårene for sletting", "I accept the terms of deletion"),
    "continue": ("Fortsett", "Continue"),
    "cancel": ("Avbryt", "Cancel"),
    "keep_account": ("Behold kontoen", "Keep my account"),
    "both_boxes": ("Kryss av i begge boksene for å fortsette.", "Tick both boxes to continue."),
    "reauth_title": ("Bekreft at det er deg", "Confirm it is you"),
    "reauth_intro": (
        "Skriv inn passordet ditt igjen før du sletter kontoen.",
        "Enter your password again before you delete your account.",
    ),
    "survey_title": ("Hvorfor vil du slette kontoen?", "Why do you want to delete your account?"),
    "survey_intro": (
        "Svarene lagres uten navn og hjelper {shop} å bli bedre.",
        "Your answers are kept without your name and help {shop} improve.",
    ),
    "reasons": ("Årsaker (velg minst én)", "Reasons (choose at least one)"),
    "problems": ("Problemer du har hatt", "Problems you have had"),
    "other_text": ("Annet, med dine ord", "Other, in your own words"),
    "ratings": (
        "Hva synes du om … (1 = dårlig, 5 = svært bra)",
        "How would you rate … (1 = poor, 5 = very good)",
    ),
    "no_answer": ("Vil ikke svare", "Rather not say"),
    "comment": ("Kommentar", "Comment"),
    "send": ("Send", "Send"),
    "code_title": ("Skriv inn koden", "Enter the code"),
    "code_intro_email": (
        "Vi har sendt en sekssifret kode til e-postadressen din.",
        "We have sent a six-digit code to your e-mail address.",
    ),
    "code_intro_sms": (
        "Vi har sendt en sekssifret kode til telefonen din.",
        "We have sent a six-digit code to your phone.",
    ),
    "code_delayed": (
        "Koden din er forsinket. Vi fortsetter å prøve å sende den.",
        "Your code is delayed. We keep trying to send it.",
    ),
    "confirm": ("Bekreft", "Confirm"),
    "resend": ("Send ny kode", "Send a new code"),
    "resent": ("En ny kode er sendt.", "A new code has been sent."),
    "cancel_request": ("Angre, behold kontoen", "Stop, keep my account"),
    "cancelled": (
        "Slettingen er avbrutt. Kontoen din er som før.",
        "The deletion is stopped. Your account is as it was.",
    ),
    "done_title": ("Kontoen din blir slettet", "Your account will be deleted"),
    "done_text": (
        "Kontoen din hos {shop} blir slettet innen 24 timer. Vi sender deg en "
        "bekreftelse når det er gjort.",
        "Your account with {shop} will be deleted within 24 hours. We will send you "
        "a confirmation when it is done.",
    ),
    "deadline": ("Senest: {deadline}", "At the latest: {deadline}"),
    "goodbye": ("Takk for tiden hos oss.", "Thank you for your time with us."),
    "session_expired": (
        "Økten er utløpt. Logg inn igjen.",
        "Your session has ended. Sign in again.",
    ),
    "unavailable_title": ("Tjenesten svarer ikke", "The service is not answering"),
    "unavailable": ("Prøv igjen om litt.", "Please try again in a moment."),
    "not_available": (
        "Denne funksjonen er ikke tilgjengelig ennå.",
        "This feature is not available yet.",
    ),
    "operator_title": ("Driftsoversikt", "Operator overview"),
    "operator_token": ("Operatørnøkkel", "Operator token"),
    "by_status": ("Forespørsler etter status", "Requests by status"),
    "status": ("Status", "Status"),
    "count": ("Antall", "Count"),
    "all": ("Alle", "All"),
    "requests": ("Forespørsler", "Requests"),
    "request": ("Forespørsel", "Request"),
    "deadline_col": ("Frist", "Deadline"),
    "participants": ("Deltakere", "Participants"),
    "overdue_title": ("Deltakere på overtid", "Overdue participants"),
    "no_overdue": ("Ingen deltakere er på overtid.", "No participant is overdue."),
    "resend_purge": ("Be om sletting igjen", "Ask again"),
    "purge_resent": ("Slettingen er sendt på nytt.", "The purge has been sent again."),
    "survey_charts": ("Spørreundersøkelsen", "The exit survey"),
    "survey_report_link": ("Åpne rapporten alene", "Open the report on its own"),
    # sign-up with address proof
    "signup_title": ("Opprett konto", "Create an account"),
    "signup_intro": (
        "Opprett en konto hos {shop} med e-postadressen eller telefonnummeret ditt. Vi sender "
        "en kode dit, så du kan bekrefte at adressen er din.",
        "Create an account with {shop} using your e-mail address or phone number. We send a "
        "code there, so you can confirm the address is yours.",
    ),
    "signup_link": ("Ny her? Opprett konto", "New here? Create an account"),
    "signup_button": ("Opprett konto", "Create account"),
    "password_hint": ("Minst 8 tegn.", "At least 8 characters."),
    "have_account": ("Har du allerede en konto? Logg inn", "Already have an account? Sign in"),
    "verify_title": ("Bekreft adressen din", "Confirm your address"),
    "verify_intro": (
        "Vi har sendt en sekssifret kode til {where}. Den gjelder i {minutes} minutter.",
        "We have sent a six-digit code to {where}. It is valid for {minutes} minutes.",
    ),
    "verify_resent": (
        "Venter kontoen på en kode, har vi sendt en ny.",
        "If the account is waiting for a code, we have sent a new one.",
    ),
    "address_proven": (
        "Adressen er bekreftet. Logg inn for å ta kontoen i bruk.",
        "Your address is confirmed. Sign in to start using your account.",
    ),
    # terms, done, code
    "terms_title": ("Vilkår for sletting", "Terms of deletion"),
    "terms_link": ("Les vilkårene for sletting", "Read the terms of deletion"),
    "back_to_delete": ("Tilbake til slettingen", "Back to the deletion"),
    "code_intro": (
        "Vi har sendt en sekssifret kode til {where}. Den gjelder i {minutes} minutter.",
        "We have sent a six-digit code to {where}. It is valid for {minutes} minutes.",
    ),
    "code_sent_to": (
        "Vi har sendt en sekssifret kode til {where}.",
        "We have sent a six-digit code to {where}.",
    ),
    "your_email": ("e-postadressen din", "your e-mail address"),
    "your_phone": ("telefonen din", "your phone"),
    "back_to_shop": ("Tilbake til {shop}", "Back to {shop}"),
    # error pages
    "not_found_title": ("Siden finnes ikke", "Page not found"),
    "not_found_text": (
        "Vi finner ikke siden du ba om. Sjekk adressen, eller gå til forsiden.",
        "We cannot find the page you asked for. Check the address, or go to the start page.",
    ),
    "method_title": ("Dette går ikke her", "That does not work here"),
    "method_text": (
        "Siden kan ikke brukes på denne måten. Gå til forsiden og prøv igjen.",
        "This page cannot be used that way. Go to the start page and try again.",
    ),
    "server_error_title": ("Noe gikk galt", "Something went wrong"),
    "server_error_text": (
        "Det oppsto en feil hos oss. Prøv igjen om litt.",
        "Something went wrong on our side. Please try again in a moment.",
    ),
    "forbidden_title": ("Ikke tillatt", "Not allowed"),
    "home": ("Til forsiden", "Go to the start page"),
    # the operator page
    "status_awaiting_survey": ("Venter på spørreskjema", "Awaiting the survey"),
    "status_awaiting_code": ("Venter på kode", "Awaiting the code"),
    "status_scheduled": ("Planlagt sletting", "Deletion scheduled"),
    "status_purging": ("Slettes nå", "Being purged"),
    "status_purged": ("Slettet", "Purged"),
    "status_expired": ("Utløpt", "Expired"),
    "status_cancelled": ("Avbrutt", "Cancelled"),
    "participant_pending": ("venter", "pending"),
    "participant_completed": ("ferdig", "done"),
    # download my data, holds
    "export_title": ("Last ned dataene mine", "Download my data"),
    "export_intro": (
        "Få en kopi av det {shop} har lagret om deg: bestillinger, profil og innstillinger."
        " Vi gir beskjed på e-post eller SMS når den er klar.",
        "Get a copy of what {shop} holds about you: orders, profile and settings."
        " We tell you by e-mail or SMS when it is ready.",
    ),
    "export_button": ("Last ned dataene mine", "Download my data"),
    "export_assembling": (
        "Kopien lages nå. Vi gir beskjed når den er klar; last siden på nytt for å se status.",
        "Your copy is being prepared. We will tell you when it is ready; reload to see.",
    ),
    "export_ready": ("Kopien er klar", "Your copy is ready"),
    "export_until": (
        "Du kan laste den ned til {until}.",
        "You can download it until {until}.",
    ),
    "export_download": ("Last ned kopien (zip)", "Download the copy (zip)"),
    "export_missing": ("Mangler fra: {names}", "Missing from: {names}"),
    "export_again": ("Lag en ny kopi", "Make a new copy"),
    "holds_title": ("Dette må bli ferdig først", "This has to be finished first"),
    "holds_intro": (
        "Du kan be om sletting nå, men kontoen slettes først når dette er ordnet:",
        "You can ask for deletion now, but your account is deleted only once this is settled:",
    ),
    "holds_operator": ("Sletting som venter", "Held deletions"),
    "no_holds": ("Ingen sletting venter.", "No deletion is held."),
    "hold_reason": ("Årsak", "Reason"),
    "hold_since": ("Siden", "Since"),
    "hold_overdue": ("over maksimal tid", "overdue"),
}
