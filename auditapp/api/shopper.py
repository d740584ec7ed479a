"""The shopper flow (DESIGN 5): draft answers, evidence uploads, submit, offline sync."""
from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any

from flask import Request, current_app, jsonify, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError
from webargs.flaskparser import FlaskParser
from webargs.multidictproxy import MultiDictProxy
from werkzeug.datastructures import CombinedMultiDict

from ..downloads import attachment_download
from ..errors import DomainError, InvalidInput, PayloadTooLarge
from ..extensions import db
from ..limits import MULTIPART_OVERHEAD
from ..messages import Message
from ..models import Audit, User, utcnow
from ..services import attachments, shopper
from ..services.flags import FlagLimits
from ..services.score_versions import answers_of
from .auth import allow, current_user
from .errors import error_response
from .presenters import etag_of, present_audit
from .schemas import (
    AnswersSchema,
    AttachmentSchema,
    AttachmentUploadSchema,
    AuditSchema,
    SubmitSchema,
    SyncEntrySchema,
    SyncResponseSchema,
    SyncSchema,
)


class _MultipartParser(FlaskParser):
    """Adds `form_and_files`: an upload's form fields and file read by one schema (one request body in
    the OpenAPI document, which the separate `form` and `files` locations cannot give)."""
    __location_map__ = dict(form_and_files="load_form_and_files", **FlaskParser.__location_map__)

    def load_form_and_files(self, req: Request, schema: Schema) -> Any:
        return MultiDictProxy(CombinedMultiDict([req.files, req.form]), schema)


class _Blueprint(Blueprint):
    ARGUMENTS_PARSER = _MultipartParser()
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = {**Blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING,
                                             "form_and_files": "multipart/form-data"}


blp = _Blueprint("shopper", __name__, url_prefix="/api/v1",
                 description="The shopper's flow: drafts, evidence, submit and offline sync.")

IF_MATCH = {"in": "header", "name": "If-Match", "required": True, "schema": {"type": "string"},
            "description": "The ETag of the draft being replaced (428 without it, 412 when stale)"}
IDEMPOTENCY_KEY = {"in": "header", "name": "Idempotency-Key", "required": True,
                   "schema": {"type": "string", "format": "uuid"},
                   "description": "Made once per submission by the phone and repeated on every retry"}


_AUDIT_SCHEMA = AuditSchema()


def _shopper_request(user: User) -> shopper.ShopperRequest:
    def body(audit: Audit, answers: Mapping[str, dict[str, Any]] | None) -> dict[str, Any]:
        out: dict[str, Any] = _AUDIT_SCHEMA.dump(present_audit(audit, user))
        # The answers are in their output form already (models.answer_json: AnswerOutSchema's fields, plain
        # JSON values), which the schema's dump would copy field by field at a cost of 60 nested dumps.
        out["answers"] = dict(answers) if answers is not None else answers_of(db.session(), audit)
        return out

    return shopper.ShopperRequest(user=user, received_at=utcnow(),
                                  limits=FlagLimits.from_config(current_app.config),
                                  view=shopper.View(body=body, etag=etag_of))


def _file_store() -> attachments.FileStore:
    return attachments.FileStore(current_app.config["ATTACHMENT_DIR"])  # the configured store (storage.py)


def _error_body(error: DomainError) -> dict[str, Any]:
    return error_response(error.status, error.message, error.errors).get_json()


def upload_size_limit(view: Callable[..., Any]) -> Callable[..., Any]:
    """Uploads may be larger than the JSON bodies MAX_CONTENT_LENGTH keeps small everywhere else.

    Outermost decorator: the limit must be in place before the form is parsed."""
    @wraps(view)
    def limited(*args: Any, **kwargs: Any) -> Any:
        max_file = current_app.config["MAX_ATTACHMENT_BYTES"]
        request.max_content_length = max_file + MULTIPART_OVERHEAD
        if request.content_length is not None and request.content_length > request.max_content_length:
            raise PayloadTooLarge("attachment.file_too_large",
                                  {"file": [Message("attachment.at_most_bytes", max=max_file)]},
                                  limit=Message("attachment.bytes", n=max_file))
        return view(*args, **kwargs)
    return limited


@blp.route("/audits/<uuid:audit_id>/answers")
@allow("shopper")
class DraftAnswers(MethodView):
    @blp.arguments(AnswersSchema)
    @blp.response(200, AuditSchema, headers={"ETag": {"schema": {"type": "string"},
                                                      "description": "The new ETag of the draft"}})
    @blp.alt_response(409, description="The audit was submitted: answers can no longer change")
    @blp.alt_response(412, description="Stale If-Match: someone saved since; nothing was changed")
    @blp.alt_response(428, description="If-Match missing")
    @blp.doc(parameters=[IF_MATCH])
    def put(self, data, audit_id: uuid.UUID):
        """Replace the draft answers of an audit (its shopper only)."""
        user = current_user()
        audit = shopper.save_draft(db.session(), _shopper_request(user), audit_id, data["answers"],
                                   request.headers.get("If-Match"))
        return present_audit(audit, user, answers=answers_of(db.session(), audit)), {"ETag": etag_of(audit)}


@blp.route("/audits/<uuid:audit_id>/submit")
@allow("shopper")
class Submit(MethodView):
    @blp.arguments(SubmitSchema)
    @blp.response(200, AuditSchema)
    @blp.alt_response(409, description="Already submitted, or the key was used with another body")
    @blp.alt_response(428, description="Idempotency-Key missing")
    @blp.doc(parameters=[IDEMPOTENCY_KEY])
    def post(self, data, audit_id: uuid.UUID):
        """Submit final answers with the visit proof; a retry with the same key gets the same answer."""
        outcome = shopper.submit(db.session(), _shopper_request(current_user()), audit_id, data["answers"],
                                 data["visit"], request.headers.get("Idempotency-Key"))
        response = jsonify(outcome.body)
        response.status_code = outcome.status
        if outcome.body.get("etag"):
            response.headers["ETag"] = outcome.body["etag"]
        if outcome.replayed:
            response.headers["Idempotent-Replayed"] = "true"
        return response


@blp.route("/sync")
@allow("shopper")
class Sync(MethodView):
    @blp.arguments(SyncSchema)
    @blp.response(200, SyncResponseSchema)
    def post(self, data):
        """Several audits' offline drafts and submits; each is answered as its single request would be."""
        entries = [_sync_entry(raw) for raw in data["audits"]]
        results = shopper.sync(db.session(), _shopper_request(current_user()), entries)
        return {"results": [
            {"audit_id": r.audit_id, "status": r.status,
             "body": _error_body(r.error) if r.error is not None else r.body,
             **({"etag": r.etag} if r.etag else {})}
            for r in results]}


def _sync_entry(raw: dict[str, Any]) -> shopper.SyncEntry:
    """An entry as the service takes it; a malformed one is refused alone, as its single request would be."""
    try:
        entry = SyncEntrySchema().load(raw)
    except ValidationError as error:
        audit_id = raw.get("audit_id")
        try:
            parsed = uuid.UUID(str(audit_id)) if audit_id is not None else None
        except ValueError:
            parsed = None
        return shopper.SyncEntry(audit_id=parsed, invalid=InvalidInput(
            "request.invalid_input", {"json": error.normalized_messages()}))
    return shopper.SyncEntry(audit_id=entry["audit_id"], action=entry["action"], answers=entry["answers"],
                             visit=entry.get("visit"), if_match=entry.get("if_match"),
                             idempotency_key=entry.get("idempotency_key"))


@blp.route("/audits/<uuid:audit_id>/attachments")
class Attachments(MethodView):
    @allow("shopper", "dealer")
    @upload_size_limit
    @blp.arguments(AttachmentUploadSchema, location="form_and_files")
    @blp.response(201, AttachmentSchema)
    @blp.alt_response(200, schema=AttachmentSchema, description="The same file was already uploaded: nothing stored")
    @blp.alt_response(409, description="The shopper submitted the audit: its evidence can no longer change")
    @blp.alt_response(413, description="The file is larger than MAX_ATTACHMENT_BYTES")
    @blp.alt_response(415, description="Not a valid JPEG, PNG, HEIC, PDF or M4A file (decoded, not guessed)")
    def post(self, form, audit_id: uuid.UUID):
        """Upload evidence: the audit's shopper, or the dealer of a published audit (dispute evidence)."""
        upload = form["file"]
        attachment, created = attachments.upload(
            db.session(), current_user(), audit_id, stream=upload.stream, sha256=form["sha256"],
            filename=upload.filename, store=_file_store(), max_bytes=current_app.config["MAX_ATTACHMENT_BYTES"])
        return {"sha256": attachment.sha256, "size": attachment.size, "content_type": attachment.content_type,
                "filename": attachment.filename, "created": created}, 201 if created else 200


@blp.route("/audits/<uuid:audit_id>/attachments/<string:sha256>")
class AttachmentFile(MethodView):
    @blp.response(200, content_type="application/octet-stream",
                  description="The file, with its sniffed content type")
    def get(self, audit_id: uuid.UUID, sha256: str):
        """Download an evidence file (whoever may see the audit). Photos reach everyone but QA, admin and
        their uploader as a copy without metadata, with its own hash as ETag (DESIGN 7)."""
        found = attachments.find_for_download(db.session(), current_user(), audit_id, sha256, _file_store())
        return attachment_download(found)
