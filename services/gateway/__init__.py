"""The gateway: Tunebridge's HTTP API, and its one door to the other services."""
