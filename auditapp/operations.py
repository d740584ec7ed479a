"""What operators watch (DESIGN 10): the checks behind /health and the Prometheus metrics behind /metrics.

Health checks are named functions that raise when what they check is down; the app installs the
database's and, with S3 storage, the bucket's; other parts add theirs with `add_health_check` (the
job broker: `add_health_check(app, "broker", ping)`). Each runs with a time limit, so a check that
hangs (a firewall that drops packets) answers "timeout" instead of holding the load balancer's probe.

Metrics are prometheus_client's. Under gunicorn's several worker processes each worker counts on its
own, so `auditapp serve` sets PROMETHEUS_MULTIPROC_DIR (a fresh folder per run) before the workers
start, and /metrics then adds up the files of every worker (prometheus_client's multiprocess mode);
without it (one process: the development server, the tests) the process's own registry is served.
Figures read from the database when scraped (the outbox's pending rows, a queue's depth) are
registered with `add_scrape_gauge`: they are computed by the process answering the scrape, once.
"""
from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any

from prometheus_client import REGISTRY, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric

log = logging.getLogger(__name__)

# --- metrics ------------------------------------------------------------------------------------------------

REQUEST_SECONDS = Histogram(
    "auditapp_http_request_duration_seconds",
    "Time from the request's arrival to its response being ready, by URL rule (not raw path) and status class",
    ["endpoint", "method", "status"])
REPORT_RENDER_SECONDS = Histogram(
    "auditapp_report_render_seconds", "Time to render one PDF report", ["kind", "lang"],
    buckets=(0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30))


@dataclass(frozen=True)
class ScrapeGauge:
    name: str
    documentation: str
    value: Callable[[], float | Mapping[tuple[str, ...], float]]
    labels: tuple[str, ...] = ()


_scrape_gauges: dict[str, ScrapeGauge] = {}


def add_scrape_gauge(name: str, documentation: str, value: Callable[[], float | Mapping[tuple[str, ...], float]],
                     labels: Iterable[str] = ()) -> None:
    """A gauge computed when /metrics is scraped, inside the request's app context: `value()` gives one
    number, or {label values: number} with `labels` (e.g. the outbox's pending rows by kind)."""
    _scrape_gauges[name] = ScrapeGauge(name, documentation, value, tuple(labels))


class _Collector:
    def __init__(self, collect: Callable[[], Iterable[Metric]]):
        self.collect = collect


def _scraped() -> Iterable[Metric]:
    for gauge in list(_scrape_gauges.values()):
        try:
            value = gauge.value()
        except Exception:
            log.warning("metric %s could not be computed", gauge.name, exc_info=True)
            continue
        family = GaugeMetricFamily(gauge.name, gauge.documentation, labels=list(gauge.labels) or None)
        if isinstance(value, Mapping):
            for label_values, number in value.items():
                family.add_metric(list(label_values), float(number))
        else:
            family.add_metric([], float(value))
        yield family


def exposition() -> bytes:
    """Every metric in the Prometheus text format: all workers' when PROMETHEUS_MULTIPROC_DIR is set."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_Collector(REGISTRY.collect))
    registry.register(_Collector(_scraped))
    return generate_latest(registry)


def status_class(status: int) -> str:
    return f"{status // 100}xx"


# --- health -------------------------------------------------------------------------------------------------

HealthCheck = Callable[[], None]
_EXTENSION = "auditapp.health_checks"
# Checks run beside the request, so that one that hangs can be given up on; a small pool is enough
# (probes come every few seconds) and a hung check holds one thread until its own timeouts end it.
_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="health")


def add_health_check(app: Any, name: str, check: HealthCheck) -> None:
    """Add a check to /health: `check()` returns when `name` is up and raises when it is down."""
    app.extensions.setdefault(_EXTENSION, {})[name] = check


def health_checks(app: Any) -> dict[str, HealthCheck]:
    checks: dict[str, HealthCheck] = app.extensions.get(_EXTENSION, {})
    return checks


def run_health_checks(checks: Mapping[str, HealthCheck], timeout: float) -> tuple[bool, dict[str, str]]:
    """(all up, {name: "ok" | "failed" | "timeout"}); the checks run in parallel, each within `timeout`."""
    started = time.monotonic()
    futures = {name: _pool.submit(check) for name, check in checks.items()}
    results: dict[str, str] = {}
    for name, future in futures.items():
        try:
            future.result(timeout=max(0.0, timeout - (time.monotonic() - started)))
            results[name] = "ok"
        except FutureTimeout:
            log.warning("health check %s gave no answer within %s s", name, timeout)
            results[name] = "timeout"
        except Exception as error:  # noqa: BLE001  (any failure of a check means "down"; the log says why)
            log.warning("health check %s failed: %r", name, error)
            results[name] = "failed"
    return all(result == "ok" for result in results.values()), results
