"""Accounts and sign-in: registration, passwords, access tokens, and the account's own purge."""
