"""The scheduler's settings (section ``SCHEDULER``)."""

from __future__ import annotations

import msgspec


class SchedulerSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Attributes:
    present_threshold: Match confidence at or above which a track counts as already in
        the library (0.8, as users asked in seed S2).
    schedule_tick_s: How often due schedules are looked for (seconds).
    scan_quiet_s: After downloads land, how long no other may land before the user's media
        servers are asked to scan (many downloads, one scan).
    scan_max_wait_s: The longest a landed download waits for that scan.
    scan_tick_s: How often due scans are looked for (seconds).
    ops_host: Interface of the probes-and-metrics port.
    ops_port: Its port (0 picks a free one).
    """

    present_threshold: float = 0.8
    schedule_tick_s: float = 5.0
    scan_quiet_s: float = 10.0
    scan_max_wait_s: float = 300.0
    scan_tick_s: float = 1.0
    ops_host: str = "127.0.0.1"
    ops_port: int = 9090
