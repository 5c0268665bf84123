"""``python -m services.connectors``: run the connectors on their own."""

from services.connectors.app import ConnectorsApp
from services.connectors.settings import ConnectorsSettings, DeezerSettings
from services.kernel.main import run_service
from services.kernel.settings import load_or_exit

if __name__ == "__main__":
    deezer = load_or_exit(DeezerSettings, "deezer")
    run_service(lambda settings: ConnectorsApp(settings, deezer), ConnectorsSettings, "connectors")
