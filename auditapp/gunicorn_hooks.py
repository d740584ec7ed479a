"""gunicorn server hooks of `auditapp serve` (`-c python:auditapp.gunicorn_hooks`)."""
from __future__ import annotations

import os
from typing import Any


def child_exit(server: Any, worker: Any) -> None:
    # A worker that ended (restarted, killed) leaves its metric files: its live gauges must stop counting.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


# Collections of the youngest generation every 50,000 allocations instead of 700, and of the older ones
# less often: a worker holds the parsed figures of the waves it read last (services/figures/cache.py,
# about a million objects for a 1,500-dealer wave), and with the default thresholds the collector
# walked them during requests (measured: about 150 ms of a 350 ms scorecard). Request garbage is
# freed by reference counting either way; the collector only finds cycles, a little later now.
GC_THRESHOLDS = (50_000, 20, 100)


def post_fork(server: Any, worker: Any) -> None:
    import gc

    gc.set_threshold(*GC_THRESHOLDS)
