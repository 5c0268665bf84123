"""``python -m services.scheduler``: run the scheduler on its own."""

from services.kernel.main import run_service
from services.scheduler.app import SchedulerApp
from services.scheduler.settings import SchedulerSettings

if __name__ == "__main__":
    run_service(SchedulerApp, SchedulerSettings, "scheduler")
