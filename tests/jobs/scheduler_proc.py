"""One scheduler process for test_scheduler_processes.py: `python -m tests.jobs.scheduler_proc URL FAST`.

The real wiring (configure + BlockingScheduler + the tick), on the test database, with the probe
jobs as the registry and a fast tick and short lease so the test runs in seconds. SIGTERM stops it
the way `flask scheduler run` stops: no new claims, running jobs finish.
"""

from __future__ import annotations

import signal
import sys

from apscheduler.schedulers.blocking import BlockingScheduler


def main(url: str, fast: int) -> None:
    from app import create_app
    from app.jobs import registry
    from app.jobs.scheduler import configure, shutdown
    from tests.conftest import _test_config
    from tests.jobs import probe_jobs

    app = create_app(_test_config(url))
    app.config.update(SCHEDULER_TICK_SECONDS=0.25, SCHEDULER_LEASE_SECONDS=2, SCHEDULER_WORKERS=6)
    registry.JOBS[:] = probe_jobs.specs(fast)
    scheduler = configure(BlockingScheduler(), app, timezone="UTC")

    def _stop(_signum: int, _frame: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, _stop)
    print("ready", flush=True)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        shutdown(scheduler, wait=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
