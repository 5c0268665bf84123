"""``python -m services.downloader``: run the downloader on its own."""

from services.downloader.app import DownloaderApp
from services.downloader.settings import DownloaderSettings
from services.kernel.main import run_service

if __name__ == "__main__":
    run_service(DownloaderApp, DownloaderSettings, "downloader")
