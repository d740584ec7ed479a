"""Request and response schemas of the HTTP API (they make the OpenAPI document)."""
from __future__ import annotations

from flask_smorest.fields import Upload
from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate, validates_schema

from ..models import AUDIT_STATUSES, ROLES


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


class TextSchema(StrictSchema):
    zh = fields.String(required=True)
    en = fields.String(required=True)


# --- auth -------------------------------------------------------------------------------------------

class LoginSchema(StrictSchema):
    email = fields.String(required=True, validate=validate.Length(min=3, max=254))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024), load_only=True)


class TokenSchema(Schema):
    access_token = fields.String()
    token_type = fields.String()
    expires_at = fields.AwareDateTime()
    role = fields.String()


class MeSchema(Schema):
    id = fields.Integer()
    email = fields.String()
    display_name = fields.String()
    role = fields.String()
    dealer_id = fields.Integer(allow_none=True)
    region_ids = fields.Method("_region_ids")

    def _region_ids(self, user) -> list[int]:
        return [r.id for r in user.regions]


# --- administration -----------------------------------------------------------------------------------

class RegionSchema(StrictSchema):
    id = fields.Integer(dump_only=True)
    code = fields.String(required=True, validate=validate.Length(min=1, max=32))
    name_zh = fields.String(required=True, validate=validate.Length(min=1, max=200))
    name_en = fields.String(required=True, validate=validate.Length(min=1, max=200))


class DealerSchema(StrictSchema):
    id = fields.Integer(dump_only=True)
    region_id = fields.Integer(required=True, strict=True)
    code = fields.String(required=True, validate=validate.Length(min=1, max=32))
    name_zh = fields.String(required=True, validate=validate.Length(min=1, max=200))
    name_en = fields.String(required=True, validate=validate.Length(min=1, max=200))
    address = fields.String(allow_none=True, validate=validate.Length(max=500))
    latitude = fields.Float(allow_none=True, validate=validate.Range(-90, 90))
    longitude = fields.Float(allow_none=True, validate=validate.Range(-180, 180))
    timezone = fields.String(validate=validate.Length(min=1, max=64))


class UserCreateSchema(StrictSchema):
    email = fields.Email(required=True)
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=10, max=1024))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    display_name = fields.String(load_default="", validate=validate.Length(max=200))
    dealer_id = fields.Integer(allow_none=True, load_default=None, strict=True)
    region_ids = fields.List(fields.Integer(strict=True), load_default=list)


class UserUpdateSchema(StrictSchema):
    password = fields.String(load_only=True, validate=validate.Length(min=10, max=1024))
    display_name = fields.String(validate=validate.Length(max=200))
    active = fields.Boolean()
    dealer_id = fields.Integer(allow_none=True, strict=True)
    region_ids = fields.List(fields.Integer(strict=True))


class UserSchema(Schema):
    id = fields.Integer()
    email = fields.String()
    display_name = fields.String()
    role = fields.String()
    active = fields.Boolean()
    dealer_id = fields.Integer(allow_none=True)
    region_ids = fields.Method("_region_ids")

    def _region_ids(self, user) -> list[int]:
        return [r.id for r in user.regions]


class WaveSchema(StrictSchema):
    id = fields.Integer(dump_only=True)
    code = fields.String(required=True, validate=validate.Length(min=1, max=32))
    title_zh = fields.String(required=True, validate=validate.Length(min=1, max=200))
    title_en = fields.String(required=True, validate=validate.Length(min=1, max=200))
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)

    @validates_schema
    def _period(self, data, **kwargs):
        if "starts_on" in data and "ends_on" in data and data["ends_on"] < data["starts_on"]:
            raise ValidationError("must not be before starts_on", "ends_on")


class ListArgsSchema(Schema):
    class Meta:
        unknown = EXCLUDE


# --- checklists ---------------------------------------------------------------------------------------

class ChecklistSummarySchema(Schema):
    key = fields.String()
    version = fields.Integer()
    title = fields.Nested(TextSchema)
    content_hash = fields.String()


class ChecklistDefinitionSchema(ChecklistSummarySchema):
    definition = fields.Dict(metadata={"description": "The validated checklist document (DESIGN 3)"})


# --- audits -------------------------------------------------------------------------------------------

class ChecklistRefSchema(StrictSchema):
    key = fields.String(required=True)
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


class AssignSchema(StrictSchema):
    dealer_id = fields.Integer(required=True, strict=True)
    wave_id = fields.Integer(required=True, strict=True)
    checklist = fields.Nested(ChecklistRefSchema, required=True)
    shopper_id = fields.Integer(required=True, strict=True)
    visit_window_start = fields.Date(required=True)
    visit_window_end = fields.Date(required=True)

    @validates_schema
    def _window(self, data, **kwargs):
        if data.get("visit_window_end") and data.get("visit_window_start") \
                and data["visit_window_end"] < data["visit_window_start"]:
            raise ValidationError("must not be before visit_window_start", "visit_window_end")


class AuditListArgsSchema(Schema):
    class Meta:
        unknown = RAISE

    status = fields.String(validate=validate.OneOf(AUDIT_STATUSES))
    wave_id = fields.Integer()
    dealer_id = fields.Integer()
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class AnswerSchema(StrictSchema):
    value = fields.Raw(allow_none=True)
    na = fields.Boolean()
    comment = fields.String(allow_none=True)
    attachments = fields.List(fields.String())


def answers_field() -> fields.Dict:
    """Answers by item key. Each answer is checked against the checklist version (answer_problems), so
    that every problem is reported under its item key in one shape, rather than half of them by the schema."""
    return fields.Dict(keys=fields.String(), values=fields.Raw(), required=True, metadata={
        "description": "Answers by item key, each {value, na, comment, attachments: [sha256]} (DESIGN 4); "
                       "problems are reported per item key under errors.answers"})


class AnswersSchema(StrictSchema):
    answers = answers_field()


class GeoSchema(StrictSchema):
    latitude = fields.Float(required=True, validate=validate.Range(-90, 90))
    longitude = fields.Float(required=True, validate=validate.Range(-180, 180))
    accuracy_m = fields.Float(validate=validate.Range(min=0))


class VisitProofSchema(StrictSchema):
    started_at = fields.AwareDateTime(required=True)
    ended_at = fields.AwareDateTime(required=True)
    checkin = fields.Nested(GeoSchema, required=True)
    device_time = fields.AwareDateTime(required=True, metadata={"description": "The phone's clock at submit"})

    @validates_schema
    def _order(self, data, **kwargs):
        if "started_at" in data and "ended_at" in data and data["ended_at"] < data["started_at"]:
            raise ValidationError("must not be before started_at", "ended_at")


class SubmitSchema(AnswersSchema):
    visit = fields.Nested(VisitProofSchema, required=True)


class SyncEntrySchema(StrictSchema):
    audit_id = fields.UUID(required=True)
    action = fields.String(required=True, validate=validate.OneOf(("draft", "submit")))
    answers = answers_field()
    visit = fields.Nested(VisitProofSchema, metadata={"description": "Required for submits"})
    if_match = fields.String(metadata={"description": "ETag of the draft the phone edited: required for drafts, "
                                                      "as If-Match is for PUT .../answers"})
    idempotency_key = fields.String(metadata={"description": "A UUID: required for submits, as the "
                                                             "Idempotency-Key header is for POST .../submit"})


class SyncSchema(StrictSchema):
    # Entries are checked one by one against SyncEntrySchema, so that a malformed entry is refused in its
    # own result (422) instead of failing the whole batch.
    audits = fields.List(fields.Dict(), required=True, validate=validate.Length(min=1, max=50), metadata={
        "description": "Up to 50 entries, each a SyncEntry; processed in order, each on its own"})


class SyncResultSchema(Schema):
    audit_id = fields.String(allow_none=True)
    status = fields.Integer(metadata={"description": "The HTTP status the single request would have given"})
    body = fields.Dict(metadata={"description": "Its body: the audit, or the standard error body"})
    etag = fields.String(metadata={"description": "The audit's new ETag after a draft or submit"})


class SyncResponseSchema(Schema):
    results = fields.List(fields.Nested(SyncResultSchema))


class ReturnSchema(StrictSchema):
    notes = fields.String(required=True, validate=validate.Length(min=1, max=4000))


class ApproveSchema(StrictSchema):
    notes = fields.String(validate=validate.Length(max=4000))


class AttachmentSchema(Schema):
    sha256 = fields.String()
    size = fields.Integer()
    content_type = fields.String()
    filename = fields.String(allow_none=True)
    created = fields.Boolean(metadata={"description": "false when the same file was already uploaded"})


class AttachmentUploadSchema(Schema):
    class Meta:
        unknown = RAISE

    sha256 = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-fA-F]{64}$"),
                           metadata={"description": "SHA-256 of the file, hex; the server verifies it"})
    file = Upload(required=True, metadata={"description": "JPEG, PNG, HEIC, PDF or M4A (checked from the "
                                                          "content); at most MAX_ATTACHMENT_BYTES"})


class FlagSchema(Schema):
    code = fields.String()
    message = fields.String()
    detail = fields.Dict()


class AuditSchema(Schema):
    """An audit as the caller may see it: fields the role must not see are left out (DESIGN 7)."""
    id = fields.String()
    status = fields.String()
    dealer_id = fields.Integer()
    wave_id = fields.Integer()
    checklist = fields.Nested(ChecklistRefSchema)
    shopper_id = fields.Integer()
    shopper_name = fields.String()
    visit_window_start = fields.Date()
    visit_window_end = fields.Date()
    visit = fields.Dict()
    submitted_at = fields.AwareDateTime(allow_none=True)
    published_at = fields.AwareDateTime(allow_none=True)
    review_notes = fields.String(allow_none=True)
    flags = fields.List(fields.Nested(FlagSchema))
    etag = fields.String()
    answers = fields.Dict()
    score = fields.Dict(allow_none=True)
    revised = fields.Boolean()
    under_dispute = fields.Boolean()
    items_under_dispute = fields.List(fields.String())


class AuditPageSchema(Schema):
    items = fields.List(fields.Nested(AuditSchema))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()


class EventSchema(Schema):
    id = fields.Integer()
    at = fields.AwareDateTime()
    actor_id = fields.Integer(allow_none=True)
    kind = fields.String()
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)
    note = fields.String(allow_none=True)


# --- scores -------------------------------------------------------------------------------------------

class WaveArgsSchema(Schema):
    class Meta:
        unknown = RAISE

    wave = fields.String(required=True, metadata={"description": "Wave code, e.g. 2026-Q3"})
    program = fields.String(validate=validate.Length(min=1, max=64), metadata={
        "description": "Checklist key, e.g. sales_visit: required when the wave ran more than one program"})


class PdfArgsSchema(Schema):
    class Meta:
        unknown = RAISE

    wave = fields.String(required=True, metadata={"description": "Wave code, e.g. 2026-Q3"})
    program = fields.String(validate=validate.Length(min=1, max=64), metadata={
        "description": "Checklist key, e.g. sales_visit: required when the wave ran more than one program"})
    lang = fields.String(load_default="both", validate=validate.OneOf(("zh", "en", "both")))


class ScoreSchema(Schema):
    audit_id = fields.String()
    version = fields.Integer()
    overall = fields.Float(allow_none=True)
    overall_raw = fields.Float(allow_none=True)
    sections = fields.Dict()
    dimensions = fields.Dict()
    knockouts = fields.List(fields.Dict())
    points_lost = fields.Dict()
    revised = fields.Boolean()
    original_overall = fields.Float(allow_none=True)
    computed_at = fields.AwareDateTime()


class ScorecardSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    dealer = fields.Dict()
    wave = fields.Dict()
    program = fields.Dict()
    score = fields.Dict()
    rank = fields.Dict(allow_none=True)
    change = fields.Dict(allow_none=True)
    change_too_few_visits = fields.Boolean()
    region = fields.Dict()
    nation = fields.Dict()
    sections = fields.List(fields.Dict())
    dimensions = fields.List(fields.Dict())
    gaps = fields.List(fields.Dict())
    trend = fields.List(fields.Dict())
    audits = fields.List(fields.Dict())
    revisions = fields.List(fields.Dict())
    disputes = fields.List(fields.Dict())


class LeaderboardSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    region = fields.Dict()
    wave = fields.Dict()
    program = fields.Dict()
    score = fields.Dict()
    nation = fields.Dict()
    trend = fields.List(fields.Dict())
    ranked = fields.List(fields.Dict())
    insufficient_sample = fields.List(fields.Dict())
    min_ranked = fields.Integer()
    gaps = fields.List(fields.Dict())
    sections = fields.List(fields.Dict())
    dimensions = fields.List(fields.Dict())
    movers = fields.List(fields.Dict())
    movers_too_few_visits = fields.List(fields.Dict())
    disputes = fields.Dict()


# --- disputes -----------------------------------------------------------------------------------------

class DisputeFileSchema(StrictSchema):
    item = fields.String(required=True, validate=validate.Length(min=1, max=64))
    claim = fields.String(required=True, validate=validate.Length(min=10, max=4000),
                          metadata={"description": "What happened, specifically and factually"})
    requested_outcome = fields.String(required=True, validate=validate.OneOf(("pass", "not_applicable")))
    evidence = fields.List(fields.String(validate=validate.Regexp(r"^[0-9a-f]{64}$")), load_default=list,
                           metadata={"description": "SHA-256 of files uploaded to the audit's attachments"})


class DisputeDecisionSchema(StrictSchema):
    outcome = fields.String(required=True, validate=validate.OneOf(("upheld", "partially_upheld", "rejected")))
    reason = fields.String(required=True, validate=validate.Length(min=5, max=4000))
    value = fields.Raw(metadata={"description": "The new answer value (partially_upheld only)"})


class DisputeEscalateSchema(StrictSchema):
    note = fields.String(required=True, validate=validate.Length(min=5, max=4000))


class DisputeListArgsSchema(Schema):
    class Meta:
        unknown = RAISE

    status = fields.String(validate=validate.OneOf(("open", "escalated", "upheld", "partially_upheld", "rejected")))
    audit_id = fields.UUID()
    dealer_id = fields.Integer()
    overdue = fields.Boolean(metadata={"description": "Only disputes past their decision deadline"})


class DisputeSchema(Schema):
    id = fields.Integer()
    audit_id = fields.String()
    dealer_id = fields.Integer()
    item = fields.String()
    item_text = fields.Dict()
    status = fields.String()
    claim = fields.String()
    requested_outcome = fields.String()
    evidence = fields.List(fields.String())
    filed_at = fields.AwareDateTime()
    filing_deadline = fields.AwareDateTime()
    qa_decision = fields.Dict(allow_none=True)
    escalation = fields.Dict(allow_none=True)
    final_decision = fields.Dict(allow_none=True)
    override = fields.Dict(allow_none=True)
    score_version = fields.Integer(allow_none=True)
    decision_due = fields.AwareDateTime(allow_none=True)
    overdue = fields.Boolean()


class DisputeStatsArgsSchema(WaveArgsSchema):
    region_id = fields.Integer()
