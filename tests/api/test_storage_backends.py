"""Evidence files and PDFs through the API on both storage backends (the folder, and S3 on moto's S3 server):
the same tests, the same answers. Then what only S3 does: presigned redirects, and the whole flow with
nothing written to the local folders."""
from __future__ import annotations

import io
import urllib.request
from contextlib import ExitStack
from pathlib import Path

import pytest
from fixtures.files import jpeg_bytes, png_bytes, sha256_of, upload
from fixtures.object_storage import bucket_keys, s3_settings
from PIL import ExifTags, Image
from sqlalchemy import func, select

from auditapp import create_app, storage
from auditapp.models import Attachment, Audit, ReportFile
from auditapp.services.attachments import key_of
from auditapp.services.reports import report_key

HASH = "a" * 64
PERFECT = {"greeted": {"value": "yes"}, "greet_seconds": {"value": 10},
           "written_quote": {"value": "yes", "attachments": [HASH]}, "pressure": {"value": 5}}


def s3_app(app, tmp_path: Path, endpoint: str, bucket: str, **more):
    """An app on the session's test database (the same rolled-back transaction: `db_session` binds the
    shared session) whose files are kept in `bucket`. Its own folders: the folder settings name the stores."""
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                       "SECRET_KEY": "test", "ATTACHMENT_DIR": str(tmp_path / "s3-attachments"),
                       "REPORT_DIR": str(tmp_path / "s3-reports"), "FONT_CACHE_DIR": app.config["FONT_CACHE_DIR"],
                       **s3_settings(endpoint, bucket), **more})


@pytest.fixture
def in_context():
    """Runs a second app's requests inside one app context of its own, as the session app's run inside
    `db_session`'s: a context ending after each request would end the shared session's objects too."""
    with ExitStack() as stack:
        def enter(other):
            stack.enter_context(other.app_context())
            return other
        yield enter


@pytest.fixture(params=["local", "s3"])
def backend(request, app, db_session, tmp_path, in_context):
    """(the app, its test client) on each backend."""
    if request.param == "local":
        return app, app.test_client()
    s3 = in_context(s3_app(app, tmp_path, request.getfixturevalue("s3_endpoint"),
                           request.getfixturevalue("s3_bucket")))
    return s3, s3.test_client()


def attachments_of(app) -> storage.ObjectStore:
    return storage.store_for(app.config, "attachments")


def get(client, headers, path: str):
    with client.get(path, headers=headers, buffered=False) as response:
        chunks = list(response.iter_encoded())
    response.chunks = chunks
    response.body = b"".join(chunks)
    return response


def publish(db_session, audit) -> None:
    db_session.get(Audit, audit.id).status = "published"
    db_session.commit()


def photo_with_exif() -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Artist] = "Wang Xiaoming"
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = "2026:08:03 10:20:30"
    return jpeg_bytes("secret tag", exif=exif)


def test_upload_is_stored_once_by_hash(backend, headers, audit, db_session):
    app, client = backend
    data = png_bytes()
    sha = sha256_of(data)
    assert upload(client, headers, audit.id, data, filename="card.png", content_type="image/png").status_code == 201
    assert attachments_of(app).read_bytes(key_of(sha)) == data
    again = upload(client, headers, audit.id, data, filename="card.png", content_type="image/png")
    assert again.status_code == 200 and again.json["created"] is False
    assert db_session.scalar(select(func.count()).select_from(Attachment).where(Attachment.audit_id == audit.id)) == 1
    # Nothing is left in the spool area of this machine.
    assert list((Path(app.config["ATTACHMENT_DIR"]) / "incoming").iterdir()) == []


def test_a_download_is_streamed_in_chunks_with_its_type_and_hash(backend, headers, audit):
    app, client = backend
    data = jpeg_bytes(size=3 * storage.CHUNK + 5)
    sha = sha256_of(data)
    assert upload(client, headers, audit.id, data).status_code == 201
    r = get(client, headers, f"/api/v1/audits/{audit.id}/attachments/{sha}")
    assert r.status_code == 200 and r.mimetype == "image/jpeg"
    assert r.body == data and len(r.chunks) > 1  # sent piece by piece, never as one block
    assert int(r.headers["Content-Length"]) == len(data)
    assert r.headers["ETag"].strip('"') == sha and "private" in r.headers["Cache-Control"]
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    # Content-addressed: a client holding this ETag gets a 304 and no body.
    again = client.get(f"/api/v1/audits/{audit.id}/attachments/{sha}", headers={**headers, "If-None-Match": f'"{sha}"'})
    assert again.status_code == 304 and again.data == b""


def test_a_file_gone_from_storage_is_the_apis_404(backend, headers, audit):
    app, client = backend
    data = jpeg_bytes()
    sha = sha256_of(data)
    upload(client, headers, audit.id, data)
    attachments_of(app).delete(key_of(sha))
    r = client.get(f"/api/v1/audits/{audit.id}/attachments/{sha}", headers=headers)
    assert r.status_code == 404 and r.json["error"] == "attachment.file_missing"


def test_the_dealer_receives_the_stripped_copy_and_qa_the_original(backend, headers, audit, db_session, make_user,
                                                                   auth_for):
    app, client = backend
    photo = photo_with_exif()
    sha = sha256_of(photo)
    assert upload(client, headers, audit.id, photo).status_code == 201
    row = db_session.scalar(select(Attachment).where(Attachment.audit_id == audit.id))
    stored_copy = attachments_of(app).read_bytes(key_of(row.stripped_sha256))  # made at upload
    publish(db_session, audit)
    dealer = auth_for(make_user("dealer", dealer=db_session.get(Audit, audit.id).dealer))
    qa = auth_for(make_user("qa"))

    original = get(client, qa, f"/api/v1/audits/{audit.id}/attachments/{sha}")
    assert original.status_code == 200 and original.body == photo
    copy = get(client, dealer, f"/api/v1/audits/{audit.id}/attachments/{sha}")
    assert copy.status_code == 200 and copy.body == stored_copy != photo
    assert copy.headers["ETag"].strip('"') == row.stripped_sha256 == sha256_of(copy.body)
    image = Image.open(io.BytesIO(copy.body))
    assert len(image.getexif()) == 0 and b"Wang Xiaoming" not in copy.body and b"secret tag" not in copy.body


def test_a_photo_without_a_stored_copy_is_stripped_from_the_stored_original(backend, headers, audit, db_session,
                                                                          make_user, auth_for):
    app, client = backend
    photo = photo_with_exif()
    upload(client, headers, audit.id, photo)
    row = db_session.scalar(select(Attachment).where(Attachment.audit_id == audit.id))
    row.stripped_sha256 = row.stripped_size = row.stripped_content_type = None
    publish(db_session, audit)
    dealer = auth_for(make_user("dealer", dealer=db_session.get(Audit, audit.id).dealer))
    r = get(client, dealer, f"/api/v1/audits/{audit.id}/attachments/{sha256_of(photo)}")
    assert r.status_code == 200 and b"Wang Xiaoming" not in r.body
    assert len(Image.open(io.BytesIO(r.body)).getexif()) == 0


@pytest.fixture
def published_wave(make_region, make_dealer, make_wave, make_checklist_version, make_published_audit):
    region = make_region()
    dealer = make_dealer(region=region)
    wave = make_wave(code="2026-Q3")
    version = make_checklist_version()
    for _ in range(2):
        make_published_audit(PERFECT, dealer=dealer, wave=wave, checklist_version=version)
    return dealer


def test_a_rendered_pdf_is_stored_and_served_from_storage(backend, published_wave, make_user, auth_for, db_session):
    app, client = backend
    qa = auth_for(make_user("qa"))
    path = f"/api/v1/dealers/{published_wave.id}/scorecard.pdf?wave=2026-Q3&lang=en"
    first = get(client, qa, path)
    assert first.status_code == 200 and first.mimetype == "application/pdf" and first.body.startswith(b"%PDF-")
    row = db_session.scalar(select(ReportFile).where(ReportFile.dealer_id == published_wave.id))
    assert row.sha256 == sha256_of(first.body) and row.size == len(first.body)
    assert storage.store_for(app.config, "reports").read_bytes(report_key(row.sha256)) == first.body
    second = get(client, qa, path)  # unchanged: the stored rendering, not a new one
    assert second.body == first.body
    assert db_session.scalar(select(func.count()).select_from(ReportFile)) == 1


def test_a_stored_pdf_gone_from_storage_is_rendered_again(backend, published_wave, make_user, auth_for, db_session):
    app, client = backend
    qa = auth_for(make_user("qa"))
    path = f"/api/v1/dealers/{published_wave.id}/scorecard.pdf?wave=2026-Q3&lang=en"
    first = get(client, qa, path)
    storage.store_for(app.config, "reports").delete(report_key(sha256_of(first.body)))
    again = get(client, qa, path)
    assert again.status_code == 200 and again.body.startswith(b"%PDF-")


# --- S3 only -----------------------------------------------------------------------------------------------

def test_with_presigned_downloads_the_api_redirects_to_the_store(app, db_session, tmp_path, s3_endpoint, s3_bucket,
                                                                 headers, audit, in_context):
    s3 = in_context(s3_app(app, tmp_path, s3_endpoint, s3_bucket, S3_PRESIGNED_DOWNLOADS=True,
                           S3_PRESIGNED_EXPIRY_SECONDS=120))
    client = s3.test_client()
    data = jpeg_bytes()
    sha = sha256_of(data)
    upload(client, headers, audit.id, data)
    r = client.get(f"/api/v1/audits/{audit.id}/attachments/{sha}", headers=headers)
    assert r.status_code == 302 and "no-store" in r.headers["Cache-Control"]
    location = r.headers["Location"]
    assert location.startswith(f"{s3_endpoint}/{s3_bucket}/auditapp/attachments/") and "X-Amz-Expires=120" in location
    with urllib.request.urlopen(location, timeout=10) as fetched:  # no Authorization: the URL is the permission
        assert fetched.read() == data
        assert fetched.headers["Content-Type"] == "image/jpeg"
    # Who may see the file is still decided by the API: the redirect is only given after the same checks.
    stranger = client.get(f"/api/v1/audits/{audit.id}/attachments/{sha}", headers={"Authorization": "Bearer nope"})
    assert stranger.status_code == 401


def test_end_to_end_on_s3_shopper_uploads_qa_gets_the_original_and_the_dealer_the_copy(
        app, db_session, tmp_path, s3_endpoint, s3_bucket, headers, audit, make_user, auth_for, in_context):
    s3 = in_context(s3_app(app, tmp_path, s3_endpoint, s3_bucket))
    client = s3.test_client()
    photo = photo_with_exif()
    sha = sha256_of(photo)
    assert upload(client, headers, audit.id, photo).status_code == 201
    publish(db_session, audit)
    row = db_session.scalar(select(Attachment).where(Attachment.audit_id == audit.id))
    qa = auth_for(make_user("qa"))
    dealer = auth_for(make_user("dealer", dealer=db_session.get(Audit, audit.id).dealer))

    assert get(client, qa, f"/api/v1/audits/{audit.id}/attachments/{sha}").body == photo
    copy = get(client, dealer, f"/api/v1/audits/{audit.id}/attachments/{sha}").body
    assert copy != photo and sha256_of(copy) == row.stripped_sha256 and b"Wang Xiaoming" not in copy
    # Both files are in the bucket under the configured prefix; nothing but the empty spool area on this disk.
    assert bucket_keys(s3_endpoint, s3_bucket) == sorted(
        f"auditapp/attachments/{key_of(h)}" for h in (sha, row.stripped_sha256))
    local = Path(s3.config["ATTACHMENT_DIR"])
    assert [p for p in local.rglob("*") if p.is_file()] == []
    # The session app, whose folder setting differs, still keeps its files in its own folder.
    assert storage.resolve(app.config["ATTACHMENT_DIR"], "attachments").backend == "local"


# --- code written for the folder keeps working on S3 ---------------------------------------------------------

def test_a_download_found_by_the_service_has_its_bytes_as_a_path_or_as_data(backend, headers, audit, shopper,
                                                                            db_session):
    """Pages that send `found.path`, or `found.data` when there is no path, get the right bytes everywhere."""
    from auditapp.services.attachments import FileStore, find_for_download

    app, client = backend
    data = jpeg_bytes()
    upload(client, headers, audit.id, data)
    found = find_for_download(db_session, shopper, audit.id, sha256_of(data), FileStore(app.config["ATTACHMENT_DIR"]))
    sent = found.path.read_bytes() if found.path is not None else found.data
    assert sent == data
    assert (found.path is None) == (app.config["STORAGE"] == "s3")


def test_pdf_path_is_a_file_of_this_machine_on_either_backend(backend, published_wave, make_user, auth_for):
    from auditapp.services.reports import pdf_path

    app, client = backend
    pdf = get(client, auth_for(make_user("qa")), f"/api/v1/dealers/{published_wave.id}/scorecard.pdf?wave=2026-Q3"
                                                  f"&lang=en").body
    path = pdf_path(app.config["REPORT_DIR"], sha256_of(pdf))
    assert path.read_bytes() == pdf  # with S3, a copy fetched into the folder (content-addressed: never stale)
    assert path == Path(app.config["REPORT_DIR"]) / report_key(sha256_of(pdf))
