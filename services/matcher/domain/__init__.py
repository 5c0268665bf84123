"""Pure matching: normalisation, scoring and the library index. No I/O here."""
