"""``python -m services.downloader``: run the downloader on its own."""

import logging

from services.downloader.app import DownloaderApp
from services.downloader.settings import DownloaderSettings
from services.kernel.library import LibrarySettings, inside
from services.kernel.main import run_service
from services.kernel.settings import load_or_exit


def _app(settings: DownloaderSettings) -> DownloaderApp:
    # Downloads are filed in this library for every user: it belongs inside the shared
    # roots, where users may reach it (and nothing else); downloads are refused otherwise.
    roots = load_or_exit(LibrarySettings, "library").roots
    for name, folder in (
        ("LIBRARY_DIR", settings.library_dir),
        ("DOWNLOADS_DIR", settings.downloads_dir),
    ):
        if not any(inside(folder, root) for root in roots):
            logging.getLogger("tunebridge.downloader").warning(
                f"TUNEBRIDGE_DOWNLOADER__{name} is outside every TUNEBRIDGE_LIBRARY__ROOTS: "
                "downloads into it are refused"
            )
    return DownloaderApp(settings, shared_roots=roots)


if __name__ == "__main__":
    run_service(_app, DownloaderSettings, "downloader")
