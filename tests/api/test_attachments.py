"""Evidence uploads and downloads: hash check, size limit, type sniffing, idempotent re-upload, access."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
from fixtures.files import ftyp_bytes, heic_bytes, jpeg_bytes, m4a_bytes, pdf_bytes, png_bytes, sha256_of, upload
from sqlalchemy import func, select

from auditapp.models import Attachment, Audit
from auditapp.services.attachments import sniff_type


def attachment_rows(db_session, audit) -> int:
    return db_session.scalar(select(func.count()).select_from(Attachment).where(Attachment.audit_id == audit.id))


def stored_file(app, sha: str) -> Path:
    return Path(app.config["ATTACHMENT_DIR"]) / sha[:2] / sha[2:4] / sha


def download(client, headers, audit, sha: str):
    """The response, read and closed: an open streamed response would keep its request's session open."""
    with client.get(f"/api/v1/audits/{audit.id}/attachments/{sha}", headers=headers) as response:
        response.get_data()
    return response


def test_first_upload_is_201_and_the_same_file_again_is_200_without_a_second_copy(app, client, headers, audit,
                                                                                  db_session):
    data = png_bytes()
    sha = sha256_of(data)
    r = upload(client, headers, audit.id, data, filename="card.png", content_type="image/png")
    assert r.status_code == 201, r.json
    assert r.json == {"sha256": sha, "size": len(data), "content_type": "image/png", "filename": "card.png",
                      "created": True}
    assert stored_file(app, sha).read_bytes() == data
    again = upload(client, headers, audit.id, data, filename="card-again.png", content_type="image/png")
    assert again.status_code == 200
    assert again.json == {**r.json, "created": False}
    assert attachment_rows(db_session, audit) == 1
    # Nothing is left behind in the temporary area either.
    assert list((Path(app.config["ATTACHMENT_DIR"]) / "incoming").iterdir()) == []


def test_an_uppercase_hash_is_the_same_hash(client, headers, audit):
    data = jpeg_bytes()
    r = upload(client, headers, audit.id, data, sha256=sha256_of(data).upper())
    assert r.status_code == 201 and r.json["sha256"] == sha256_of(data)


def test_the_same_file_on_two_audits_is_one_file_and_two_rows(app, client, headers, audit, make_audit, shopper,
                                                              db_session):
    other = make_audit(shopper=shopper)
    data = jpeg_bytes()
    assert upload(client, headers, audit.id, data).status_code == 201
    assert upload(client, headers, other.id, data).status_code == 201
    assert attachment_rows(db_session, audit) == attachment_rows(db_session, other) == 1
    assert stored_file(app, sha256_of(data)).read_bytes() == data


def test_a_hash_mismatch_is_422_and_nothing_is_stored(app, client, headers, audit, db_session):
    data, declared = jpeg_bytes(), sha256_of(b"something else")
    r = upload(client, headers, audit.id, data, sha256=declared)
    assert r.status_code == 422
    assert r.json["code"] == 422 and "SHA-256" in r.json["message"]
    assert "sha256" in r.json["errors"]
    assert attachment_rows(db_session, audit) == 0
    assert not stored_file(app, sha256_of(data)).exists()
    assert not stored_file(app, declared).exists()


@pytest.mark.parametrize("form", [{"sha256": "abc"}, {}])
def test_a_missing_or_malformed_hash_is_422(client, headers, audit, form):
    r = client.post(f"/api/v1/audits/{audit.id}/attachments", headers=headers,
                    data={**form, "file": (io.BytesIO(jpeg_bytes()), "a.jpg", "image/jpeg")},
                    content_type="multipart/form-data")
    assert r.status_code == 422
    assert "sha256" in r.json["errors"]["form_and_files"]


def test_a_missing_file_is_422(client, headers, audit):
    r = client.post(f"/api/v1/audits/{audit.id}/attachments", headers=headers, data={"sha256": "a" * 64},
                    content_type="multipart/form-data")
    assert r.status_code == 422
    assert "file" in r.json["errors"]["form_and_files"]


def test_a_file_at_the_limit_is_accepted_and_one_byte_more_is_413(app, client, headers, audit, db_session,
                                                                 monkeypatch):
    monkeypatch.setitem(app.config, "MAX_ATTACHMENT_BYTES", 4000)
    assert upload(client, headers, audit.id, jpeg_bytes(size=4000)).status_code == 201
    big = jpeg_bytes(size=4001)
    r = upload(client, headers, audit.id, big)
    assert r.status_code == 413
    assert r.json["code"] == 413 and "4000" in r.json["message"]
    assert attachment_rows(db_session, audit) == 1
    assert not stored_file(app, sha256_of(big)).exists()


def test_a_request_far_over_the_limit_is_413_before_it_is_read(app, client, headers, audit, db_session,
                                                               monkeypatch):
    monkeypatch.setitem(app.config, "MAX_ATTACHMENT_BYTES", 4000)
    r = upload(client, headers, audit.id, jpeg_bytes(size=200_000))
    assert r.status_code == 413
    assert r.json["status"] == "Request Entity Too Large"
    assert attachment_rows(db_session, audit) == 0


def test_uploads_may_exceed_the_json_body_limit(app, client, headers, audit):
    data = jpeg_bytes(size=app.config["MAX_CONTENT_LENGTH"] + 1)
    assert data and len(data) <= app.config["MAX_ATTACHMENT_BYTES"]
    assert upload(client, headers, audit.id, data).status_code == 201


def test_json_bodies_stay_limited_elsewhere(app, client, headers, audit):
    answers = {"greeted": {"value": "yes", "comment": "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)}}
    r = client.put(f"/api/v1/audits/{audit.id}/answers", headers={**headers, "If-Match": "x"},
                   json={"answers": answers})
    assert r.status_code == 413


def test_a_text_file_named_jpg_is_415(app, client, headers, audit, db_session):
    data = b"Just some notes, not a photo at all.\n"
    r = upload(client, headers, audit.id, data, filename="receipt.jpg", content_type="image/jpeg")
    assert r.status_code == 415
    assert r.json["code"] == 415 and r.json["status"] == "Unsupported Media Type"
    assert attachment_rows(db_session, audit) == 0
    assert not stored_file(app, sha256_of(data)).exists()


def test_the_type_is_sniffed_whatever_was_declared(client, headers, audit):
    r = upload(client, headers, audit.id, pdf_bytes(), filename="photo.jpg", content_type="image/jpeg")
    assert r.status_code == 201 and r.json["content_type"] == "application/pdf"


@pytest.mark.parametrize("data, expected", [
    (jpeg_bytes("x"), "image/jpeg"),
    (png_bytes("x"), "image/png"),
    (pdf_bytes("x"), "application/pdf"),
    (ftyp_bytes(b"heic"), "image/heic"),
    (ftyp_bytes(b"heix"), "image/heic"),
    (ftyp_bytes(b"mif1"), "image/heic"),
    (ftyp_bytes(b"msf1"), "image/heic"),
    (ftyp_bytes(b"hevc"), "image/heic"),
    (ftyp_bytes(b"M4A "), "audio/mp4"),
    (ftyp_bytes(b"isom"), None),      # an MP4 video
    (ftyp_bytes(b"qt  "), None),      # a QuickTime movie
    (b"GIF89a\x01\x00\x01\x00", None),
    (b"PK\x03\x04", None),            # a zip (or .docx)
    (b"<html><body>", None),
    (b"\xff\xd8", None),              # too short to be a JPEG
    (b"", None),
])
def test_sniffing(data, expected):
    assert sniff_type(data[:32]) == expected


def test_heic_and_m4a_uploads(client, headers, audit):
    assert upload(client, headers, audit.id, heic_bytes(), filename="IMG_0001.HEIC").json["content_type"] \
        == "image/heic"
    assert upload(client, headers, audit.id, m4a_bytes(), filename="memo.m4a").json["content_type"] \
        == "audio/mp4"


def test_the_shopper_cannot_add_evidence_after_submit(client, headers, make_audit, shopper, db_session):
    submitted = make_audit(shopper=shopper, status="submitted")
    r = upload(client, headers, submitted.id, jpeg_bytes())
    assert r.status_code == 409
    assert "submitted" in r.json["message"]


def test_download_streams_the_file_with_its_type(client, headers, audit):
    data = png_bytes()
    sha = sha256_of(data)
    upload(client, headers, audit.id, data, filename="card.png", content_type="image/png")
    r = download(client, headers, audit, sha)
    assert r.status_code == 200
    assert r.data == data
    assert r.mimetype == "image/png"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert "private" in r.headers["Cache-Control"]
    assert download(client, headers, audit, sha.upper()).data == data


@pytest.mark.parametrize("sha", ["0" * 64, "not-a-hash"])
def test_download_of_an_unknown_hash_is_404(client, headers, audit, sha):
    assert download(client, headers, audit, sha).status_code == 404


def test_download_of_another_audits_file_through_this_audit_is_404(client, headers, audit, make_audit, shopper):
    other = make_audit(shopper=shopper)
    data = jpeg_bytes()
    upload(client, headers, other.id, data)
    assert download(client, headers, audit, sha256_of(data)).status_code == 404


# --- who may ------------------------------------------------------------------------------------------

@pytest.fixture
def people(make_user, make_dealer, auth_for, audit, db_session):
    dealer = db_session.get(Audit, audit.id).dealer
    return {
        "other_shopper": auth_for(make_user("shopper")),
        "dealer": auth_for(make_user("dealer", dealer=dealer)),
        "other_dealer": auth_for(make_user("dealer", dealer=make_dealer(region=dealer.region))),
        "manager": auth_for(make_user("manager", regions=[dealer.region])),
        "qa": auth_for(make_user("qa")),
        "admin": auth_for(make_user("admin")),
    }


def publish(db_session, audit) -> None:
    db_session.get(Audit, audit.id).status = "published"
    db_session.commit()  # as a request would: a later failing request rolls back only its own work


def test_upload_refusals_before_publication(client, audit, people):
    expected = {"other_shopper": 404, "dealer": 404, "other_dealer": 404, "manager": 403, "qa": 403, "admin": 403}
    for who, status in expected.items():
        assert upload(client, people[who], audit.id, jpeg_bytes()).status_code == status, who


def test_the_dealer_adds_dispute_evidence_to_its_published_audit(client, audit, people, db_session):
    publish(db_session, audit)
    data = pdf_bytes()
    r = upload(client, people["dealer"], audit.id, data, filename="cctv-log.pdf", content_type="application/pdf")
    assert r.status_code == 201, r.json
    expected = {"other_shopper": 404, "other_dealer": 404, "manager": 403, "qa": 403, "admin": 403}
    for who, status in expected.items():
        assert upload(client, people[who], audit.id, jpeg_bytes()).status_code == status, who


def test_download_follows_who_sees_the_audit(client, headers, audit, people, db_session):
    data = jpeg_bytes()
    sha = sha256_of(data)
    upload(client, headers, audit.id, data)
    unpublished = {"other_shopper": 404, "dealer": 404, "other_dealer": 404, "manager": 404, "qa": 200,
                   "admin": 200}
    for who, status in unpublished.items():
        assert download(client, people[who], audit, sha).status_code == status, who
    publish(db_session, audit)
    published = {**unpublished, "dealer": 200, "manager": 200}
    for who, status in published.items():
        r = download(client, people[who], audit, sha)
        assert r.status_code == status, who
        if who in ("qa", "admin"):
            assert r.data == data
        elif status == 200:  # dealer and manager: the copy without metadata (tests/api/test_evidence_photos)
            assert r.data != data and r.mimetype == "image/jpeg"
    assert download(client, headers, audit, sha).data == data  # the shopper's own file


def test_the_shopper_does_not_see_the_dealers_dispute_evidence(client, headers, audit, people, db_session):
    publish(db_session, audit)
    data = pdf_bytes()
    assert upload(client, people["dealer"], audit.id, data, content_type="application/pdf").status_code == 201
    assert download(client, headers, audit, sha256_of(data)).status_code == 404
    assert download(client, people["qa"], audit, sha256_of(data)).status_code == 200
