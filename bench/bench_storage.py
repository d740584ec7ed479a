"""Benchmark: a 15 MB evidence photo uploaded and downloaded through the API, on the folder backend and on
S3 (moto's standalone S3 server on 127.0.0.1: no real S3 here, so S3 times say little about a real store).

For each backend it prints the time of the upload request and of a streamed download, and the peak of
Python memory allocated while the server handled each (tracemalloc, above what the client had built),
which shows whether the file sat in memory whole: the target is well under the file's size.

    python bench/bench_storage.py [--megabytes 15] [--runs 3]
"""
from __future__ import annotations

import argparse
import hashlib
import io
import socket
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from werkzeug.test import EnvironBuilder, run_wsgi_app  # noqa: E402

from auditapp import create_app  # noqa: E402
from auditapp.checklists import load_directory  # noqa: E402
from auditapp.extensions import db  # noqa: E402
from auditapp.models import ApiToken, Dealer, Region, Wave, utcnow  # noqa: E402
from auditapp.services.assignments import assign  # noqa: E402
from auditapp.services.auth import token_hash  # noqa: E402
from auditapp.services.checklists import store_checklists  # noqa: E402
from auditapp.services.users import create_user  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def big_jpeg(megabytes: int) -> bytes:
    """A decodable 64×64 JPEG padded after its end marker to the size of a large phone photo."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 64), (120, 80, 40)).save(out, "JPEG", quality=90)
    data = out.getvalue()
    return data + b"\x00" * (megabytes * 1024 * 1024 - len(data))


def seed(app: Any) -> tuple[str, str]:
    """An audit assigned to a shopper; (audit id, the shopper's bearer token)."""
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        session = db.session()
        store_checklists(session, load_directory(ROOT / "checklists"))
        region = Region(code="EA", name_zh="华东", name_en="East")
        session.add(region)
        session.flush()
        dealer = Dealer(region_id=region.id, code="EA01", name_zh="店", name_en="Dealer", address="x",
                        latitude=31.2, longitude=121.4, timezone="Asia/Shanghai")
        wave = Wave(code="2026-Q3", title_zh="三季度", title_en="Q3", starts_on=date(2026, 7, 1),
                    ends_on=date(2026, 9, 30))
        session.add_all([dealer, wave])
        session.flush()
        qa = create_user(session, email="qa@bench.example", password="a long bench password", role="qa")
        shopper = create_user(session, email="s@bench.example", password="a long bench password", role="shopper")
        audit = assign(session, qa, dealer_id=dealer.id, wave_id=wave.id,
                       checklist={"key": "sales_visit", "version": 1}, shopper_id=shopper.id,
                       visit_window_start=date(2026, 8, 1), visit_window_end=date(2026, 8, 10), rotation_days=60)
        token = "bench-token-" + hashlib.sha256(str(audit.id).encode()).hexdigest()[:16]
        session.add(ApiToken(token_hash=token_hash(token), user_id=shopper.id,
                             expires_at=utcnow() + timedelta(hours=1)))
        session.commit()
        return str(audit.id), token


def measured(app: Any, environ: dict[str, Any]) -> tuple[int, float, int]:
    """(status, seconds, peak bytes allocated) of the server handling one request, body read in chunks."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    started = time.perf_counter()
    body, status, _ = run_wsgi_app(app.wsgi_app, environ)
    received = 0
    for chunk in body:
        received += len(chunk)  # the client reads and drops each chunk, as a socket would
    close = getattr(body, "close", None)
    if close:
        close()
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return int(status.split()[0]), seconds, peak


def bench(backend: str, settings: dict[str, Any], photo: bytes, runs: int) -> dict[str, list[float]]:
    folder = Path(tempfile.mkdtemp(prefix=f"bench-storage-{backend}-"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.db'}", "SECRET_KEY": "bench",
                      "ATTACHMENT_DIR": str(folder / "att"), "REPORT_DIR": str(folder / "rep"),
                      "MAX_ATTACHMENT_BYTES": len(photo) + 1024, **settings})
    audit_id, token = seed(app)
    figures: dict[str, list[float]] = {"upload_s": [], "upload_peak_mb": [], "download_s": [], "download_peak_mb": []}
    headers = {"Authorization": f"Bearer {token}"}
    for run in range(runs):
        data = photo[:-8] + run.to_bytes(8, "big")  # a new file each run: a real upload, not a re-upload
        sha = hashlib.sha256(data).hexdigest()
        environ = EnvironBuilder(path=f"/api/v1/audits/{audit_id}/attachments", method="POST", headers=headers,
                                 data={"sha256": sha, "file": (io.BytesIO(data), "photo.jpg", "image/jpeg")}
                                 ).get_environ()
        status, seconds, peak = measured(app, environ)
        assert status == 201, status
        figures["upload_s"].append(seconds)
        figures["upload_peak_mb"].append(peak / 2**20)
        environ = EnvironBuilder(path=f"/api/v1/audits/{audit_id}/attachments/{sha}", headers=headers).get_environ()
        status, seconds, peak = measured(app, environ)
        assert status == 200, status
        figures["download_s"].append(seconds)
        figures["download_peak_mb"].append(peak / 2**20)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--megabytes", type=int, default=15)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    import subprocess

    import boto3

    port = free_port()
    # In a process of its own, so that what moto allocates (it keeps objects in memory) is not counted.
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        endpoint = f"http://127.0.0.1:{port}"
        credentials = {"aws_access_key_id": "bench", "aws_secret_access_key": "bench", "region_name": "us-east-1"}
        client = boto3.client("s3", endpoint_url=endpoint, **credentials)
        for _ in range(100):
            try:
                client.create_bucket(Bucket="bench")
                break
            except Exception:  # noqa: BLE001  (not listening yet)
                time.sleep(0.1)
        s3 = {"STORAGE": "s3", "S3_BUCKET": "bench", "S3_ENDPOINT_URL": endpoint, "S3_REGION": "us-east-1",
              "S3_ACCESS_KEY_ID": "bench", "S3_SECRET_ACCESS_KEY": "bench", "S3_ADDRESSING_STYLE": "path"}
        photo = big_jpeg(args.megabytes)
        results = {backend: {k: statistics.median(v) for k, v in bench(backend, settings, photo, args.runs).items()}
                   for backend, settings in (("local", {}), ("s3", s3))}
    finally:
        server.terminate()
        server.wait(10)
    print(f"a {args.megabytes} MB JPEG, median of {args.runs} runs; peak = Python memory the server "
          f"allocated while handling the request")
    print(f"{'backend':<8} {'upload':>9} {'peak':>9} {'download':>9} {'peak':>9}")
    for backend, med in results.items():
        print(f"{backend:<8} {med['upload_s']:>7.3f} s {med['upload_peak_mb']:>6.1f} MB "
              f"{med['download_s']:>7.3f} s {med['download_peak_mb']:>6.1f} MB")

if __name__ == "__main__":
    main()
