"""Request and response schemas of the HTTP API (they make the OpenAPI document)."""
from __future__ import annotations

from flask_smorest.fields import Upload
from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate, validates_schema

from ..constants import AUDIT_STATUSES, DISPUTE_OUTCOMES, DISPUTE_STATUSES, REPORT_LANGUAGES, REQUESTED_OUTCOMES, ROLES
from ..services.flags import FLAG_CODES
from .fields import Code, Day, EmailAddress, FreeJson, FreeObject, Int, Moment, Text


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


class TextSchema(StrictSchema):
    zh = Text(required=True)
    en = Text(required=True)


# --- auth -------------------------------------------------------------------------------------------

class LoginSchema(StrictSchema):
    email = Text(required=True, validate=validate.Length(min=3, max=254))
    password = Text(required=True, validate=validate.Length(min=1, max=1024), load_only=True)


class TokenSchema(Schema):
    access_token = Text()
    token_type = Text()
    expires_at = Moment()
    role = Text()


class MeSchema(Schema):
    id = Int()
    email = Text()
    display_name = Text()
    role = Text()
    dealer_id = Int(allow_none=True)
    region_ids = fields.Method("_region_ids")

    def _region_ids(self, user) -> list[int]:
        return [r.id for r in user.regions]


# --- administration -----------------------------------------------------------------------------------

class RegionSchema(StrictSchema):
    id = Int(dump_only=True)
    code = Code(required=True)
    name_zh = Text(required=True, validate=validate.Length(min=1, max=200))
    name_en = Text(required=True, validate=validate.Length(min=1, max=200))


class DealerSchema(StrictSchema):
    id = Int(dump_only=True)
    region_id = Int(required=True, strict=True)
    code = Code(required=True)
    name_zh = Text(required=True, validate=validate.Length(min=1, max=200))
    name_en = Text(required=True, validate=validate.Length(min=1, max=200))
    address = Text(allow_none=True, validate=validate.Length(max=500))
    latitude = fields.Float(allow_none=True, validate=validate.Range(-90, 90))
    longitude = fields.Float(allow_none=True, validate=validate.Range(-180, 180))
    timezone = Text(validate=validate.Length(min=1, max=64))


class UserCreateSchema(StrictSchema):
    email = EmailAddress(required=True)
    password = Text(required=True, load_only=True, validate=validate.Length(min=10, max=1024))
    role = Text(required=True, validate=validate.OneOf(ROLES))
    display_name = Text(load_default="", validate=validate.Length(max=200))
    dealer_id = Int(allow_none=True, load_default=None, strict=True)
    region_ids = fields.List(Int(strict=True), load_default=list)


class UserUpdateSchema(StrictSchema):
    password = Text(load_only=True, validate=validate.Length(min=10, max=1024))
    role = Text(validate=validate.OneOf(ROLES))
    display_name = Text(validate=validate.Length(max=200))
    active = fields.Boolean()
    dealer_id = Int(allow_none=True, strict=True)
    region_ids = fields.List(Int(strict=True))


class UserSchema(Schema):
    id = Int()
    email = Text()
    display_name = Text()
    role = Text()
    active = fields.Boolean()
    dealer_id = Int(allow_none=True)
    region_ids = fields.Method("_region_ids")

    def _region_ids(self, user) -> list[int]:
        return [r.id for r in user.regions]


class RevokedTokensSchema(Schema):
    revoked = fields.Integer(required=True, metadata={"description": "How many tokens were revoked"})


class WaveSchema(StrictSchema):
    id = Int(dump_only=True)
    code = Code(required=True)
    title_zh = Text(required=True, validate=validate.Length(min=1, max=200))
    title_en = Text(required=True, validate=validate.Length(min=1, max=200))
    starts_on = Day(required=True)
    ends_on = Day(required=True)

    @validates_schema
    def _period(self, data, **kwargs):
        if "starts_on" in data and "ends_on" in data and data["ends_on"] < data["starts_on"]:
            raise ValidationError("must not be before starts_on", "ends_on")


class ListArgsSchema(Schema):
    class Meta:
        unknown = EXCLUDE


# --- checklists ---------------------------------------------------------------------------------------

class ChecklistSummarySchema(Schema):
    key = Text()
    version = Int()
    title = fields.Nested(TextSchema)
    content_hash = Text()


class ChecklistDefinitionSchema(ChecklistSummarySchema):
    definition = fields.Dict(metadata={"description": "The validated checklist document (DESIGN 3)"})


# --- audits -------------------------------------------------------------------------------------------

class ChecklistRefSchema(StrictSchema):
    key = Text(required=True)
    version = Int(required=True, strict=True, validate=validate.Range(min=1))


class AssignSchema(StrictSchema):
    dealer_id = Int(required=True, strict=True)
    wave_id = Int(required=True, strict=True)
    checklist = fields.Nested(ChecklistRefSchema, required=True)
    shopper_id = Int(required=True, strict=True)
    visit_window_start = Day(required=True)
    visit_window_end = Day(required=True)

    @validates_schema
    def _window(self, data, **kwargs):
        if data.get("visit_window_end") and data.get("visit_window_start") \
                and data["visit_window_end"] < data["visit_window_start"]:
            raise ValidationError("must not be before visit_window_start", "visit_window_end")


class AuditListArgsSchema(Schema):
    class Meta:
        unknown = RAISE

    status = Text(validate=validate.OneOf(AUDIT_STATUSES))
    flag = Text(validate=validate.OneOf(FLAG_CODES), metadata={
        "description": "Only audits with this quality flag (QA and admin)"})
    wave_id = Int()
    dealer_id = Int()
    page = Int(load_default=1, validate=validate.Range(min=1))
    per_page = Int(load_default=50, validate=validate.Range(min=1, max=200))


class AnswerSchema(StrictSchema):
    value = FreeJson(allow_none=True)
    na = fields.Boolean()
    comment = Text(allow_none=True)
    attachments = fields.List(Text())


def answers_field() -> FreeObject:
    """Answers by item key. Each answer is checked against the checklist version (answer_problems), so
    that every problem is reported under its item key in one shape, rather than half of them by the schema."""
    return FreeObject(required=True, metadata={
        "description": "Answers by item key, each {value, na, comment, attachments: [sha256]} (DESIGN 4); "
                       "problems are reported per item key under errors.answers"})


class AnswersSchema(StrictSchema):
    answers = answers_field()


class GeoSchema(StrictSchema):
    latitude = fields.Float(required=True, validate=validate.Range(-90, 90))
    longitude = fields.Float(required=True, validate=validate.Range(-180, 180))
    accuracy_m = fields.Float(validate=validate.Range(min=0))


class VisitProofSchema(StrictSchema):
    started_at = Moment(required=True)
    ended_at = Moment(required=True)
    checkin = fields.Nested(GeoSchema, metadata={
        "description": "Required when the checklist's channel is visit; ignored for phone and online audits"})
    device_time = Moment(required=True, metadata={"description": "The phone's clock at submit"})

    @validates_schema
    def _order(self, data, **kwargs):
        if "started_at" in data and "ended_at" in data and data["ended_at"] < data["started_at"]:
            raise ValidationError("must not be before started_at", "ended_at")


class SubmitSchema(AnswersSchema):
    visit = fields.Nested(VisitProofSchema, required=True)


class SyncEntrySchema(StrictSchema):
    audit_id = fields.UUID(required=True)
    action = Text(required=True, validate=validate.OneOf(("draft", "submit")))
    answers = answers_field()
    visit = fields.Nested(VisitProofSchema, metadata={"description": "Required for submits"})
    if_match = Text(metadata={"description": "ETag of the draft the phone edited: required for drafts, "
                                                      "as If-Match is for PUT .../answers"})
    idempotency_key = Text(metadata={"description": "A UUID: required for submits, as the "
                                                             "Idempotency-Key header is for POST .../submit"})


class SyncSchema(StrictSchema):
    # Entries are checked one by one against SyncEntrySchema, so that a malformed entry is refused in its
    # own result (422) instead of failing the whole batch.
    audits = fields.List(fields.Dict(), required=True, validate=validate.Length(min=1, max=50), metadata={
        "description": "Up to 50 entries, each a SyncEntry; processed in order, each on its own"})


class SyncResultSchema(Schema):
    audit_id = Text(allow_none=True)
    status = Int(metadata={"description": "The HTTP status the single request would have given"})
    body = fields.Dict(metadata={"description": "Its body: the audit, or the standard error body"})
    etag = Text(metadata={"description": "The audit's new ETag after a draft or submit"})


class SyncResponseSchema(Schema):
    results = fields.List(fields.Nested(SyncResultSchema))


class ReturnSchema(StrictSchema):
    notes = Text(required=True, validate=validate.Length(min=1, max=4000))


class ApproveSchema(StrictSchema):
    notes = Text(validate=validate.Length(max=4000))


class AttachmentSchema(Schema):
    sha256 = Text()
    size = Int()
    content_type = Text()
    filename = Text(allow_none=True)
    created = fields.Boolean(metadata={"description": "false when the same file was already uploaded"})


class AttachmentUploadSchema(Schema):
    class Meta:
        unknown = RAISE

    sha256 = Text(required=True, validate=validate.Regexp(r"^[0-9a-fA-F]{64}$"),
                           metadata={"description": "SHA-256 of the file, hex; the server verifies it"})
    file = Upload(required=True, metadata={"description": "JPEG, PNG, HEIC, PDF or M4A (checked from the "
                                                          "content); at most MAX_ATTACHMENT_BYTES"})


class FlagSchema(Schema):
    code = Text(metadata={"description": "Stable: " + ", ".join(FLAG_CODES)})
    message = Text(metadata={"description": "In English (as messages.en)"})
    messages = fields.Nested(TextSchema, metadata={"description": "The message in Chinese and English"})
    detail = fields.Dict()


class AuditSchema(Schema):
    """An audit as the caller may see it: fields the role must not see are left out (DESIGN 7)."""
    id = Text()
    status = Text()
    dealer_id = Int()
    wave_id = Int()
    checklist = fields.Nested(ChecklistRefSchema)
    shopper_id = Int()
    shopper_name = Text()
    visit_window_start = Day()
    visit_window_end = Day()
    visit = fields.Dict()
    submitted_at = Moment(allow_none=True)
    published_at = Moment(allow_none=True)
    review_notes = Text(allow_none=True)
    flags = fields.List(fields.Nested(FlagSchema))
    etag = Text()
    answers = fields.Dict()
    score = fields.Dict(allow_none=True)
    revised = fields.Boolean()
    under_dispute = fields.Boolean()
    items_under_dispute = fields.List(Text())


class AuditPageSchema(Schema):
    items = fields.List(fields.Nested(AuditSchema))
    page = Int()
    per_page = Int()
    total = Int()


class EventSchema(Schema):
    id = Int()
    at = Moment()
    actor_id = Int(allow_none=True)
    kind = Text()
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)
    note = Text(allow_none=True)


# --- scores -------------------------------------------------------------------------------------------

class WaveArgsSchema(Schema):
    class Meta:
        unknown = RAISE

    wave = Text(required=True, metadata={"description": "Wave code, e.g. 2026-Q3"})
    program = Text(validate=validate.Length(min=1, max=64), metadata={
        "description": "Checklist key, e.g. sales_visit: required when the wave ran more than one program"})


class PdfArgsSchema(Schema):
    class Meta:
        unknown = RAISE

    wave = Text(required=True, metadata={"description": "Wave code, e.g. 2026-Q3"})
    program = Text(validate=validate.Length(min=1, max=64), metadata={
        "description": "Checklist key, e.g. sales_visit: required when the wave ran more than one program"})
    lang = Text(load_default="both", validate=validate.OneOf(REPORT_LANGUAGES))


class ScoreSchema(Schema):
    audit_id = Text()
    version = Int()
    overall = fields.Float(allow_none=True)
    overall_raw = fields.Float(allow_none=True)
    sections = fields.Dict()
    dimensions = fields.Dict()
    knockouts = fields.List(fields.Dict())
    points_lost = fields.Dict()
    knockout_cost = fields.Dict(keys=fields.String(), values=fields.Float(), metadata={
        "description": "Points of the overall each failed knock-out item cost (DESIGN 4): "
                       "overall + Σ points_lost + Σ knockout_cost = 100"})
    revised = fields.Boolean()
    original_overall = fields.Float(allow_none=True)
    computed_at = Moment()


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
    min_ranked = Int()
    gaps = fields.List(fields.Dict())
    sections = fields.List(fields.Dict())
    dimensions = fields.List(fields.Dict())
    movers = fields.List(fields.Dict())
    movers_too_few_visits = fields.List(fields.Dict())
    disputes = fields.Dict()


# --- disputes -----------------------------------------------------------------------------------------

class DisputeFileSchema(StrictSchema):
    item = Text(required=True, validate=validate.Length(min=1, max=64))
    claim = Text(required=True, validate=validate.Length(min=10, max=4000),
                          metadata={"description": "What happened, specifically and factually"})
    requested_outcome = Text(required=True, validate=validate.OneOf(REQUESTED_OUTCOMES))
    evidence = fields.List(Text(validate=validate.Regexp(r"^[0-9a-f]{64}$")), load_default=list,
                           metadata={"description": "SHA-256 of files uploaded to the audit's attachments"})


class DisputeDecisionSchema(StrictSchema):
    outcome = Text(required=True, validate=validate.OneOf(DISPUTE_OUTCOMES))
    reason = Text(required=True, validate=validate.Length(min=5, max=4000))
    value = FreeJson(metadata={"description": "The new answer value (partially_upheld only)"})


class DisputeEscalateSchema(StrictSchema):
    note = Text(required=True, validate=validate.Length(min=5, max=4000))


class DisputeListArgsSchema(Schema):
    class Meta:
        unknown = RAISE

    status = Text(validate=validate.OneOf(DISPUTE_STATUSES))
    audit_id = fields.UUID()
    dealer_id = Int()
    overdue = fields.Boolean(metadata={"description": "Only disputes past their decision deadline"})


class DisputeSchema(Schema):
    id = Int()
    audit_id = Text()
    dealer_id = Int()
    item = Text()
    item_text = fields.Dict()
    status = Text()
    claim = Text()
    requested_outcome = Text()
    evidence = fields.List(Text())
    filed_at = Moment()
    filing_deadline = Moment()
    qa_decision = fields.Dict(allow_none=True)
    escalation = fields.Dict(allow_none=True)
    final_decision = fields.Dict(allow_none=True)
    override = fields.Dict(allow_none=True)
    score_version = Int(allow_none=True)
    decision_due = Moment(allow_none=True)
    overdue = fields.Boolean()


class DisputeStatsArgsSchema(WaveArgsSchema):
    region_id = Int()
