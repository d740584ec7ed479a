"""Evidence content (DESIGN 5, 7): uploads must decode as what they claim to be, and photo metadata that can
name the shopper (EXIF, GPS, comments, ICC) reaches dealers and managers only as a stripped copy."""
from __future__ import annotations

import io
from datetime import datetime, timezone
from pathlib import Path

import pytest
from fixtures.files import heic_bytes, jpeg_bytes, m4a_bytes, pdf_bytes, png_bytes, sha256_of, upload
from PIL import ExifTags, Image, ImageCms
from sqlalchemy import func, select

from auditapp.models import Attachment, Audit

NAME, EMAIL = "Wang Xiaoming", "xiaoming.wang@example.com"


def identifying_exif() -> Image.Exif:
    """What a phone may write: the owner's name and contact, the capture time, where the photo was taken."""
    exif = Image.Exif()
    exif[ExifTags.Base.Artist] = NAME
    exif[ExifTags.Base.ImageDescription] = f"taken by {EMAIL}"
    exif[ExifTags.Base.Make], exif[ExifTags.Base.Model] = "Huawei", "Mate 60 Pro"
    details = exif.get_ifd(ExifTags.IFD.Exif)
    details[ExifTags.Base.DateTimeOriginal] = "2026:08:03 10:20:30"
    details[ExifTags.Base.OffsetTimeOriginal] = "+08:00"
    details[ExifTags.Base.BodySerialNumber] = "SN-123456"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef], gps[ExifTags.GPS.GPSLatitude] = "N", (31.0, 13.0, 49.44)
    gps[ExifTags.GPS.GPSLongitudeRef], gps[ExifTags.GPS.GPSLongitude] = "E", (121.0, 28.0, 25.32)
    return exif


def download(client, headers, audit, sha: str):
    with client.get(f"/api/v1/audits/{audit.id}/attachments/{sha}", headers=headers) as response:
        response.get_data()
    return response


def assert_no_metadata(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    assert len(image.getexif()) == 0
    assert not {"exif", "icc_profile", "comment", "xmp", "XML:com.adobe.xmp", "Comment"} & set(image.info)
    assert getattr(image, "text", {}) == {}
    for secret in (NAME.encode(), EMAIL.encode(), b"Huawei", b"SN-123456", b"Comment"):
        assert secret not in data
    return image


@pytest.fixture
def people(make_user, auth_for, audit, db_session):
    dealer = db_session.get(Audit, audit.id).dealer
    return {"dealer": auth_for(make_user("dealer", dealer=dealer)),
            "manager": auth_for(make_user("manager", regions=[dealer.region])),
            "qa": auth_for(make_user("qa")), "admin": auth_for(make_user("admin"))}


def publish(db_session, audit) -> None:
    db_session.get(Audit, audit.id).status = "published"
    db_session.commit()


def test_the_dealer_and_manager_receive_the_photo_without_its_metadata_and_qa_the_original(
        client, headers, audit, people, db_session):
    photo = jpeg_bytes(f"owner {NAME}", exif=identifying_exif())
    assert NAME.encode() in photo and EMAIL.encode() in photo  # the test photo does carry them
    sha = sha256_of(photo)
    assert upload(client, headers, audit.id, photo).status_code == 201
    publish(db_session, audit)

    for who in ("qa", "admin"):
        r = download(client, people[who], audit, sha)
        assert r.status_code == 200 and r.data == photo, who
        assert r.headers["ETag"].strip('"') == sha
    stripped = {}
    for who in ("dealer", "manager"):
        r = download(client, people[who], audit, sha)
        assert r.status_code == 200 and r.mimetype == "image/jpeg", who
        image = assert_no_metadata(r.data)
        assert image.size == (8, 8)
        stripped[who] = r.data
        assert r.headers["ETag"].strip('"') == sha256_of(r.data) != sha
    assert stripped["dealer"] == stripped["manager"]

    row = db_session.scalar(select(Attachment).where(Attachment.audit_id == audit.id))
    assert row.sha256 == sha and row.size == len(photo)
    assert row.stripped_sha256 == sha256_of(stripped["dealer"]) and row.stripped_size == len(stripped["dealer"])
    # 10:20:30 at +08:00, and 31°13'49.44" N 121°28'25.32" E, worked out by hand.
    assert row.captured_at == datetime(2026, 8, 3, 2, 20, 30, tzinfo=timezone.utc)
    assert row.capture_latitude == pytest.approx(31.2304, abs=1e-6)
    assert row.capture_longitude == pytest.approx(121.4737, abs=1e-6)


def test_a_capture_time_without_offset_is_the_dealers_local_time(client, headers, audit, db_session):
    exif = Image.Exif()
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = "2026:08:03 10:20:30"
    upload(client, headers, audit.id, jpeg_bytes(exif=exif))
    row = db_session.scalar(select(Attachment).where(Attachment.audit_id == audit.id))
    assert row.captured_at == datetime(2026, 8, 3, 2, 20, 30, tzinfo=timezone.utc)  # Asia/Shanghai, UTC+8
    assert row.capture_latitude is None


def test_png_text_and_icc_profile_are_stripped_too(client, headers, audit, people, db_session):
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", f"{NAME} {EMAIL}")
    out = io.BytesIO()
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    Image.new("RGBA", (4, 4), (10, 20, 30, 128)).save(out, "PNG", pnginfo=info, icc_profile=srgb)
    photo = out.getvalue()
    upload(client, headers, audit.id, photo, filename="screen.png", content_type="image/png")
    publish(db_session, audit)
    r = download(client, people["dealer"], audit, sha256_of(photo))
    assert r.mimetype == "image/png"
    image = assert_no_metadata(r.data)
    assert image.mode == "RGBA" and image.getpixel((0, 0)) == (10, 20, 30, 128)  # lossless, transparency kept


def test_a_heic_photo_reaches_the_dealer_as_a_jpeg_without_metadata(client, headers, audit, people, db_session):
    photo = heic_bytes(exif=identifying_exif())
    upload(client, headers, audit.id, photo, filename="IMG_0001.HEIC", content_type="image/heic")
    publish(db_session, audit)
    r = download(client, people["dealer"], audit, sha256_of(photo))
    assert r.status_code == 200 and r.mimetype == "image/jpeg"
    assert_no_metadata(r.data)
    assert download(client, people["qa"], audit, sha256_of(photo)).data == photo
    row = db_session.scalar(select(Attachment).where(Attachment.audit_id == audit.id))
    assert row.captured_at == datetime(2026, 8, 3, 2, 20, 30, tzinfo=timezone.utc)


def test_a_photo_stored_before_copies_existed_is_stripped_when_served(client, headers, audit, people, db_session):
    photo = jpeg_bytes(exif=identifying_exif())
    upload(client, headers, audit.id, photo)
    row = db_session.scalar(select(Attachment).where(Attachment.audit_id == audit.id))
    row.stripped_sha256 = row.stripped_size = row.stripped_content_type = None
    publish(db_session, audit)
    r = download(client, people["dealer"], audit, sha256_of(photo))
    assert r.status_code == 200
    assert_no_metadata(r.data)


def test_pdfs_and_recordings_are_served_as_uploaded(client, headers, audit, people, db_session):
    document, recording = pdf_bytes(), m4a_bytes()
    upload(client, headers, audit.id, document, content_type="application/pdf")
    upload(client, headers, audit.id, recording, content_type="audio/mp4")
    publish(db_session, audit)
    assert download(client, people["dealer"], audit, sha256_of(document)).data == document
    assert download(client, people["dealer"], audit, sha256_of(recording)).data == recording


# --- what does not decode is refused -----------------------------------------------------------------

def _truncated_jpeg() -> bytes:
    data = jpeg_bytes()
    return data[:len(data) // 2]


NOT_WHAT_THEY_CLAIM = {
    "png signature alone": b"\x89PNG\r\n\x1a\n",
    "png with a broken checksum": png_bytes("x")[:-5] + b"\x00" + png_bytes("x")[-4:],
    "jpeg magic then html": b"\xff\xd8\xff\xe0<html><script>alert(1)</script></html>",
    "truncated jpeg": _truncated_jpeg(),
    "heic brand without an image": b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 40,
    "pdf header alone": b"%PDF-1.7\n",
    "pdf header then html": b"%PDF-1.4\n<html><body>hello</body></html>\n",
    "m4a without a movie box": b"\x00\x00\x00\x14ftypM4A \x00\x00\x00\x00M4A ",
    "m4a box running past the end": b"\x00\x00\x00\x14ftypM4A \x00\x00\x00\x00M4A \x00\x00\x10\x00moov",
}


@pytest.mark.parametrize("data", NOT_WHAT_THEY_CLAIM.values(), ids=NOT_WHAT_THEY_CLAIM.keys())
def test_a_file_that_does_not_decode_as_its_type_is_415_and_nothing_is_stored(app, client, headers, audit,
                                                                              db_session, data):
    r = upload(client, headers, audit.id, data)
    assert r.status_code == 415, r.json
    assert r.json["code"] == 415 and r.json["status"] == "Unsupported Media Type"
    assert "not a valid" in r.json["message"] and r.json["errors"]["file"]
    assert db_session.scalar(select(func.count()).select_from(Attachment)
                             .where(Attachment.audit_id == audit.id)) == 0
    root = Path(app.config["ATTACHMENT_DIR"])
    sha = sha256_of(data)
    assert not (root / sha[:2] / sha[2:4] / sha).exists()
    assert list((root / "incoming").iterdir()) == []
