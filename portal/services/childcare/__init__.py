"""Summer childcare ("工娃小家"): one module per sub-area, imported as modules.

``classes`` (an organiser drafts and publishes), ``registrations`` (a parent registers or cancels;
the organiser checks a declared priority and reads health notes), ``allocation`` (the draw, the
waitlist and promotion), ``attendance`` (check-in and pick-up), ``notices`` (texts to a class's
parents), ``reports`` (the union's export); ``queries`` holds the read models of the pages, and
``permissions`` who may act on a class. Callers write
``from portal.services.childcare import registrations`` and then ``registrations.register_child(...)``.

Seats are decided under a row lock on the class (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite
serialises writers on its own), and the ``seats_taken <= seats`` check constraint backs it up, so
concurrent registrations, cancellations and the draw can never confirm more children than seats.
"""
