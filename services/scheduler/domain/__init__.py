"""Pure run logic: how a run's record moves from step to step. No I/O here."""
