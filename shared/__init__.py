"""Adieu's common code: event schemas, topics, settings and the mechanisms every service shares."""
