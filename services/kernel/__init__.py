"""The shared kernel: contracts, subject names, bus and store wiring, settings, telemetry, crypto.

Nothing here knows about music; business logic lives in the services.
"""
