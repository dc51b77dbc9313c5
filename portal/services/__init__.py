"""One function per user action: checks the actor's permission, keeps invariants, audits, commits."""
