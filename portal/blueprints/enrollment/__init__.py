"""Enrolment (参保): my cover, self-service, rosters, renewal, campaigns, plans."""
