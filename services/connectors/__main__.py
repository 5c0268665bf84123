"""``python -m services.connectors``: run the connectors on their own."""

from services.connectors.app import ConnectorsApp, ProviderSettings
from services.connectors.settings import (
    ConnectorsSettings,
    DeezerSettings,
    PlexSettings,
    SpotifySettings,
)
from services.kernel.crypto import SecretsSettings
from services.kernel.main import run_service
from services.kernel.settings import load_or_exit

if __name__ == "__main__":
    providers = ProviderSettings(
        spotify=load_or_exit(SpotifySettings, "spotify"),
        deezer=load_or_exit(DeezerSettings, "deezer"),
        plex=load_or_exit(PlexSettings, "plex"),
        secrets=load_or_exit(SecretsSettings, "secrets"),
    )
    run_service(
        lambda settings: ConnectorsApp(settings, providers), ConnectorsSettings, "connectors"
    )
