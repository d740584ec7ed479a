"""Timing helpers shared by the benchmark scripts (wall and process CPU time of repeated runs)."""
from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Timing:
    wall: list[float]
    cpu: list[float]  # process CPU time: less sensitive to other load on the machine

    @property
    def median(self) -> float:
        return statistics.median(self.wall)

    def __str__(self) -> str:
        return (f"median {self.median:5.2f} s wall, {statistics.median(self.cpu):5.2f} s CPU "
                f"(wall min {min(self.wall):.2f} max {max(self.wall):.2f}, n={len(self.wall)})")


def measure(function: Callable[[], object], runs: int) -> Timing:
    wall, cpu = [], []
    for _ in range(runs):
        wall_start, cpu_start = time.perf_counter(), time.process_time()
        function()
        wall.append(time.perf_counter() - wall_start)
        cpu.append(time.process_time() - cpu_start)
    return Timing(wall, cpu)
