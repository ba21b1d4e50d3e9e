"""The rq worker of ``python worker.py``: it outlives a Redis that goes away, and says it is alive.

rq's own loop quits on most Redis errors (a heartbeat, a registry write, its own clean-up),
and the worker then stayed down. Here the loop is started again once Redis answers, waiting
1, 2, 4… up to 30 seconds between attempts and logging each one. Nothing is lost meanwhile:
the database is the record (a timer stays pending until its instance fired it, and the next
sweep enqueues it again) and every job is idempotent, so a job run again never doubles a step.

While the process lives, a thread keeps ``gee:worker:alive:<name>`` (expiring after
``ALIVE_TTL`` seconds) so the scheduler notices a killed worker within seconds and runs its
job again (:func:`engine.base.jobs.recover_abandoned_jobs`).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from typing import Any

from rq import SimpleWorker

from engine.base.jobs import ALIVE_TTL, QUEUE_NAME, WORKERS_KEY, alive_key

log = logging.getLogger("gee.worker")

#: Back-off between reconnection attempts: 1, 2, 4… seconds, at most this many.
MAX_BACKOFF = 30.0


class Liveness(threading.Thread):
    """Refreshes the worker's liveness key every third of its TTL until stopped."""

    def __init__(self, connection: Any, name: str):
        super().__init__(name=f"gee-liveness-{name}", daemon=True)
        self.connection, self.worker_name = connection, name
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                with self.connection.pipeline() as pipe:
                    pipe.sadd(WORKERS_KEY, self.worker_name)
                    pipe.set(alive_key(self.worker_name), os.getpid(), ex=ALIVE_TTL)
                    pipe.execute()
            except Exception as exc:  # Redis away: the main loop reconnects; keep trying
                log.debug("liveness of %s not written: %s", self.worker_name, exc)
            self.stopped.wait(ALIVE_TTL / 3)

    def stop(self, clean: bool) -> None:
        self.stopped.set()
        self.join(timeout=5)
        if clean:
            try:
                with self.connection.pipeline() as pipe:
                    pipe.srem(WORKERS_KEY, self.worker_name)
                    pipe.delete(alive_key(self.worker_name))
                    pipe.execute()
            except Exception:  # noqa: S110 - the key expires by itself
                pass


class GeeWorker(SimpleWorker):
    """SimpleWorker that remembers a stop was asked (SIGTERM/SIGINT), unlike a lost Redis, and
    stops its pub/sub thread without the minute rq's own stop can take."""

    stop_asked = False

    def request_stop(self, signum: Any, frame: Any) -> None:
        self.stop_asked = True
        super().request_stop(signum, frame)

    def unsubscribe(self) -> None:
        """rq sends UNSUBSCRIBE, then stops its pub/sub thread and waits for it. The thread that
        has read the UNSUBSCRIBE reply before being told to stop goes on to wait up to 60 s for a
        new subscription, and redis-py's ``stop()`` waits that long for it (seen under load: a
        burst that took a minute). Told to stop first, the thread ends on the reply it reads."""
        thread = self.pubsub_thread
        if thread is None:
            return
        self.log.info("Worker %s: unsubscribing from channel %s", self.name, self.pubsub_channel_name)
        thread.stop(timeout=0)  # the flag only; the UNSUBSCRIBE reply below wakes the thread
        self.pubsub.unsubscribe()
        thread.join(timeout=1)
        self.pubsub.close()


def wait_for_redis(connection: Any, sleep: Any = time.sleep) -> int:
    """Ping until Redis answers, backing off; returns the number of failed attempts."""
    delay, attempt = 1.0, 0
    while True:
        try:
            connection.ping()
            if attempt:
                log.warning("Redis answers again after %d attempts: the worker starts again", attempt)
            return attempt
        except Exception as exc:
            attempt += 1
            log.warning("Redis is unreachable (%s); attempt %d, next in %.0f s", exc, attempt, delay)
            sleep(delay)
            delay = min(delay * 2, MAX_BACKOFF)


def run_worker(redis_url: str, burst: bool = False) -> None:
    """Take jobs from the "gee" queue until asked to stop (or, with ``burst``, until it is empty)."""
    from redis import Redis

    connection = Redis.from_url(redis_url, socket_connect_timeout=5, health_check_interval=30)
    while True:
        wait_for_redis(connection)
        name = f"{socket.gethostname()}.{os.getpid()}.{uuid.uuid4().hex[:6]}"
        # SimpleWorker runs each job in this process instead of a fork per job: the app, its
        # database pool, the cached process specs and the script sandbox's child process stay
        # warm. Jobs open their application context through engine.base.jobs.run_job; job
        # timeouts still apply (SIGALRM).
        worker = GeeWorker([QUEUE_NAME], connection=connection, name=name)
        liveness = Liveness(connection, name)
        liveness.start()
        failure: Exception | None = None
        try:
            worker.work(burst=burst, with_scheduler=True)
        except Exception as exc:  # Redis went away under rq's feet (its teardown raised too)
            failure = exc
        finally:
            liveness.stop(clean=failure is None)
        if worker.stop_asked or (burst and failure is None):
            return
        log.warning("the worker loop stopped (%s); reconnecting to Redis", failure or "rq quit")
        time.sleep(1.0)


__all__ = ["GeeWorker", "Liveness", "run_worker", "wait_for_redis"]
