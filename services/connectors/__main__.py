"""``python -m services.connectors``: run the connectors on their own."""

from services.connectors.app import ConnectorsApp
from services.connectors.settings import ConnectorsSettings
from services.kernel.main import run_service

if __name__ == "__main__":
    run_service(ConnectorsApp, ConnectorsSettings, "connectors")
