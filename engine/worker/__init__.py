"""Background work that the worker process runs: the timer sweeper and its scheduler lock,
deadline alerts, notification expiry, document generation, nightly integrity checks, the
failed-jobs admin service and the timers benchmark. Job functions take the tenant id first."""
