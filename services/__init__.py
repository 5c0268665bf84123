"""Tunebridge: one distribution, one package per service plus a small shared kernel."""
