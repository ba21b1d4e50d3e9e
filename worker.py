"""GEE background worker: ``python worker.py`` (or ``gee worker``).

Runs rq workers over Redis (REDIS_URL). Without Redis the app runs jobs in-process and no
worker is needed.
"""

from __future__ import annotations

import logging
import sys

from engine.app import create_engine_app, settings_of
from engine.jobs import QUEUE_NAME

log = logging.getLogger("gee.worker")


def main(burst: bool = False) -> int:
    app = create_engine_app()
    redis_url = settings_of(app).redis_url
    if not redis_url:
        print(
            "REDIS_URL is not set: background jobs run inside the web app (embedded mode); no worker needed.",
            file=sys.stderr,
        )
        return 2
    from redis import Redis
    from rq import Worker

    logging.basicConfig(level=settings_of(app).log_level)
    connection = Redis.from_url(redis_url)
    # Jobs open their own application context in the work-horse process (engine.jobs.run_job),
    # so no database connection is shared across the fork.
    worker = Worker([QUEUE_NAME], connection=connection)
    worker.work(burst=burst, with_scheduler=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(burst="--burst" in sys.argv))
