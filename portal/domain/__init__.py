"""Plain rules of the portal: no Flask, no database session, dates passed in."""
