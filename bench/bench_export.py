"""Wave export benchmark: time, rows, file size and memory of the .xlsx and CSV exports at two wave sizes.

Seeds the demo program through the real services (bench_batch's seeding) at each size, in a process of
its own so that one size's memory does not count in the other's, and exports the latest wave's showroom
program (sales_visit) as the agency sees it: the workbook, then each sheet as CSV.

Memory is measured in two parts, with tracemalloc (Python allocations, peak) and the process's RSS:
`prepare` reads the wave and computes its figures (services.figures, as every scorecard request does,
so it grows with the audits), `write` is what writing the rows adds on top of that; it stays flat when
the rows grow, since XlsxWriter's constant-memory mode flushes each row and the items sheet reads the
answers one batch of audits at a time. Times (wall, and this process's CPU: the machine is shared) are
from a run without tracemalloc.

    .venv/bin/python bench/bench_export.py [--sizes 12,50] [--program sales_visit]

(`--sizes` are dealers per region, 4 regions: 48 and 200 dealers.)
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from bench_batch import seeded_app

MIB = 1024 * 1024


def _rss() -> tuple[int, int]:
    """(current RSS, peak RSS since the last reset) in bytes, from /proc (Linux)."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) * 1024, int(fields["VmHWM"].split()[0]) * 1024


def _reset_peak_rss() -> None:
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS


def _export(tmp: Path, program: str, trace: bool) -> dict:
    from auditapp.demo.seed import WAVES
    from auditapp.extensions import db
    from auditapp.services.access import AGENCY_SCOPE
    from auditapp.services.exports import WaveExport, csv_chunks, write_xlsx

    wave = WAVES[-1][0]
    out: dict = {}
    if trace:
        tracemalloc.start()
    _reset_peak_rss()
    rss_before = _rss()[0]
    started, cpu = time.perf_counter(), time.process_time()
    export = WaveExport(db.session(), wave, program, AGENCY_SCOPE, min_ranked=2)
    out["prepare_s"], out["prepare_cpu"] = time.perf_counter() - started, time.process_time() - cpu
    if trace:
        out["prepare_peak"] = tracemalloc.get_traced_memory()[1]
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
    rss_prepared = _rss()[0]
    out["prepare_rss"] = rss_prepared - rss_before
    _reset_peak_rss()
    started, cpu = time.perf_counter(), time.process_time()
    book = tmp / "export.xlsx"
    out["rows"] = write_xlsx(export.sheets(), str(book))
    out["xlsx_s"], out["xlsx_cpu"] = time.perf_counter() - started, time.process_time() - cpu
    out["xlsx_bytes"] = book.stat().st_size
    out["xlsx_rss"] = _rss()[1] - rss_prepared
    if trace:
        out["xlsx_peak"] = tracemalloc.get_traced_memory()[1] - base
        tracemalloc.reset_peak()
    _reset_peak_rss()
    started, cpu = time.perf_counter(), time.process_time()
    out["csv_bytes"] = 0
    for sheet in export.sheets():
        path = tmp / f"{sheet.name}.csv"
        with path.open("wb") as file:
            for chunk in csv_chunks(sheet):
                file.write(chunk)
        out["csv_bytes"] += path.stat().st_size
    out["csv_s"], out["csv_cpu"] = time.perf_counter() - started, time.process_time() - cpu
    out["csv_rss"] = _rss()[1] - rss_prepared
    if trace:
        out["csv_peak"] = tracemalloc.get_traced_memory()[1] - base
        tracemalloc.stop()
    return out


def one_size(dealers_per_region: int, program: str) -> None:
    with tempfile.TemporaryDirectory() as tmp, seeded_app(tmp, dealers_per_region) as (_app, summary, seeded):
        timed = _export(Path(tmp), program, trace=False)
        traced = _export(Path(tmp), program, trace=True)
        rows = timed["rows"]
        print(f"{summary.dealers} dealers, {summary.audits} audits seeded in {seeded:.0f} s; "
              f"export of {program}: {rows['audits']} audits, {rows['items']} item rows, {rows['dealers']} dealer "
              f"rows, {rows['gaps']} gap rows ({sum(rows.values())} rows)")
        print(f"  prepare (load + figures) {timed['prepare_s']:.2f} s ({timed['prepare_cpu']:.2f} s CPU), "
              f"tracemalloc peak {traced['prepare_peak'] / MIB:.1f} MiB, RSS +{timed['prepare_rss'] / MIB:.1f} MiB")
        print(f"  xlsx  {timed['xlsx_s']:.2f} s ({timed['xlsx_cpu']:.2f} s CPU), {timed['xlsx_bytes'] / 1024:.0f} KiB; "
              f"writing adds: tracemalloc "
              f"peak {traced['xlsx_peak'] / MIB:.2f} MiB, RSS peak +{timed['xlsx_rss'] / MIB:.1f} MiB")
        print(f"  csv   {timed['csv_s']:.2f} s ({timed['csv_cpu']:.2f} s CPU), {timed['csv_bytes'] / 1024:.0f} KiB "
              f"(4 sheets); writing adds: "
              f"tracemalloc peak {traced['csv_peak'] / MIB:.2f} MiB, RSS peak +{timed['csv_rss'] / MIB:.1f} MiB")
        sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="12,50", help="dealers per region (4 regions), comma-separated")
    parser.add_argument("--program", default="sales_visit")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # a single size, in this process
    args = parser.parse_args()
    if args.one is not None:
        one_size(args.one, args.program)
        return
    for size in (int(s) for s in args.sizes.split(",")):
        subprocess.run([sys.executable, __file__, "--one", str(size), "--program", args.program], check=True,
                       env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [
                           str(Path(__file__).resolve().parents[1]), os.environ.get("PYTHONPATH")]))})


if __name__ == "__main__":
    main()
