"""Enrolment (参保), one module per sub-area; import the module, not its functions.

``plans`` (the versioned benefit schedule an administrator edits), ``enrolments`` (a member's
own application, the union's answer, the certificate, renewal and the nightly expiry; who already
covers a person), ``rosters`` (a union's roster: upload, check, confirm, import, the command
line) with ``roster_rows`` (reading a spreadsheet, checking its rows, inserting in bulk),
``campaigns`` (gifted cover: opening, claiming, nominating), ``exports`` (the staff lists as
Excel, audited); ``queries`` builds the pages' read models. Callers write
``from portal.services.enrollment import enrolments`` and then ``enrolments.apply_for_cover(...)``.
Every action that writes runs in one unit of work and never commits on its own.
"""
