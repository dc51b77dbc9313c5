"""Singles' events and the collective wedding: one module per sub-area, imported as modules.

``singles`` (an organiser publishes an event, members register, unions confirm, the door checks
in, participants choose each other's numbers), ``weddings`` (couples register, unions confirm,
the programme), ``queries`` (the read models of the pages and the figures) and ``permissions``.

Places are decided under a row lock on the event (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite
serialises writers) and CHECK constraints back the counters, so concurrent registrations can never
take more places than the event has.
"""
