"""The ``tunebridge`` command."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``tunebridge`` console script."""
    parser = argparse.ArgumentParser(prog="tunebridge", description="Tunebridge music sync hub")
    commands = parser.add_subparsers(dest="command", required=True)

    up = commands.add_parser(
        "up", help="run everything on this machine (embedded NATS, all five services)"
    )
    up.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="where state lives (default: $TUNEBRIDGE_DATA_DIR or ~/.local/share/tunebridge)",
    )
    up.add_argument("--port", type=int, default=8080, help="gateway HTTP port (default 8080)")
    up.add_argument("--host", default="127.0.0.1", help="gateway interface (default 127.0.0.1)")
    up.add_argument(
        "--nats-url",
        default="",
        help="a NATS with JetStream instead of the embedded one (default $NATS_URL); "
        "a cluster's servers comma-separated",
    )

    credentials = commands.add_parser(
        "credentials",
        help="make the internal transports' credentials for compose or Kubernetes",
    )
    credentials.add_argument(
        "--out", type=Path, default=Path("credentials"), help="where (default ./credentials)"
    )

    commands.add_parser(
        "declare",
        help="make or update the bus's streams and buckets as the admin identity "
        "(compose and Helm run it before the services, and after an upgrade)",
    )

    matching = (sys.argv[1:] if argv is None else argv)[:1] == ["match"]
    if matching:
        # Before numpy is imported: OpenBLAS would start a thread per core at its import
        # (50 ms of CPU at every start) for linear algebra the matcher never does. Only
        # here, so that `tunebridge up` does not hand it to every service it starts.
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from services.matcher.api.cli import add_commands as add_match_commands

    add_match_commands(commands)
    # `tunebridge match ...` is timed whole-process: it skips the HTTP client's imports.
    if not matching:
        from services.cli.client import add_commands as add_client_commands

        add_client_commands(commands)

    options = parser.parse_args(argv)
    if options.command == "match":
        status = int(options.handler(options))
        if argv is None:
            _exit_now(status)
        return status
    if getattr(options, "client", None):
        from services.cli.client import run_client

        return run_client(options)
    if options.command == "credentials":
        from services.cli.up import write_credentials

        for path in write_credentials(options.out):
            print(path)
        return 0
    if options.command == "declare":
        from services.cli.up import run_declare

        return run_declare()
    if options.command == "up":
        from services.cli.up import run_up

        return run_up(options.data_dir, options.host, options.port, options.nats_url)
    parser.error(f"unknown command {options.command}")
    return 2


def _exit_now(status: int) -> None:
    """End the process without the interpreter's teardown: a ``match`` command has
    written everything, and freeing its millions of cached readings one by one would
    take a tenth of the run (mypy ends the same way, for the same reason)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


if __name__ == "__main__":
    sys.exit(main())
