"""The scheduler: runs and their steps, orchestrating the other services."""
