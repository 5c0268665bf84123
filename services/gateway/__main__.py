"""``python -m services.gateway``: run the gateway on its own."""

from services.gateway.app import GatewayApp
from services.gateway.settings import GatewaySettings
from services.kernel.crypto import SecretsSettings
from services.kernel.library import LibrarySettings
from services.kernel.main import run_service
from services.kernel.settings import load_or_exit

if __name__ == "__main__":
    secrets = load_or_exit(SecretsSettings, "secrets")
    library = load_or_exit(LibrarySettings, "library")
    run_service(lambda settings: GatewayApp(settings, secrets, library), GatewaySettings, "gateway")
