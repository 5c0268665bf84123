"""Connectors: where Tunebridge touches other systems (providers, folders, export files)."""
