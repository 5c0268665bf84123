"""Pure download logic: planning and library paths. No I/O here."""
