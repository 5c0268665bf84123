"""``python -m services.matcher``: run the matcher on its own."""

from services.kernel.main import run_service
from services.matcher.app import MatcherApp
from services.matcher.settings import MatcherSettings

if __name__ == "__main__":
    run_service(MatcherApp, MatcherSettings, "matcher")
