"""A local HTTP server for a folder of files: where tests put the "remote" audio."""

from __future__ import annotations

import contextlib
import functools
import http.server
import threading
import time
from collections.abc import Iterator
from pathlib import Path


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves a folder without an access-log line per request in the test output."""

    def log_message(self, format: str, *args: object) -> None:
        """Requests are not logged: the tests' output is for their failures."""


@contextlib.contextmanager
def serving_folder(root: Path, handler: type[QuietHandler] = QuietHandler) -> Iterator[str]:
    """Serve ``root`` (created if need be) on a free local port; yields its base URL."""
    root.mkdir(parents=True, exist_ok=True)
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(root))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class TricklingHandler(QuietHandler):
    """Serves files whose path holds "slow" a little at a time, so that a download of one
    is still running when a test cancels it."""

    chunk_bytes = 8192
    every_s = 0.1

    def copyfile(self, source, outputfile) -> None:  # type: ignore[no-untyped-def]
        if "slow" not in self.path:
            return super().copyfile(source, outputfile)
        # A client that hangs up mid-way was cancelled: nothing more to send.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            while chunk := source.read(self.chunk_bytes):
                outputfile.write(chunk)
                time.sleep(self.every_s)
