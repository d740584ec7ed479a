"""Where evidence files and rendered PDFs are kept (DESIGN 10): one small interface, two backends.

- `LocalFolderStore`: a folder on this machine (the default: the instance folder's `attachments/` and
  `reports/`, exactly the paths used before this interface existed, so existing folders keep working).
- `S3Store`: a bucket of S3-compatible object storage (AWS S3, MinIO, Alibaba OSS's S3 API), shared by
  every API node and worker.

Objects are named by keys that the callers derive from content hashes (`ab/cd/<sha256>`), so a key's
bytes never change: putting a key that exists is a no-op, and a copy left behind by a rolled-back
request is harmless. Each store is one namespace (`attachments`, `reports`): a folder of its own on
disk, a key prefix of its own in the bucket.

The folder settings (`ATTACHMENT_DIR`, `REPORT_DIR`) name the stores: code that builds a store from
the folder setting (`resolve(config["ATTACHMENT_DIR"], ...)`) gets the configured backend, local or S3.
"""
from __future__ import annotations

import errno
import hashlib
import logging
import os
import shutil
import string
import tempfile
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from .errors import ServiceUnavailable

log = logging.getLogger(__name__)

BACKENDS = ("local", "s3")
NAMESPACES = ("attachments", "reports")
ADDRESSING_STYLES = ("auto", "path", "virtual")
CHUNK = 1024 * 1024
# Seconds a client is asked to wait before retrying when the object store cannot be reached.
STORAGE_RETRY_AFTER_S = 5
# S3 multipart: parts of 8 MiB from a file on disk, read part by part (never the whole file in memory).
MULTIPART_THRESHOLD = 8 * 1024 * 1024
MULTIPART_CHUNK = 8 * 1024 * 1024


class Readable(Protocol):
    def read(self, n: int = -1, /) -> bytes: ...


class MissingObject(LookupError):
    """No object under this key."""


def unavailable() -> ServiceUnavailable:
    return ServiceUnavailable("storage.unavailable", STORAGE_RETRY_AFTER_S)


class Reader:
    """An object opened for streamed reading: `read(n)`, iteration by chunks, its size, `close()`."""

    def __init__(self, raw: Any, size: int, on_error: type[BaseException] | tuple[type[BaseException], ...] = ()):
        self.raw, self.size, self._errors = raw, size, on_error

    def read(self, n: int = -1) -> bytes:
        try:
            return bytes(self.raw.read(n) if n >= 0 else self.raw.read())
        except self._errors as error:
            log.warning("reading a stored object failed: %r", error)
            raise unavailable() from error

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self.read(CHUNK):
            yield chunk

    def close(self) -> None:
        self.raw.close()

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ObjectStore(ABC):
    """Objects by key. Keys are relative paths of `[A-Za-z0-9._-]` parts (`ab/cd/<sha256>`)."""

    backend: str
    # Where uploads are spooled before they are kept: a local folder of this machine.
    spool_dir: Path

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def size(self, key: str) -> int:
        """Bytes of the object; MissingObject when there is none."""

    @abstractmethod
    def put_file(self, key: str, path: Path, *, sha256: str, content_type: str) -> bool:
        """Store the local file `path` (whose SHA-256 the caller has computed) under `key`; False when the
        key already held it. The file may be moved: the caller deletes `path` afterwards if it still exists."""

    @abstractmethod
    def put_stream(self, key: str, stream: Readable, *, sha256: str, content_type: str) -> bool:
        """Store what `stream` reads (of known SHA-256) under `key`; False when the key already held it."""

    def put_bytes(self, key: str, data: bytes, *, content_type: str) -> bool:
        import io

        return self.put_stream(key, io.BytesIO(data), sha256=hashlib.sha256(data).hexdigest(),
                               content_type=content_type)

    @abstractmethod
    def open(self, key: str) -> Reader:
        """The object for streamed reading; MissingObject when there is none."""

    def read_bytes(self, key: str) -> bytes:
        with self.open(key) as reader:
            return reader.read()

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove the object (nothing happens when there is none)."""

    def local_path(self, key: str) -> Path | None:
        """The object's file on this machine, if it is one (the folder backend), else None."""
        return None

    def presigned_url(self, key: str, *, expires: int, content_type: str, download_name: str) -> str | None:
        """A URL that lets its holder read the object for `expires` seconds; None where not supported."""
        return None

    @contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        """A file on this machine with the object's bytes, for as long as the block runs (Pillow needs one)."""
        path = self.local_path(key)
        if path is not None:
            yield path
            return
        self.spool_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=self.spool_dir)
        try:
            with os.fdopen(fd, "wb") as out, self.open(key) as reader:
                for chunk in reader:
                    out.write(chunk)
            yield Path(name)
        finally:
            Path(name).unlink(missing_ok=True)

    @abstractmethod
    def check(self) -> None:
        """Raise when the store cannot be used (the health check)."""

    @abstractmethod
    def describe(self, key: str) -> str:
        """Where the object is, for log lines."""


KEY_CHARACTERS = frozenset(string.ascii_letters + string.digits + "._-")


def check_key(key: str) -> str:
    parts = key.split("/")
    if not key or any(part in ("", ".", "..") or not set(part) <= KEY_CHARACTERS for part in parts):
        raise ValueError(f"not a storage key: {key!r}")
    return key


class LocalFolderStore(ObjectStore):
    """Objects as files under a folder: `<root>/<key>`. A file is written under a temporary name beside
    its final place and renamed, so a reader never sees half a file."""

    backend = "local"

    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root)
        self.spool_dir = self.root / "incoming"

    def path(self, key: str) -> Path:
        return self.root / check_key(key)

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def size(self, key: str) -> int:
        try:
            return self.path(key).stat().st_size
        except FileNotFoundError:
            raise MissingObject(key) from None

    def put_file(self, key: str, path: Path, *, sha256: str, content_type: str) -> bool:
        final = self.path(key)
        if final.is_file():
            return False
        final.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(path, final)
        except OSError as error:
            if error.errno != errno.EXDEV:
                raise
            with path.open("rb") as stream:  # another file system: copy, then rename beside the target
                return self.put_stream(key, stream, sha256=sha256, content_type=content_type)
        return True

    def put_stream(self, key: str, stream: Readable, *, sha256: str, content_type: str) -> bool:
        final = self.path(key)
        if final.is_file():
            return False
        final.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=final.parent, suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out:
                shutil.copyfileobj(stream, out, CHUNK)
                out.flush()
                os.fsync(out.fileno())
            os.replace(name, final)
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise
        return True

    def open(self, key: str) -> Reader:
        try:
            f = self.path(key).open("rb")
        except (FileNotFoundError, IsADirectoryError):
            raise MissingObject(key) from None
        return Reader(f, os.fstat(f.fileno()).st_size)

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def local_path(self, key: str) -> Path | None:
        path = self.path(key)
        return path if path.is_file() else None

    def check(self) -> None:
        """Nothing to reach: a folder of this machine (created when the first file is kept)."""

    def describe(self, key: str) -> str:
        return str(self.path(key))


class S3Store(ObjectStore):
    """Objects in an S3-compatible bucket under `prefix` (e.g. `auditapp/attachments/`)."""

    backend = "s3"

    def __init__(self, settings: Mapping[str, Any], bucket: str, prefix: str, spool_dir: Path):
        from botocore.exceptions import BotoCoreError, ClientError

        self.settings, self.bucket, self.prefix = dict(settings), bucket, prefix
        self.spool_dir = spool_dir
        self._client_error = ClientError
        # Faults of the connection or the service (not "no such key"): the request may be retried later.
        self._transient = (BotoCoreError, ClientError)

    @property
    def client(self) -> Any:
        return s3_client(self.settings)

    @property
    def presign_client(self) -> Any:
        # Presigned URLs name the host their holder will ask: the public endpoint when the app reaches the
        # store by an internal address (the signature covers the host, so a URL cannot be rewritten).
        return s3_client(self.settings, self.settings.get("S3_PRESIGN_ENDPOINT_URL") or None)

    def object_key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def _missing(self, error: Exception) -> bool:
        if not isinstance(error, self._client_error):
            return False
        code = str(error.response.get("Error", {}).get("Code", ""))
        return code in ("404", "NoSuchKey", "NotFound")

    def _head(self, key: str) -> dict[str, Any] | None:
        try:
            head: dict[str, Any] = self.client.head_object(Bucket=self.bucket, Key=self.object_key(key))
        except self._transient as error:
            if self._missing(error):
                return None
            log.warning("object storage: HEAD %s failed: %r", self.describe(key), error)
            raise unavailable() from error
        return head

    def exists(self, key: str) -> bool:
        return self._head(key) is not None

    def size(self, key: str) -> int:
        head = self._head(key)
        if head is None:
            raise MissingObject(key)
        return int(head["ContentLength"])

    def _extra(self, sha256: str, content_type: str) -> dict[str, Any]:
        # The hash travels with the object, so a listing of the bucket (backups) can be checked on its own.
        return {"ContentType": content_type, "Metadata": {"sha256": sha256}}

    def _transfer(self) -> Any:
        from boto3.s3.transfer import TransferConfig

        return TransferConfig(multipart_threshold=MULTIPART_THRESHOLD, multipart_chunksize=MULTIPART_CHUNK,
                              max_concurrency=2)

    def put_file(self, key: str, path: Path, *, sha256: str, content_type: str) -> bool:
        if self.exists(key):
            return False
        try:
            self.client.upload_file(str(path), self.bucket, self.object_key(key),
                                    ExtraArgs=self._extra(sha256, content_type), Config=self._transfer())
        except self._transient as error:
            log.warning("object storage: upload of %s failed: %r", self.describe(key), error)
            raise unavailable() from error
        return True

    def put_stream(self, key: str, stream: Readable, *, sha256: str, content_type: str) -> bool:
        if self.exists(key):
            return False
        try:
            self.client.upload_fileobj(stream, self.bucket, self.object_key(key),
                                       ExtraArgs=self._extra(sha256, content_type), Config=self._transfer())
        except self._transient as error:
            log.warning("object storage: upload of %s failed: %r", self.describe(key), error)
            raise unavailable() from error
        return True

    def open(self, key: str) -> Reader:
        try:
            found = self.client.get_object(Bucket=self.bucket, Key=self.object_key(key))
        except self._transient as error:
            if self._missing(error):
                raise MissingObject(key) from None
            log.warning("object storage: GET %s failed: %r", self.describe(key), error)
            raise unavailable() from error
        return Reader(found["Body"], int(found["ContentLength"]), self._transient)

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self.object_key(key))
        except self._transient as error:
            log.warning("object storage: DELETE %s failed: %r", self.describe(key), error)
            raise unavailable() from error

    def presigned_url(self, key: str, *, expires: int, content_type: str, download_name: str) -> str | None:
        # Signed here, without a request: the response headers the app would have sent are part of the URL.
        url: str = self.presign_client.generate_presigned_url("get_object", ExpiresIn=expires, Params={
            "Bucket": self.bucket, "Key": self.object_key(key), "ResponseContentType": content_type,
            "ResponseContentDisposition": f'inline; filename="{download_name}"',
            "ResponseCacheControl": f"private, max-age={expires}"})
        return url

    def check(self) -> None:
        self.client.head_bucket(Bucket=self.bucket)

    def describe(self, key: str) -> str:
        return f"s3://{self.bucket}/{self.prefix}{key}"


# --- configuration ----------------------------------------------------------------------------------------

class StorageConfigError(ValueError):
    """The storage settings cannot work (told at start-up, not at the first upload)."""


S3_SETTINGS = ("S3_ENDPOINT_URL", "S3_REGION", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY", "S3_ADDRESSING_STYLE",
               "S3_CONNECT_TIMEOUT_SECONDS", "S3_PRESIGN_ENDPOINT_URL")
_clients: dict[tuple[Any, ...], Any] = {}
_clients_lock = threading.Lock()
# The stores of the configured apps by the folder that names them (see the module's docstring).
_by_folder: dict[tuple[str, str], ObjectStore] = {}


def s3_client(config: Mapping[str, Any], endpoint_url: str | None = None) -> Any:
    """One boto3 client per set of settings and process (clients are thread-safe and slow to make)."""
    endpoint = endpoint_url or config.get("S3_ENDPOINT_URL") or None
    settings = (endpoint, config.get("S3_REGION") or None, config.get("S3_ACCESS_KEY_ID") or None,
                config.get("S3_SECRET_ACCESS_KEY") or None, config.get("S3_ADDRESSING_STYLE") or "auto",
                float(config.get("S3_CONNECT_TIMEOUT_SECONDS") or 5), os.getpid())
    with _clients_lock:
        client = _clients.get(settings)
        if client is None:
            import boto3
            from botocore.config import Config

            client = boto3.session.Session().client(
                "s3", endpoint_url=settings[0], region_name=settings[1], aws_access_key_id=settings[2],
                aws_secret_access_key=settings[3],
                config=Config(signature_version="s3v4", s3={"addressing_style": settings[4]},
                              connect_timeout=settings[5], read_timeout=60,
                              retries={"mode": "standard", "max_attempts": 3},
                              # S3-compatible services (OSS, older MinIO) refuse the CRC checksums that
                              # recent boto3 sends by default: only where the API requires them.
                              request_checksum_calculation="when_required",
                              response_checksum_validation="when_required"))
            _clients[settings] = client
    return client


def validate(config: Mapping[str, Any]) -> None:
    backend = config.get("STORAGE") or "local"
    if backend not in BACKENDS:
        raise StorageConfigError(f"STORAGE must be one of {', '.join(BACKENDS)}, not {backend!r}")
    if backend == "s3":
        if not config.get("S3_BUCKET"):
            raise StorageConfigError("STORAGE = s3 needs S3_BUCKET (AUDITAPP_S3_BUCKET)")
        style = config.get("S3_ADDRESSING_STYLE") or "auto"
        if style not in ADDRESSING_STYLES:
            raise StorageConfigError(f"S3_ADDRESSING_STYLE must be one of {', '.join(ADDRESSING_STYLES)}, "
                                     f"not {style!r}")
        if int(config.get("S3_PRESIGNED_EXPIRY_SECONDS") or 0) not in range(1, 7 * 24 * 3600 + 1):
            raise StorageConfigError("S3_PRESIGNED_EXPIRY_SECONDS must be 1 to 604800 (7 days, S3's maximum)")


def store_for(config: Mapping[str, Any], namespace: str) -> ObjectStore:
    """The configured store of a namespace (`attachments`: ATTACHMENT_DIR, `reports`: REPORT_DIR)."""
    if namespace not in NAMESPACES:
        raise ValueError(f"unknown storage namespace {namespace!r}")
    folder = Path(config["ATTACHMENT_DIR"] if namespace == "attachments" else config["REPORT_DIR"])
    if (config.get("STORAGE") or "local") == "local":
        return LocalFolderStore(folder)
    prefix = (config.get("S3_PREFIX") or "").strip("/")
    prefix = f"{prefix}/" if prefix else ""
    settings = {key: config.get(key) for key in S3_SETTINGS}
    # Uploads are spooled on this machine's disk, in the attachments folder's spool area as before.
    return S3Store(settings, config["S3_BUCKET"], f"{prefix}{namespace}/", Path(config["ATTACHMENT_DIR"]) / "incoming")


def configure(config: Mapping[str, Any]) -> None:
    """Check the settings and make the app's stores the ones its folder settings name."""
    validate(config)
    for namespace in NAMESPACES:
        store = store_for(config, namespace)
        folder = config["ATTACHMENT_DIR"] if namespace == "attachments" else config["REPORT_DIR"]
        _by_folder[(str(Path(folder)), namespace)] = store


def resolve(where: str | os.PathLike[str] | ObjectStore, namespace: str) -> ObjectStore:
    """A store given as itself, or named by its folder setting: the configured backend of the app whose
    setting it is, else that folder on this machine."""
    if isinstance(where, ObjectStore):
        return where
    return _by_folder.get((str(Path(where)), namespace)) or LocalFolderStore(where)
