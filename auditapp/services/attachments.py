"""Evidence files (DESIGN 5): uploaded with their SHA-256, verified, sniffed, decoded, stored once by hash.

A photo is stored twice: the original, whose hash the shopper declared (the agency's copy), and a
re-encoded copy without any metadata, made at upload, that everyone else receives (DESIGN 7; see
`photos.py`). `access.receives_original` decides which copy a user gets.

Files live on local disk under ATTACHMENT_DIR as ab/cd/<sha256>; a file is written to a temporary name
beside them and renamed, so a reader never sees half a file. Being content-addressed, one file serves
every audit that holds the same bytes, and a file left behind by a rolled-back request is harmless.
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..errors import InvalidInput, NotFound, PayloadTooLarge, UnsupportedMediaType
from ..messages import Message
from ..models import Attachment, Audit, User
from . import access, photos
from .audits import get_audit
from .shopper import ensure_editable

log = logging.getLogger(__name__)

SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
CHUNK = 1024 * 1024
HEAD = 32  # enough bytes for every signature below
HEIC_BRANDS = (b"heic", b"heix", b"mif1", b"msf1", b"hevc")
EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/heic": ".heic", "application/pdf": ".pdf",
              "audio/mp4": ".m4a"}


def sniff_type(head: bytes) -> str | None:
    """The real content type from the file's first bytes, whatever the client declared; None if not allowed."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in HEIC_BRANDS:
            return "image/heic"
        if brand == b"M4A ":
            return "audio/mp4"
    return None


@dataclass(frozen=True)
class Received:
    """An upload written to a temporary file, not yet kept."""
    temp_path: Path
    sha256: str
    size: int
    head: bytes


class FileStore:
    """Local-disk storage by content hash."""

    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root)

    def path_of(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def receive(self, stream: BinaryIO, max_bytes: int) -> Received:
        """Copy the stream to a temporary file, hashing it; refuse it as soon as it exceeds max_bytes."""
        incoming = self.root / "incoming"
        incoming.mkdir(parents=True, exist_ok=True)
        digest, size, head = hashlib.sha256(), 0, b""
        fd, name = tempfile.mkstemp(dir=incoming)
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if size > max_bytes:
                        raise PayloadTooLarge("attachment.file_too_large",
                                              {"file": [Message("attachment.at_most_bytes", max=max_bytes)]},
                                              limit=_size(max_bytes))
                    if len(head) < HEAD:
                        head += chunk[:HEAD - len(head)]
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            os.unlink(name)
            raise
        return Received(Path(name), digest.hexdigest(), size, head)

    def keep(self, received: Received) -> None:
        final = self.path_of(received.sha256)
        if final.exists():
            self.discard(received)  # the same bytes are already stored (another audit, an earlier try)
            return
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(received.temp_path, final)

    def put(self, data: bytes) -> str:
        """Store bytes made here (a stripped copy); their SHA-256."""
        sha = hashlib.sha256(data).hexdigest()
        if self.path_of(sha).exists():
            return sha
        incoming = self.root / "incoming"
        incoming.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=incoming)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            self.keep(Received(Path(name), sha, len(data), data[:HEAD]))
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise
        return sha

    def discard(self, received: Received) -> None:
        received.temp_path.unlink(missing_ok=True)


def upload(session: Session, user: User, audit_id: uuid.UUID, *, stream: BinaryIO, sha256: str,
           filename: str | None, store: FileStore, max_bytes: int) -> tuple[Attachment, bool]:
    """Store an evidence file for an audit; (attachment, created). The same hash again is a no-op."""
    access.require_evidence_role(user)
    audit = get_audit(session, user, audit_id)
    if user.role == "shopper":
        ensure_editable(audit)
    declared = sha256.lower()
    received = store.receive(stream, max_bytes)
    try:
        if received.sha256 != declared:
            raise InvalidInput("attachment.sha256_mismatch", {"sha256": [Message(
                "attachment.sha256_declared_received", declared=declared, received=received.sha256)]})
        content_type = sniff_type(received.head)
        if content_type is None:
            raise UnsupportedMediaType("attachment.unsupported_type",
                                       {"file": [Message("attachment.unsupported_type_field")]})
        existing = _find(session, audit.id, declared)
        if existing is not None:
            store.discard(received)
            return existing, False
        found = photos.inspect(received.temp_path, content_type, audit.dealer.timezone)
        stripped_sha = store.put(found.stripped.data) if found.stripped is not None else None
        store.keep(received)
    except BaseException:
        store.discard(received)
        raise
    attachment = Attachment(audit_id=audit.id, sha256=declared, size=received.size, content_type=content_type,
                            filename=filename[-255:] if filename else None, uploaded_by_id=user.id,
                            captured_at=found.captured_at,
                            capture_latitude=found.position[0] if found.position else None,
                            capture_longitude=found.position[1] if found.position else None)
    if found.stripped is not None:
        attachment.stripped_sha256 = stripped_sha
        attachment.stripped_size = len(found.stripped.data)
        attachment.stripped_content_type = found.stripped.content_type
    try:
        with session.begin_nested():
            session.add(attachment)
    except IntegrityError:
        # The same file arrived twice at once: the other request stored it; this one is the re-upload.
        existing = _find(session, audit.id, declared)
        if existing is None:
            raise
        return existing, False
    return attachment, True


@dataclass(frozen=True)
class Download:
    """The copy of an attachment a user receives: a stored file, or bytes made for this request."""
    sha256: str  # of the bytes served
    content_type: str
    path: Path | None = None
    data: bytes | None = None

    @property
    def download_name(self) -> str:
        return self.sha256 + EXTENSIONS[self.content_type]


def find_for_download(session: Session, user: User, audit_id: uuid.UUID, sha256: str,
                      store: FileStore) -> Download:
    """The original for whom `access.receives_original` allows it, the metadata-free copy for everyone else."""
    audit = get_audit(session, user, audit_id)
    sha = sha256.lower()
    attachment = _find(session, audit.id, sha) if SHA256_HEX.match(sha) else None
    if attachment is None or not access.can_see_attachment(user, audit, attachment):
        raise NotFound("attachment.no_such_attachment")
    original = _stored(store, audit.id, sha)
    if access.receives_original(user, attachment) or attachment.content_type not in photos.IMAGE_FORMATS:
        return Download(sha, attachment.content_type, path=original)
    if attachment.stripped_sha256 is not None and attachment.stripped_content_type is not None:
        return Download(attachment.stripped_sha256, attachment.stripped_content_type,
                        path=_stored(store, audit.id, attachment.stripped_sha256))
    # Photos uploaded before copies were made at upload: made for this request, never the original.
    copy = photos.strip_file(original, attachment.content_type)
    return Download(hashlib.sha256(copy.data).hexdigest(), copy.content_type, data=copy.data)


def visible_attachments(session: Session, user: User, audit: Audit) -> dict[str, Attachment]:
    """The audit's evidence files the user may see, by the SHA-256 they are asked for by."""
    rows = session.scalars(select(Attachment).where(Attachment.audit_id == audit.id).order_by(Attachment.id))
    return {a.sha256: a for a in rows if access.can_see_attachment(user, audit, a)}


def _stored(store: FileStore, audit_id: uuid.UUID, sha: str) -> Path:
    path = store.path_of(sha)
    if not path.is_file():
        log.error("file %s of an attachment of audit %s is missing from %s", sha, audit_id, store.root)
        raise NotFound("attachment.file_missing")
    return path


def _find(session: Session, audit_id: uuid.UUID, sha256: str) -> Attachment | None:
    return session.scalar(select(Attachment).where(Attachment.audit_id == audit_id, Attachment.sha256 == sha256))


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):g} MiB" if n >= 1024 * 1024 else Message("attachment.bytes", n=n)

