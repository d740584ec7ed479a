"""The object-store contract (auditapp/storage.py), the same tests on the folder backend and on S3 (moto's
S3 server): put with a known hash, dedupe, streamed reads, missing objects, sizes, deletes."""
from __future__ import annotations

import hashlib
import os
import urllib.request
from pathlib import Path

import pytest
from fixtures.object_storage import bucket_keys, free_port, s3_settings

from auditapp import storage
from auditapp.errors import ServiceUnavailable

KEY = "ab/cd/abcdef0123"


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path) -> storage.ObjectStore:
    config = {"ATTACHMENT_DIR": str(tmp_path / "attachments"), "REPORT_DIR": str(tmp_path / "reports")}
    if request.param == "s3":
        config |= s3_settings(request.getfixturevalue("s3_endpoint"), request.getfixturevalue("s3_bucket"))
    return storage.store_for(config, "attachments")


def file_of(folder: Path, data: bytes) -> Path:
    path = folder / "upload.bin"
    path.write_bytes(data)
    return path


def test_a_file_put_under_its_key_reads_back_in_chunks(store, tmp_path):
    data = os.urandom(3 * storage.CHUNK + 17)  # several chunks, the last one short
    assert not store.exists(KEY)
    assert store.put_file(KEY, file_of(tmp_path, data), sha256=hashlib.sha256(data).hexdigest(),
                          content_type="image/jpeg") is True
    assert store.exists(KEY) and store.size(KEY) == len(data)
    with store.open(KEY) as reader:
        assert reader.size == len(data)
        chunks = list(reader)
    assert [len(c) for c in chunks] == [storage.CHUNK] * 3 + [17]
    assert b"".join(chunks) == data


def test_the_same_key_again_is_a_no_op(store, tmp_path):
    data = b"first bytes"
    sha = hashlib.sha256(data).hexdigest()
    assert store.put_file(KEY, file_of(tmp_path, data), sha256=sha, content_type="image/png") is True
    # Content-addressed: a second put of the key stores nothing, whatever it carries.
    assert store.put_file(KEY, file_of(tmp_path, b"other"), sha256=sha, content_type="image/png") is False
    assert store.put_bytes(KEY, b"other", content_type="image/png") is False
    assert store.read_bytes(KEY) == data


def test_put_bytes_and_delete(store):
    assert store.put_bytes("x1/report.pdf", b"%PDF-1.4 tiny", content_type="application/pdf") is True
    assert store.read_bytes("x1/report.pdf") == b"%PDF-1.4 tiny"
    store.delete("x1/report.pdf")
    assert not store.exists("x1/report.pdf")
    store.delete("x1/report.pdf")  # deleting what is not there is fine


def test_a_missing_object(store):
    with pytest.raises(storage.MissingObject):
        store.open("no/such/object")
    with pytest.raises(storage.MissingObject):
        store.size("no/such/object")
    assert store.exists("no/such/object") is False


def test_a_photo_larger_than_a_multipart_part_is_stored_whole(store, tmp_path):
    data = os.urandom(15 * 1024 * 1024)  # MAX_ATTACHMENT_BYTES: two 8 MiB parts in S3
    sha = hashlib.sha256(data).hexdigest()
    assert store.put_file(KEY, file_of(tmp_path, data), sha256=sha, content_type="image/jpeg")
    digest = hashlib.sha256()
    with store.open(KEY) as reader:
        for chunk in reader:
            digest.update(chunk)
    assert digest.hexdigest() == sha


def test_a_local_copy_for_pillow(store):
    store.put_bytes(KEY, b"pixels", content_type="image/png")
    with store.local_copy(KEY) as path:
        assert path.read_bytes() == b"pixels"
    if store.backend == "s3":
        assert not path.exists()  # the temporary copy is gone


@pytest.mark.parametrize("key", ["", "../etc/passwd", "a//b", "/abs", "a/../b", "a b", "caf\u00e9"])
def test_keys_cannot_leave_the_store(store, key):
    with pytest.raises(ValueError):
        store.exists(key)


# --- what only one backend does --------------------------------------------------------------------------

def test_the_folder_backend_keeps_the_paths_used_before(tmp_path):
    store = storage.LocalFolderStore(tmp_path)
    store.put_bytes("ab/cd/abcd99", b"x", content_type="image/png")
    assert (tmp_path / "ab" / "cd" / "abcd99").read_bytes() == b"x"
    assert store.local_path("ab/cd/abcd99") == tmp_path / "ab" / "cd" / "abcd99"
    assert [p.name for p in (tmp_path / "ab" / "cd").iterdir()] == ["abcd99"]  # no temporary file left
    assert store.presigned_url("ab/cd/abcd99", expires=60, content_type="image/png", download_name="x.png") is None


def test_s3_keys_carry_the_prefix_and_namespace_and_the_hash_as_metadata(s3_endpoint, s3_bucket, tmp_path):
    config = {"ATTACHMENT_DIR": str(tmp_path / "a"), "REPORT_DIR": str(tmp_path / "r"),
              **s3_settings(s3_endpoint, s3_bucket)}
    data = b"evidence"
    sha = hashlib.sha256(data).hexdigest()
    storage.store_for(config, "attachments").put_bytes(f"{sha[:2]}/{sha[2:4]}/{sha}", data, content_type="image/png")
    storage.store_for(config, "reports").put_bytes(f"{sha[:2]}/{sha}.pdf", data, content_type="application/pdf")
    assert bucket_keys(s3_endpoint, s3_bucket) == [f"auditapp/attachments/{sha[:2]}/{sha[2:4]}/{sha}",
                                                   f"auditapp/reports/{sha[:2]}/{sha}.pdf"]
    store = storage.store_for(config, "attachments")
    head = store.client.head_object(Bucket=s3_bucket, Key=f"auditapp/attachments/{sha[:2]}/{sha[2:4]}/{sha}")
    assert head["Metadata"] == {"sha256": sha} and head["ContentType"] == "image/png"


def test_a_presigned_url_reads_the_object_without_credentials(s3_endpoint, s3_bucket, tmp_path):
    config = {"ATTACHMENT_DIR": str(tmp_path / "a"), "REPORT_DIR": str(tmp_path / "r"),
              **s3_settings(s3_endpoint, s3_bucket)}
    store = storage.store_for(config, "attachments")
    store.put_bytes(KEY, b"the photo", content_type="image/jpeg")
    url = store.presigned_url(KEY, expires=60, content_type="image/jpeg", download_name="p.jpg")
    assert url is not None and url.startswith(s3_endpoint) and "X-Amz-Signature=" in url
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.read() == b"the photo"
        assert response.headers["Content-Type"] == "image/jpeg"


def test_an_unreachable_endpoint_is_service_unavailable(tmp_path, s3_bucket):
    config = {"ATTACHMENT_DIR": str(tmp_path / "a"), "REPORT_DIR": str(tmp_path / "r"),
              **s3_settings(f"http://127.0.0.1:{free_port()}", s3_bucket, S3_CONNECT_TIMEOUT_SECONDS=0.5)}
    store = storage.store_for(config, "attachments")
    with pytest.raises(ServiceUnavailable) as refused:
        store.exists(KEY)
    assert refused.value.message.key == "storage.unavailable" and refused.value.retry_after > 0
    with pytest.raises(Exception):  # noqa: B017  (the health check: any error means down)
        store.check()


@pytest.mark.parametrize("settings,problem", [
    ({"STORAGE": "ftp"}, "STORAGE must be one of local, s3"),
    ({"STORAGE": "s3"}, "needs S3_BUCKET"),
    ({"STORAGE": "s3", "S3_BUCKET": "b", "S3_ADDRESSING_STYLE": "dns"}, "S3_ADDRESSING_STYLE"),
    ({"STORAGE": "s3", "S3_BUCKET": "b", "S3_PRESIGNED_EXPIRY_SECONDS": 0}, "S3_PRESIGNED_EXPIRY_SECONDS"),
])
def test_settings_that_cannot_work_are_refused_at_start_up(settings, problem):
    with pytest.raises(storage.StorageConfigError, match=problem):
        storage.validate({"S3_PRESIGNED_EXPIRY_SECONDS": 300, **settings})
