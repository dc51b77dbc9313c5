"""The central side of the kiosk sync protocol (SYNC.md): signed requests from kiosks, the
envelopes they push (each applied through the area's own service, in a unit of its own), the
attachments they upload, the change feed they pull and the live look-ups they make.

Modules: ``problems`` (refusals with a stable code), ``kiosks`` (registration, enrolment tokens,
keys, revocation), ``signatures`` and ``nonces`` (who is asking, and not twice), ``blobs``,
``envelopes`` and ``handlers`` (one applier per envelope kind), ``feed`` (the change feed and
the ``record_change`` hook areas call), ``lookups``, and ``fleet`` (what staff see of kiosks).
"""
