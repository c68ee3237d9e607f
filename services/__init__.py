"""Adieu's four services: auth, deletion, survey and notifier."""
