"""Helpers the tests share: polling with a deadline, reading and writing topics, fixtures' parts."""
