"""The web UI: server-rendered pages over the gateway's own HTTP API (no build step)."""
