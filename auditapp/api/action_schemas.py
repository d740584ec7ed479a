"""Request and response schemas of the corrective action plans (api/actions.py)."""
from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from ..constants import ACTION_ORIGINS, ACTION_STATUSES, ACTION_VERDICTS
from .fields import Code, Day, Int, Moment, Text
from .schemas import StrictSchema, TextSchema

SHA256 = validate.Regexp(r"^[0-9a-f]{64}$")


class ActionListArgsSchema(Schema):
    class Meta:
        unknown = RAISE

    wave = Code(metadata={"description": "Only the actions raised in this wave (its code)"})
    program = Text(validate=validate.Length(min=1, max=64), metadata={"description": "Checklist key"})
    dealer_id = Int()
    status = Text(validate=validate.OneOf(ACTION_STATUSES))
    overdue = fields.Boolean(metadata={"description": "true: only those not accepted and past their due date"})


class ActionRaiseSchema(StrictSchema):
    dealer_id = Int(required=True)
    wave = Code(required=True, metadata={"description": "The wave whose visits the action is about"})
    program = Text(required=True, validate=validate.Length(min=1, max=64), metadata={"description": "Checklist key"})
    item = Text(required=True, validate=validate.Length(min=1, max=64), metadata={"description": "Item key"})
    note = Text(validate=validate.Length(max=4000), metadata={"description": "Why it is raised"})


class ActionPlanSchema(StrictSchema):
    root_cause = Text(validate=validate.Length(min=1, max=4000))
    measures = Text(validate=validate.Length(min=1, max=4000))
    responsible = Text(validate=validate.Length(min=1, max=200),
                       metadata={"description": "The person at the dealer who carries the measures out"})
    due_on = Day(metadata={"description": "At most ACTION_DUE_DAYS after the action was raised (dealer's local date)"})
    evidence = fields.List(Text(validate=SHA256), validate=validate.Length(max=50), metadata={
        "description": "SHA-256 of implementation evidence uploaded by the dealer with "
                       "POST /api/v1/audits/{audit_id}/attachments to one of its published audits of the program; "
                       "replaces the list"})


class ActionReviewSchema(StrictSchema):
    note = Text(validate=validate.Length(max=4000))


class ActionReturnSchema(StrictSchema):
    note = Text(required=True, validate=validate.Length(min=5, max=4000),
                metadata={"description": "What the dealer must change"})


class ActionDealerSchema(Schema):
    id = Int(required=True)
    code = Text(required=True)
    name = fields.Nested(TextSchema, required=True)
    region_id = Int(required=True)


class ActionVisitSchema(Schema):
    audit_id = Text(required=True)
    visited_on = Text(required=True, allow_none=True, metadata={"description": "The dealer's local date"})
    ratio = fields.Float(required=True, allow_none=True)
    points_lost = fields.Float(required=True)
    knockout_cost = fields.Float(required=True)
    knockout = fields.Boolean(required=True)


class ActionEvidenceSchema(Schema):
    visits = fields.List(fields.Nested(ActionVisitSchema), required=True, metadata={
        "description": "The dealer's visits of the wave on which the item failed (never the shopper)"})
    points_lost = fields.Float(required=True, metadata={"description": "Mean points lost L over the dealer's visits"})
    knockout_cost = fields.Float(required=True, metadata={"description": "Mean knock-out cost K"})
    points_lost_total = fields.Float(required=True, metadata={"description": "L + K"})


class ActionPlanOutSchema(Schema):
    root_cause = Text(required=True, allow_none=True)
    measures = Text(required=True, allow_none=True)
    responsible = Text(required=True, allow_none=True)
    due_on = Day(required=True, allow_none=True)


class ActionFileSchema(Schema):
    sha256 = Text(required=True)
    audit_id = Text(required=True, metadata={
        "description": "The audit it was uploaded to: GET /api/v1/audits/{audit_id}/attachments/{sha256}"})


class ActionReviewOutSchema(Schema):
    at = Moment(required=True)
    note = Text(required=True, allow_none=True)


class ActionVerificationSchema(Schema):
    result = Text(required=True, validate=validate.OneOf(ACTION_VERDICTS))
    wave = Text(required=True, metadata={"description": "The code of the wave whose visits verified it"})
    visits = Int(required=True, metadata={"description": "Visits of that wave that scored the item"})
    fully_met = Int(required=True, metadata={"description": "Of which fully met (r = 1)"})
    at = Moment(required=True)


class ActionSchema(Schema):
    id = Int(required=True)
    dealer = fields.Nested(ActionDealerSchema, required=True)
    wave = Text(required=True, metadata={"description": "The code of the wave that raised it"})
    program = Text(required=True)
    item = Text(required=True)
    item_text = fields.Nested(TextSchema, required=True)
    origin = Text(required=True, validate=validate.OneOf(ACTION_ORIGINS))
    status = Text(required=True, validate=validate.OneOf(ACTION_STATUSES))
    evidence = fields.Nested(ActionEvidenceSchema, required=True)
    owner = Text(required=True, allow_none=True, metadata={"description": "The service-blueprint role that fixes it"})
    owner_title = fields.Nested(TextSchema, required=True, allow_none=True)
    recommended_action = fields.Nested(TextSchema, required=True, allow_none=True,
                                       metadata={"description": "The checklist item's action, a starting point"})
    raised_at = Moment(required=True)
    raised_by_hand = fields.Boolean(required=True)
    plan = fields.Nested(ActionPlanOutSchema, required=True)
    due_limit = Day(required=True, metadata={"description": "The latest due date the plan may set"})
    due_on = Day(required=True, metadata={"description": "The plan's due date, else the limit"})
    overdue = fields.Boolean(required=True)
    implementation_files = fields.List(fields.Nested(ActionFileSchema), required=True)
    submitted_at = Moment(required=True, allow_none=True)
    review = fields.Nested(ActionReviewOutSchema, required=True, allow_none=True,
                           metadata={"description": "The last acceptance or return, with its note"})
    verification = fields.Nested(ActionVerificationSchema, required=True, allow_none=True, metadata={
        "description": "The program's next wave at the dealer, for an accepted action"})


class WaveClosureSchema(Schema):
    wave = Text(required=True)
    closed_at = Moment(required=True)
    closed_by_id = Int(required=True)
    actions_raised = Int(required=True, metadata={
        "description": "Actions raised by this request (0 when the wave was closed already)"})
