"""gunicorn server hooks of `auditapp serve` (`-c python:auditapp.gunicorn_hooks`)."""
from __future__ import annotations

import os
from typing import Any


def child_exit(server: Any, worker: Any) -> None:
    # A worker that ended (restarted, killed) leaves its metric files: its live gauges must stop counting.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
