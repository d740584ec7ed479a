"""Request and response schemas of the HTTP API (they make the OpenAPI document)."""
from __future__ import annotations

from flask_smorest.fields import Upload
from marshmallow import (
    EXCLUDE,
    RAISE,
    Schema,
    ValidationError,
    fields,
    validate,
    validates_schema,
)

from ..constants import (
    ACTION_ORIGINS,
    ACTION_STATUSES,
    ACTION_VERDICTS,
    AUDIT_STATUSES,
    DISPUTE_OUTCOMES,
    DISPUTE_STATUSES,
    REPORT_LANGUAGES,
    REQUESTED_OUTCOMES,
    ROLES,
)
from ..constants import DISPUTE_CLAIM_LENGTH as CLAIM_LENGTH
from ..constants import ESCALATION_NOTE_LENGTH as NOTE_LENGTH
from ..messages import Message
from ..services.audits import AUDIT_SORTS
from ..services.flags import FLAG_CODES
from .fields import Code, Day, EmailAddress, FreeJson, FreeObject, Int, Moment, Text, TextMap


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
    access_token = Text(required=True)
    token_type = Text(required=True, metadata={"description": "Always Bearer"})
    expires_at = Moment(required=True)
    role = Text(required=True, validate=validate.OneOf(ROLES))


class _IdSchema(Schema):
    id = Int()


def region_ids_field() -> fields.Pluck:
    return fields.Pluck(_IdSchema, "id", many=True, attribute="regions",
                        metadata={"description": "The regions a manager sees (empty for other roles)"})


class MeSchema(Schema):
    id = Int()
    email = Text()
    display_name = Text()
    role = Text(validate=validate.OneOf(ROLES))
    dealer_id = Int(allow_none=True)
    region_ids = region_ids_field()


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
    role = Text(validate=validate.OneOf(ROLES))
    active = fields.Boolean()
    dealer_id = Int(allow_none=True)
    region_ids = region_ids_field()


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
            raise ValidationError(Message("field.not_before", other="starts_on"), "ends_on")


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
    definition = fields.Dict(keys=fields.String(), metadata={
        "description": "The validated checklist document (DESIGN 3): sections, items, dimensions, weights"})


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
            raise ValidationError(Message("field.not_before", other="visit_window_start"), "visit_window_end")


class AuditListArgsSchema(Schema):
    class Meta:
        unknown = RAISE

    status = Text(validate=validate.OneOf(AUDIT_STATUSES))
    flag = Text(validate=validate.OneOf(FLAG_CODES), metadata={
        "description": "Only audits with this quality flag (QA and admin)"})
    wave_id = Int()
    dealer_id = Int()
    shopper_id = Int(metadata={"description": "Only this shopper's audits (QA and admin)"})
    submitted_from = Day(metadata={"description": "Submitted on or after this day (in DEFAULT_TIMEZONE)"})
    submitted_to = Day(metadata={"description": "Submitted on or before this day (in DEFAULT_TIMEZONE)"})
    sort = Text(validate=validate.OneOf(AUDIT_SORTS), metadata={
        "description": "Order by submission time, dealer code, shopper or number of quality flags (ties by "
                       "submission time); without it, by visit window"})
    order = Text(load_default="asc", validate=validate.OneOf(("asc", "desc")))
    page = Int(load_default=1, validate=validate.Range(min=1))
    per_page = Int(load_default=50, validate=validate.Range(min=1, max=200))

    @validates_schema
    def _dates_in_order(self, data, **kwargs):
        if data.get("submitted_from") and data.get("submitted_to") and data["submitted_to"] < data["submitted_from"]:
            raise ValidationError(Message("field.not_before", other="submitted_from"), "submitted_to")


class AnswerSchema(StrictSchema):
    value = FreeJson(allow_none=True)
    na = fields.Boolean()
    comment = Text(allow_none=True)
    attachments = fields.List(Text())


def answer_value(description: str, *, nullable: bool = False) -> FreeJson:
    """An answer's value: text (yes/no, a choice's key, free text) or a number (scales, measured values);
    which one the item takes is checked against its checklist."""
    kinds = [{"type": kind, **({"nullable": True} if nullable else {})} for kind in ("string", "number")]
    return FreeJson(metadata={"description": description, "anyOf": kinds})


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
            raise ValidationError(Message("field.not_before", other="started_at"), "ended_at")


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
    audit_id = Text(allow_none=True, metadata={"description": "null when the entry had no valid audit_id"})
    status = Int(required=True, metadata={"description": "The HTTP status the single request would have given"})
    body = fields.Dict(required=True, metadata={
        "description": "Its body: the audit, or the standard error body",
        "oneOf": [{"$ref": "#/components/schemas/Audit"}, {"$ref": "#/components/schemas/Error"}]})
    etag = Text(metadata={"description": "The audit's new ETag after a draft or submit"})


class SyncResponseSchema(Schema):
    results = fields.List(fields.Nested(SyncResultSchema))


class ReturnSchema(StrictSchema):
    notes = Text(required=True, validate=validate.Length(min=1, max=4000))
    item_notes = TextMap(metadata={
        "description": "Optional notes on single items, by item key of the audit's checklist (1-4000 "
                       "characters each): the shopper sees each at its item; an unknown key is 422 under "
                       "errors.item_notes.<key>. They replace those of an earlier return."})


class ApproveSchema(StrictSchema):
    notes = Text(validate=validate.Length(max=4000))


class AttachmentSchema(Schema):
    sha256 = Text(required=True)
    size = Int(required=True)
    content_type = Text(required=True)
    filename = Text(allow_none=True)
    created = fields.Boolean(required=True, metadata={"description": "false when the same file was already uploaded"})


class AttachmentUploadSchema(Schema):
    class Meta:
        unknown = RAISE

    sha256 = Text(required=True, validate=validate.Regexp(r"^[0-9a-fA-F]{64}$"),
                           metadata={"description": "SHA-256 of the file, hex; the server verifies it"})
    file = Upload(required=True, metadata={"description": "JPEG, PNG, HEIC, PDF or M4A (checked from the "
                                                          "content); at most MAX_ATTACHMENT_BYTES"})


class FlagSchema(Schema):
    code = Text(required=True, metadata={"description": "Stable: " + ", ".join(FLAG_CODES)})
    message = Text(required=True, metadata={"description": "In the language negotiated by Accept-Language (as "
                                                           "messages.zh or messages.en)"})
    messages = fields.Nested(TextSchema, required=True, metadata={"description": "The message in Chinese and English"})
    detail = fields.Dict(keys=fields.String(), required=True,
                         metadata={"description": "The measured values behind the flag (depend on the code)"})


class AnswerOutSchema(Schema):
    value = answer_value(description="Absent when N/A or not answered")
    na = fields.Boolean()
    comment = Text()
    attachments = fields.List(Text(), metadata={"description": "SHA-256 of the evidence files"})


class CheckinSchema(Schema):
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)
    accuracy_m = fields.Float(allow_none=True)


class VisitSchema(Schema):
    started_at = Moment(required=True)
    ended_at = Moment(allow_none=True)
    checkin = fields.Nested(CheckinSchema, metadata={"description": "For those who see the plan (QA, admin, "
                                                                     "the shopper)"})


class KnockoutSchema(Schema):
    item = Text(required=True)
    scope = Text(required=True, validate=validate.OneOf(("audit", "section")))
    section = Text(allow_none=True)


def _by_key(description: str, *, nullable: bool = False) -> fields.Dict:
    return fields.Dict(keys=fields.String(), values=fields.Float(allow_none=nullable), required=True,
                       metadata={"description": description})


class ScoreSchema(Schema):
    audit_id = Text(required=True)
    version = Int(required=True, metadata={"description": "1 as approved; each upheld dispute adds one"})
    overall = fields.Float(allow_none=True, required=True,
                           metadata={"description": "0-100 after knock-outs; null when nothing was scored"})
    overall_raw = fields.Float(allow_none=True, required=True, metadata={"description": "Before knock-outs"})
    sections = _by_key("Score 0-100 by section key; null for a section with nothing scored", nullable=True)
    dimensions = _by_key("Score 0-100 by SERVQUAL dimension")
    knockouts = fields.List(fields.Nested(KnockoutSchema), required=True)
    points_lost = _by_key("Points of the overall each item lost (DESIGN 4)")
    knockout_cost = _by_key("Points of the overall each failed knock-out item cost (DESIGN 4): "
                            "overall + Σ points_lost + Σ knockout_cost = 100")
    revised = fields.Boolean(required=True)
    original_overall = fields.Float(allow_none=True, required=True, metadata={"description": "Version 1's overall"})
    computed_at = Moment(required=True)


class AuditDealerSchema(Schema):
    """The dealer to visit, for those who see the plan (the shopper, QA, admin)."""
    code = Text()
    name = fields.Nested(TextSchema)
    address = Text(allow_none=True)
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)
    timezone = Text()


class AuditSchema(Schema):
    """An audit as the caller may see it: fields the role must not see are left out (DESIGN 7)."""
    id = Text(required=True)
    status = Text(required=True, validate=validate.OneOf(AUDIT_STATUSES))
    dealer_id = Int(required=True)
    dealer = fields.Nested(AuditDealerSchema)
    wave_id = Int(required=True)
    checklist = fields.Nested(ChecklistRefSchema, required=True)
    shopper_id = Int()
    shopper_name = Text()
    visit_window_start = Day()
    visit_window_end = Day()
    visit = fields.Nested(VisitSchema, metadata={"description": "Once the visit is submitted"})
    submitted_at = Moment(allow_none=True)
    published_at = Moment(allow_none=True, required=True)
    review_notes = Text(allow_none=True)
    review_item_notes = fields.Dict(keys=fields.String(), values=Text(), metadata={
        "description": "QA's notes on single items at the last return, by item key in the checklist's "
                       "order (empty when none); for those who see the plan, as review_notes"})
    flags = fields.List(fields.Nested(FlagSchema))
    etag = Text()
    answers = fields.Dict(keys=fields.String(), values=fields.Nested(AnswerOutSchema),
                          metadata={"description": "Answers by item key (reading one audit)"})
    score = fields.Nested(ScoreSchema, metadata={"description": "The latest score version, for those who "
                                                                "may see scores"})
    revised = fields.Boolean()
    under_dispute = fields.Boolean()
    items_under_dispute = fields.List(Text())


class AuditPageSchema(Schema):
    items = fields.List(fields.Nested(AuditSchema))
    page = Int()
    per_page = Int()
    total = Int()


class EventSchema(Schema):
    id = Int(required=True)
    at = Moment(required=True)
    actor_id = Int(allow_none=True, required=True, metadata={"description": "null for the system"})
    kind = Text(required=True, metadata={"description": "e.g. assigned, submitted, approved, dispute_filed"})
    before = fields.Dict(keys=fields.String(), allow_none=True, required=True,
                         metadata={"description": "The changed fields before (depend on the kind)"})
    after = fields.Dict(keys=fields.String(), allow_none=True, required=True,
                        metadata={"description": "The changed fields after"})
    note = Text(allow_none=True, required=True)


# --- scores -------------------------------------------------------------------------------------------

class ProgramArgsSchema(Schema):
    class Meta:
        unknown = RAISE

    program = Text(validate=validate.Length(min=1, max=64), metadata={
        "description": "Checklist key, e.g. sales_visit: required when the wave ran more than one program"})


class WaveArgsSchema(ProgramArgsSchema):
    wave = Text(required=True, metadata={"description": "Wave code, e.g. 2026-Q3"})


class PdfArgsSchema(Schema):
    class Meta:
        unknown = RAISE

    wave = Text(required=True, metadata={"description": "Wave code, e.g. 2026-Q3"})
    program = Text(validate=validate.Length(min=1, max=64), metadata={
        "description": "Checklist key, e.g. sales_visit: required when the wave ran more than one program"})
    lang = Text(load_default="both", validate=validate.OneOf(REPORT_LANGUAGES))


# Figures: dealer scorecards, region leaderboards (services/figures) and dispute statistics, typed to the
# last key: a response key without its field here would be dropped from the API without a word
# (tests/api/test_figures_schemas.py). Numbers are full precision, `*_printed` the one-decimal values a
# reader compares; dates are the dealer's local dates (YYYY-MM-DD).

def _number(description: str | None = None, *, nullable: bool = False) -> fields.Float:
    return fields.Float(required=True, allow_none=nullable,
                        metadata={"description": description} if description else {})


def _count(description: str | None = None, *, nullable: bool = False) -> Int:
    return Int(required=True, allow_none=nullable, metadata={"description": description} if description else {})


def _text(description: str | None = None, *, nullable: bool = False) -> Text:
    return Text(required=True, allow_none=nullable, metadata={"description": description} if description else {})


def _texts(*, nullable: bool = False) -> fields.Nested:
    return fields.Nested(TextSchema, required=True, allow_none=nullable)


def _local_day(description: str, *, nullable: bool = True) -> Text:
    return _text(f"{description} (the dealer's local date, YYYY-MM-DD)", nullable=nullable)


def _section_numbers(description: str, values: fields.Field) -> fields.Dict:
    return fields.Dict(keys=Text(), values=values, required=True, metadata={"description": description})


class DealerRefSchema(Schema):
    id = Int(required=True)
    code = Text(required=True)
    name = fields.Nested(TextSchema, required=True)
    region_id = Int(required=True)


class RegionRefSchema(Schema):
    id = Int(required=True)
    code = Text(required=True)
    name = _texts()


class WaveRefSchema(Schema):
    id = Int(required=True)
    code = Text(required=True)
    title = _texts()
    starts_on = _text("YYYY-MM-DD")
    ends_on = _text("YYYY-MM-DD")


class ProgramRefSchema(Schema):
    key = _text("The checklist key of the program")
    title = _texts()


class SpreadSchema(Schema):
    sd = _number("Pooled within-dealer standard deviation of the audit scores")
    df = _count("Its degrees of freedom")


class WaveScoreFields(Schema):
    mean = _number(nullable=True)
    printed = _number("The mean to one decimal, as printed and ranked", nullable=True)
    n = _count("Scored audits")
    lo = _number("90% interval, lower end (none below the minimum sample)", nullable=True)
    hi = _number("90% interval, upper end", nullable=True)


class NationFiguresSchema(Schema):
    mean = _number(nullable=True)
    printed = _number(nullable=True)
    dealers = _count()


class ComparisonRowSchema(Schema):
    key = _text()
    title = _texts()
    score = _number(nullable=True)
    n = _count()
    region = _number(nullable=True)
    nation = _number(nullable=True)


class ItemGapFields(Schema):
    mean_points_lost = _number("Raw points lost, mean over the scope's scored audits")
    mean_knockout_cost = _number("Points the item's knock-out took, mean over the same audits")
    mean_points_lost_total = _number()
    failed = _count()
    n = _count()
    fully_met = _count()
    partly_met = _count()
    not_met = _count()


class ItemInfoSchema(Schema):
    """What the checklist says of an item; only `text` is sure for an item no longer in the checklists."""
    text = _texts()
    section = Text()
    section_title = fields.Nested(TextSchema)
    dimension = Text(allow_none=True)
    owner = Text(allow_none=True)
    owner_text = fields.Nested(TextSchema, allow_none=True)
    gap = Int(allow_none=True, metadata={"description": "Five-gap model gap"})
    action = fields.Nested(TextSchema, allow_none=True)
    standard = fields.Nested(TextSchema, allow_none=True)
    critical = Text()


class GapRowSchema(ItemGapFields):
    item = _text()
    info = fields.Nested(ItemInfoSchema, required=True)
    knockout = fields.Boolean(required=True)
    region = fields.Nested(ItemGapFields, required=True, allow_none=True)
    nation = fields.Nested(ItemGapFields, required=True, allow_none=True)
    dimension_title = _texts()
    owner_title = _texts(nullable=True)


class TrendPointSchema(Schema):
    wave = fields.Nested(WaveRefSchema, required=True)
    score = _number(nullable=True)
    printed = _number(nullable=True)
    n = _count(nullable=True)
    region = _number(nullable=True)
    region_printed = _number(nullable=True)
    nation = _number(nullable=True)
    nation_printed = _number(nullable=True)


class WaveChangeFields(Schema):
    previous_wave = _text()
    previous = _number(nullable=True)
    previous_printed = _number(nullable=True)
    previous_n = _count()
    current = _number(nullable=True)
    current_printed = _number(nullable=True)
    current_n = _count()
    change = _number("Difference of the printed means")
    change_exact = _number()
    change_lo = _number("90% interval of the exact change")
    change_hi = _number()
    change_lo_printed = _number(nullable=True)
    change_hi_printed = _number(nullable=True)
    verdict = _text("up, down or no_clear_change")
    clear = fields.Boolean(required=True)


class RankSchema(Schema):
    rank = _count()
    of = _count()
    best = _count("Best plausible rank")
    worst = _count("Worst plausible rank")
    range_spans_ranks = fields.Boolean(required=True)
    not_significantly_different_from = fields.List(Text(), required=True, metadata={"description": "Dealer codes"})


# --- the dealer scorecard

class ScorecardDealerSchema(DealerRefSchema):
    timezone = _text()


class ScorecardScoreSchema(WaveScoreFields):
    band = _text("green, amber or red", nullable=True)
    min_ranked = _count()
    insufficient_sample = fields.Boolean(required=True)
    spread = fields.Nested(SpreadSchema, required=True, allow_none=True)


class KnockoutShareSchema(Schema):
    item = _text()
    item_text = _texts()
    scope = _text()
    points = _number("The part of the dealer's mean the knock-out took: its audit's cost / n")
    visit_number = _count()


class ScorecardRegionSchema(RegionRefSchema):
    mean = _number(nullable=True)
    printed = _number(nullable=True)
    dealers = _count()


class ScorecardSectionSchema(ComparisonRowSchema):
    knockouts = _count("The dealer's visits in which a knock-out zeroed the section")


class ScorecardGapSchema(GapRowSchema):
    observed = fields.List(Text(), required=True, metadata={"description": "What the shoppers wrote (text only)"})


class StrengthScopeSchema(ItemGapFields):
    fully_met_share = _number(nullable=True)


class StrengthSchema(Schema):
    item = _text()
    info = fields.Nested(ItemInfoSchema, required=True)
    fully_met = _count()
    n = _count()
    region = fields.Nested(StrengthScopeSchema, required=True)
    nation = fields.Nested(StrengthScopeSchema, required=True, allow_none=True)


class AuditKnockoutSchema(Schema):
    item = _text()
    scope = _text()
    section = _text(nullable=True)
    item_text = _texts()
    cost = _number("Points the knock-out took from the visit's score")


class ScorecardAuditSchema(Schema):
    id = _text()
    visit_number = _count()
    visited_on = _local_day("The visit")
    overall = _number(nullable=True)
    overall_raw = _number(nullable=True)
    sections = _section_numbers("Section scores by section key", fields.Float(allow_none=True))
    knockouts = fields.List(fields.Nested(AuditKnockoutSchema), required=True)
    version = _count()
    revised = fields.Boolean(required=True)
    original_overall = _number(nullable=True)
    under_dispute = fields.Boolean(required=True)
    items_under_dispute = fields.List(Text(), required=True)
    dispute_status = _text("none, open, escalated or decided")
    dispute_deadline = _local_day("The last day the dealer may dispute the visit")


class RevisionSourceSchema(Schema):
    id = _count()
    item = _text()
    outcome = _text(nullable=True)
    by = _text("qa or manager")
    reason = _text(nullable=True)


class RevisionSchema(ScorecardAuditSchema):
    reason = _text(nullable=True)
    revised_on = _local_day("The revision")
    dispute = fields.Nested(RevisionSourceSchema, required=True, allow_none=True)


class OutcomeSchema(Schema):
    outcome = _text()
    reason = _text(nullable=True)


class EscalationNoteSchema(Schema):
    on = _local_day("The escalation")
    note = _text(nullable=True)


class ScorecardDisputeSchema(Schema):
    id = _count()
    audit_id = _text()
    item = _text()
    item_text = _texts()
    status = _text()
    requested_outcome = _text()
    claim = _text()
    decision = _text(nullable=True)
    filed_on = _local_day("Filing")
    decided_on = _local_day("The latest decision")
    escalated = fields.Boolean(required=True)
    qa_decision = fields.Nested(OutcomeSchema, required=True, allow_none=True)
    escalation = fields.Nested(EscalationNoteSchema, required=True, allow_none=True)
    final_decision = fields.Nested(OutcomeSchema, required=True, allow_none=True)
    new_value = FreeJson(required=True, allow_none=True, metadata={
        "description": "The answer value a partly upheld dispute set", "anyOf": [
            {"type": kind, "nullable": True} for kind in ("string", "number")]})
    score_version = _count(nullable=True)


class DisputeRatesFields(Schema):
    audits = Int(required=True, metadata={"description": "Published audits"})
    disputes = Int(required=True)
    disputed_audits = Int(required=True)
    dispute_rate = fields.Float(allow_none=True, required=True, metadata={
        "description": "Share of the audits with at least one dispute"})
    decided = Int(required=True)
    upheld = Int(required=True, metadata={"description": "Upheld in full or in part"})
    uphold_rate = fields.Float(allow_none=True, required=True, metadata={
        "description": "Share of the decided disputes that were upheld"})
    open = Int(required=True)


class DealerDisputeRatesSchema(DisputeRatesFields):
    dealer = fields.Nested(DealerRefSchema, required=True)


class ItemDisputeRatesSchema(DisputeRatesFields):
    item = Text(required=True)
    item_text = fields.Nested(TextSchema, required=True)


class ShopperDisputeRatesSchema(DisputeRatesFields):
    shopper_id = Int(required=True)


class DisputeStatsSchema(Schema):
    program = fields.Nested(ProgramRefSchema, required=True)
    overall = fields.Nested(DisputeRatesFields, required=True)
    dealers = fields.List(fields.Nested(DealerDisputeRatesSchema), required=True)
    items = fields.List(fields.Nested(ItemDisputeRatesSchema), required=True)
    shoppers = fields.List(fields.Nested(ShopperDisputeRatesSchema), metadata={
        "description": "The agency only (QA, admin): disputes by the shopper of the audit"})


# --- corrective action plans in the scorecard and the leaderboard (services/actions)

class ScorecardActionSchema(Schema):
    id = _count()
    wave = _text("The code of the wave that raised it")
    item = _text()
    item_text = _texts()
    origin = Text(required=True, validate=validate.OneOf(ACTION_ORIGINS))
    status = Text(required=True, validate=validate.OneOf(ACTION_STATUSES))
    owner = _text(nullable=True)
    owner_title = _texts(nullable=True)
    due_on = _local_day("The plan's due date, else the latest allowed", nullable=False)
    overdue = fields.Boolean(required=True)
    points_lost_total = _number("Mean points lost L + K that raised it")
    verification = Text(required=True, allow_none=True, validate=validate.OneOf(ACTION_VERDICTS))
    verified_visits = _count("Visits of the verifying wave that scored the item", nullable=True)
    verified_fully_met = _count("Of which fully met", nullable=True)


class ScorecardActionsSchema(Schema):
    open = fields.List(fields.Nested(ScorecardActionSchema), required=True, metadata={
        "description": "Actions of the program not accepted yet, overdue ones first"})
    overdue = _count()
    verified = fields.List(fields.Nested(ScorecardActionSchema), required=True, metadata={
        "description": "Actions of earlier waves verified by this wave's visits"})


class ActionPlanCountsFields(Schema):
    actions = _count("Actions raised in this wave")
    open = _count()
    planned = _count()
    submitted = _count()
    accepted = _count()
    returned = _count()
    overdue = _count()
    effective = _count("Actions of earlier waves this wave verified as effective")
    not_effective = _count()


class ActionPlanDealerSchema(ActionPlanCountsFields):
    dealer = fields.Nested(DealerRefSchema, required=True)


class ActionPlanStatusSchema(Schema):
    dealers = fields.List(fields.Nested(ActionPlanDealerSchema), required=True)
    totals = fields.Nested(ActionPlanCountsFields, required=True)


class ScorecardSchema(Schema):
    dealer = fields.Nested(ScorecardDealerSchema, required=True)
    wave = fields.Nested(WaveRefSchema, required=True)
    program = fields.Nested(ProgramRefSchema, required=True)
    score = fields.Nested(ScorecardScoreSchema, required=True)
    rank = fields.Nested(RankSchema, required=True, allow_none=True)
    nation_rank = fields.Nested(RankSchema, required=True, allow_none=True)
    knockout_summary = fields.List(fields.Nested(KnockoutShareSchema), required=True)
    change = fields.Nested(WaveChangeFields, required=True, allow_none=True)
    change_too_few_visits = fields.Boolean(required=True)
    region = fields.Nested(ScorecardRegionSchema, required=True)
    nation = fields.Nested(NationFiguresSchema, required=True)
    sections = fields.List(fields.Nested(ScorecardSectionSchema), required=True)
    dimensions = fields.List(fields.Nested(ComparisonRowSchema), required=True)
    gaps = fields.List(fields.Nested(ScorecardGapSchema), required=True)
    strengths = fields.List(fields.Nested(StrengthSchema), required=True)
    trend = fields.List(fields.Nested(TrendPointSchema), required=True)
    audits = fields.List(fields.Nested(ScorecardAuditSchema), required=True)
    revisions = fields.List(fields.Nested(RevisionSchema), required=True)
    disputes = fields.List(fields.Nested(ScorecardDisputeSchema), required=True)
    actions = fields.Nested(ScorecardActionsSchema, required=True)


# --- the region leaderboard

class NationScoreSchema(Schema):
    mean = _number(nullable=True)
    printed = _number(nullable=True)
    band = _text(nullable=True)
    dealers = _count()
    audits = _count()
    spread = fields.Nested(SpreadSchema, required=True, allow_none=True)


class LeaderboardScoreSchema(NationScoreSchema):
    vs_nation = _number("Printed difference from the nation", nullable=True)


class RegionTrendPointSchema(TrendPointSchema):
    dealers = _count()
    change = _number("Printed change from the wave before", nullable=True)


class RegionRankSchema(Schema):
    rank = _count()
    of = _count()


class RegionRowSchema(Schema):
    region = fields.Nested(RegionRefSchema, required=True)
    mean = _number(nullable=True)
    printed = _number(nullable=True)
    band = _text(nullable=True)
    dealers = _count()
    audits = _count()
    rank = _count(nullable=True)
    previous_wave = _text(nullable=True)
    previous = _number(nullable=True)
    previous_printed = _number(nullable=True)
    change = _number(nullable=True)


class LeaderboardDealerSchema(WaveScoreFields):
    dealer_id = _count()
    dealer = fields.Nested(DealerRefSchema, required=True)
    band = _text(nullable=True)
    sections = _section_numbers("Section means by section key", fields.Float(allow_none=True))
    section_knockouts = _section_numbers("Visits in which a knock-out zeroed the section", Int())
    audit_knockouts = _count("Visits an audit-scope knock-out zeroed")


class RankedDealerSchema(LeaderboardDealerSchema):
    rank = _count()
    best = _count()
    worst = _count()
    range_spans_ranks = fields.Boolean(required=True)
    overlaps = fields.List(Text(), required=True, metadata={"description": "Codes of the dealers not "
                                                                             "significantly different"})


class PrintedLostFields(Schema):
    lost_printed = _number(nullable=True)
    raw_printed = _number(nullable=True)
    knockout_printed = _number(nullable=True)


class GapDriverSchema(ItemGapFields, PrintedLostFields):
    dealer = fields.Nested(DealerRefSchema, required=True)


class RegionGapSchema(GapRowSchema, PrintedLostFields):
    drivers = fields.List(fields.Nested(GapDriverSchema), required=True)


class BreachSchema(Schema):
    dealer = fields.Nested(DealerRefSchema, required=True)
    visited_on = _local_day("The visit")
    item = _text()
    item_text = _texts()
    owner = _text(nullable=True)
    owner_title = _texts(nullable=True)
    knockout_cost = _number(nullable=True)
    knockout_cost_printed = _number(nullable=True)


class StandardIssueSchema(Schema):
    item = _text()
    item_text = _texts()
    section_title = _texts()
    owner = _text(nullable=True)
    owner_title = _texts(nullable=True)
    action = _texts(nullable=True)
    dealers_not_met = _count()
    dealers = _count()
    dealer_codes = fields.List(Text(), required=True)


class MoverSchema(WaveChangeFields):
    dealer = fields.Nested(DealerRefSchema, required=True)


class TooFewVisitsSchema(Schema):
    dealer = fields.Nested(DealerRefSchema, required=True)
    previous_wave = _text()
    previous_n = _count()
    current_n = _count()


class OverdueDisputeSchema(Schema):
    dealer = fields.Nested(DealerRefSchema, required=True)
    item = _text()
    item_text = _texts()
    status = _text()
    escalated = fields.Boolean(required=True)
    filed_on = _local_day("Filing")
    due_on = _local_day("The last day of the decision deadline", nullable=False)


class OpenDisputesSchema(Schema):
    open = _count()
    escalated = _count()
    waiting = _count()
    overdue = _count()
    overdue_list = fields.List(fields.Nested(OverdueDisputeSchema), required=True)


class LeaderboardSchema(Schema):
    region = fields.Nested(RegionRefSchema, required=True)
    wave = fields.Nested(WaveRefSchema, required=True)
    program = fields.Nested(ProgramRefSchema, required=True)
    score = fields.Nested(LeaderboardScoreSchema, required=True)
    nation = fields.Nested(NationFiguresSchema, required=True)
    trend = fields.List(fields.Nested(RegionTrendPointSchema), required=True)
    region_rank = fields.Nested(RegionRankSchema, required=True, allow_none=True, metadata={
        "description": "Rank among the regions of the wave's program"})
    regions = fields.List(fields.Nested(RegionRowSchema), required=True, metadata={
        "description": "Every region of the wave's program: score, dealers, rank, change since the previous wave"})
    ranked = fields.List(fields.Nested(RankedDealerSchema), required=True)
    insufficient_sample = fields.List(fields.Nested(LeaderboardDealerSchema), required=True)
    min_ranked = _count()
    gaps = fields.List(fields.Nested(RegionGapSchema), required=True)
    breaches = fields.List(fields.Nested(BreachSchema), required=True, metadata={
        "description": "Audit-scope knock-outs by dealer and local visit date"})
    standard_issues = fields.List(fields.Nested(StandardIssueSchema), required=True, metadata={
        "description": "Items not met (mean ratio 0) at more than half of the region's dealers"})
    section_titles = _section_numbers("Section titles by section key", fields.Nested(TextSchema))
    sections = fields.List(fields.Nested(ComparisonRowSchema), required=True)
    dimensions = fields.List(fields.Nested(ComparisonRowSchema), required=True)
    movers = fields.List(fields.Nested(MoverSchema), required=True)
    movers_too_few_visits = fields.List(fields.Nested(TooFewVisitsSchema), required=True)
    open_disputes = fields.Nested(OpenDisputesSchema, required=True, metadata={
        "description": "Disputes awaiting a decision; the overdue ones listed"})
    disputes = fields.Nested(DisputeStatsSchema, required=True)
    action_plans = fields.Nested(ActionPlanStatusSchema, required=True, metadata={
        "description": "Corrective action plans per dealer: this wave's by status, and the verdicts on earlier ones"})


class RegionDriverSchema(ItemGapFields, PrintedLostFields):
    region = fields.Nested(RegionRefSchema, required=True)


class NationalGapSchema(GapRowSchema, PrintedLostFields):
    drivers = fields.List(fields.Nested(RegionDriverSchema), required=True, metadata={
        "description": "Up to 3 regions where the item cost more (L + K) than nationally, the costliest first"})


class NationalFiguresSchema(Schema):
    wave = fields.Nested(WaveRefSchema, required=True)
    program = fields.Nested(ProgramRefSchema, required=True)
    score = fields.Nested(NationScoreSchema, required=True)
    regions = fields.List(fields.Nested(RegionRowSchema), required=True)
    gaps = fields.List(fields.Nested(NationalGapSchema), required=True, metadata={
        "description": "The national worst gaps: failed knock-outs first, then mean points lost L + K"})
    sections = fields.List(fields.Nested(ComparisonRowSchema), required=True)
    dimensions = fields.List(fields.Nested(ComparisonRowSchema), required=True)


# --- disputes -----------------------------------------------------------------------------------------

class DisputeFileSchema(StrictSchema):
    item = Text(required=True, validate=validate.Length(min=1, max=64))
    claim = Text(required=True, validate=validate.Length(*CLAIM_LENGTH),
                          metadata={"description": "What happened, specifically and factually"})
    requested_outcome = Text(required=True, validate=validate.OneOf(REQUESTED_OUTCOMES))
    evidence = fields.List(Text(validate=validate.Regexp(r"^[0-9a-f]{64}$")), load_default=list,
                           metadata={"description": "SHA-256 of files uploaded to the audit's attachments"})


class DisputeDecisionSchema(StrictSchema):
    outcome = Text(required=True, validate=validate.OneOf(DISPUTE_OUTCOMES))
    reason = Text(required=True, validate=validate.Length(min=5, max=4000))
    value = answer_value(description="The new answer value (partially_upheld only)")


class DisputeEscalateSchema(StrictSchema):
    note = Text(required=True, validate=validate.Length(*NOTE_LENGTH))


class DisputeListArgsSchema(Schema):
    class Meta:
        unknown = RAISE

    status = Text(validate=validate.OneOf(DISPUTE_STATUSES))
    audit_id = fields.UUID()
    dealer_id = Int()
    overdue = fields.Boolean(metadata={"description": "Only disputes past their decision deadline"})


class DecisionSchema(Schema):
    outcome = Text(required=True, validate=validate.OneOf(DISPUTE_OUTCOMES))
    reason = Text(required=True)
    at = Moment(required=True)


class EscalationSchema(Schema):
    at = Moment(required=True)
    note = Text(required=True)


class OverrideSchema(Schema):
    value = answer_value(description="The value the item is scored with")
    na = fields.Boolean(metadata={"description": "true: the item does not count"})


class DisputeSchema(Schema):
    id = Int(required=True)
    audit_id = Text(required=True)
    dealer_id = Int(required=True)
    item = Text(required=True)
    item_text = fields.Nested(TextSchema, required=True)
    status = Text(required=True, validate=validate.OneOf(DISPUTE_STATUSES))
    claim = Text(required=True)
    requested_outcome = Text(required=True, validate=validate.OneOf(("pass", "not_applicable")))
    evidence = fields.List(Text(), required=True)
    filed_at = Moment(required=True)
    filing_deadline = Moment(required=True)
    qa_decision = fields.Nested(DecisionSchema, allow_none=True, required=True)
    escalation = fields.Nested(EscalationSchema, allow_none=True, required=True)
    final_decision = fields.Nested(DecisionSchema, allow_none=True, required=True,
                                   metadata={"description": "The manager's decision of an escalated dispute"})
    override = fields.Nested(OverrideSchema, allow_none=True, required=True,
                             metadata={"description": "What an upheld decision scores the item with"})
    score_version = Int(allow_none=True, required=True,
                        metadata={"description": "The score version an upheld decision made"})
    decision_due = Moment(allow_none=True, required=True, metadata={"description": "null once decided"})
    overdue = fields.Boolean(required=True)


class DisputeStatsArgsSchema(WaveArgsSchema):
    region_id = Int()


class PlanUploadSchema(Schema):
    class Meta:
        unknown = RAISE

    file = Upload(required=True, metadata={"description": (
        "The CSV plan, UTF-8 (with or without BOM), comma separated, a header row of the columns dealer, "
        "shopper, window_start, window_end, checklist and optionally version; at most MAX_PLAN_ROWS rows")})


class PlannedAuditSchema(Schema):
    row = Int(required=True, metadata={"description": "The plan's row (the header is row 1)"})
    audit_id = fields.UUID(required=True)


class PlanResultSchema(Schema):
    wave = Text(required=True)
    created = Int(required=True, metadata={"description": "How many audits were assigned"})
    audits = fields.List(fields.Nested(PlannedAuditSchema), required=True)
