"""``python -m services.gateway``: run the gateway on its own."""

from services.gateway.app import GatewayApp
from services.gateway.settings import GatewaySettings
from services.kernel.main import run_service

if __name__ == "__main__":
    run_service(GatewayApp, GatewaySettings, "gateway")
