"""``python -m services.connectors``: run the connectors on their own."""

from services.connectors.app import ConnectorsApp
from services.connectors.registry import ProviderSettings
from services.connectors.settings import ConnectorsSettings
from services.kernel.library import LibrarySettings
from services.kernel.main import run_service
from services.kernel.settings import load_or_exit

if __name__ == "__main__":
    providers = ProviderSettings.load()
    library = load_or_exit(LibrarySettings, "library")
    run_service(
        lambda settings: ConnectorsApp(settings, providers, library),
        ConnectorsSettings,
        "connectors",
    )
