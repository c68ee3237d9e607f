"""The fault suite (``make faults``): the platform under an operator's worst day, with figures.

It starts the platform as separately supervised processes, drives concurrent deletion journeys
over HTTP as people would, injects one fault per scenario and prints one row per scenario:
journeys tried, completed and lost, double purges, e-mails missing and duplicated per
(person, kind), notifications left neither sent nor failed, and the recovery time. It exits
non-zero when a scenario breaks a promise (see :mod:`faults.accounting`). Not part of
``make test``: it takes minutes, not seconds. Results and the command: docs/reliability.md.
"""
