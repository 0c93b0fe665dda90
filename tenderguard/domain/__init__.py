"""The domain: entities, the screening state machine, the admission rules and the events — no I/O here."""
