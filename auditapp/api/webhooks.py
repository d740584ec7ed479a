"""Webhook subscriptions and their delivery logs (admin only; DESIGN 11, README "Webhooks").

A subscription's secret is shown once: in the answer that creates it, and in the answer of a PATCH that
rotates it. It is stored (every delivery is signed with it) but never read back through the API, so
it does not linger in screens, logs and browser caches; an admin who lost it rotates it."""
from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ..constants import OUTBOX_STATUSES, WEBHOOK_EVENTS
from ..extensions import db
from ..models import WebhookSubscription
from ..services import webhooks
from .auth import allow, current_user
from .error_docs import ErrorSchema
from .fields import Int, Moment, Text
from .schemas import StrictSchema

blp = Blueprint("webhooks", __name__, url_prefix="/api/v1",
                description="Webhook subscriptions and their delivery logs (admin).")

_URL = {"description": "An http:// or https:// address that receives the events as signed POSTs"}
_EVENTS = {"description": f"Events to receive, among: {', '.join(WEBHOOK_EVENTS)}"}
_SECRET = {"description": "The signing secret (16–200 characters); generated when not given"}


def _events_field(**kwargs: Any) -> fields.List:
    return fields.List(Text(validate=validate.OneOf(WEBHOOK_EVENTS)), validate=validate.Length(min=1, max=20),
                       metadata=_EVENTS, **kwargs)


class WebhookCreateSchema(StrictSchema):
    url = Text(required=True, validate=validate.Length(min=1, max=webhooks.URL_MAX), metadata=_URL)
    events = _events_field(required=True)
    active = fields.Boolean(load_default=True)
    secret = Text(validate=validate.Length(min=webhooks.SECRET_MIN, max=webhooks.SECRET_MAX), metadata=_SECRET,
                  load_only=True)


class WebhookUpdateSchema(StrictSchema):
    url = Text(validate=validate.Length(min=1, max=webhooks.URL_MAX), metadata=_URL)
    events = _events_field()
    active = fields.Boolean()
    rotate_secret = fields.Boolean(metadata={"description": "Make a new secret (answered this once)"})
    secret = Text(validate=validate.Length(min=webhooks.SECRET_MIN, max=webhooks.SECRET_MAX), load_only=True,
                  metadata={"description": "Replace the secret with this one"})


class WebhookSchema(Schema):
    id = Int(required=True)
    url = Text(required=True)
    events = fields.List(Text(), required=True)
    active = fields.Boolean(required=True)
    created_by_id = Int(allow_none=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    secret = Text(metadata={"description": "Only in the answer that creates or rotates it: keep it now"})


class DeliveryArgsSchema(StrictSchema):
    status = Text(validate=validate.OneOf(OUTBOX_STATUSES))
    limit = Int(load_default=100, validate=validate.Range(1, webhooks.DELIVERY_LOG_MAX))


class DeliverySchema(Schema):
    id = fields.UUID(required=True, metadata={"description": "This delivery (the X-Auditapp-Delivery header)"})
    event_id = fields.UUID(required=True, metadata={"description": "The event (the body's id): dedupe on it"})
    event_type = Text(required=True)
    status = Text(required=True, validate=validate.OneOf(OUTBOX_STATUSES),
                  metadata={"description": "pending (queued or to be retried), delivered, failed (given up)"})
    attempts = Int(required=True)
    next_attempt_at = Moment(allow_none=True, metadata={"description": "When a pending delivery is next tried"})
    last_error = Text(allow_none=True)
    last_http_status = Int(allow_none=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    delivered_at = fields.DateTime(allow_none=True)


def present(subscription: WebhookSubscription, secret: str | None = None) -> dict[str, Any]:
    shown = {"id": subscription.id, "url": subscription.url, "events": subscription.events,
             "active": subscription.active, "created_by_id": subscription.created_by_id,
             "created_at": subscription.created_at, "updated_at": subscription.updated_at}
    return {**shown, "secret": secret} if secret else shown


@blp.route("/webhooks")
@allow("admin")
class Webhooks(MethodView):
    @blp.response(200, WebhookSchema(many=True))
    def get(self):
        """List webhook subscriptions (without their secrets)."""
        return [present(s) for s in webhooks.list_subscriptions(db.session(), current_user())]

    @blp.arguments(WebhookCreateSchema)
    @blp.response(201, WebhookSchema)
    @blp.alt_response(422, schema=ErrorSchema, description="Not an http(s) URL, or an unknown event")
    def post(self, data):
        """Subscribe a URL to events; the answer holds the signing secret, shown this once."""
        subscription = webhooks.create_subscription(db.session(), current_user(), **data)
        return present(subscription, subscription.secret)


@blp.route("/webhooks/<int:subscription_id>")
@allow("admin")
class WebhookItem(MethodView):
    @blp.response(200, WebhookSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such subscription")
    def get(self, subscription_id: int):
        """Read a webhook subscription (without its secret)."""
        return present(webhooks.get_subscription(db.session(), current_user(), subscription_id))

    @blp.arguments(WebhookUpdateSchema)
    @blp.response(200, WebhookSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such subscription")
    @blp.alt_response(422, schema=ErrorSchema, description="Not an http(s) URL, or an unknown event")
    def patch(self, data, subscription_id: int):
        """Change the URL, the events, pause (active=false) or rotate the secret (answered this once).

        Deliveries already queued keep being tried; a paused subscription receives no new events."""
        subscription, secret = webhooks.update_subscription(db.session(), current_user(), subscription_id, data)
        return present(subscription, secret)

    @blp.response(204)
    @blp.alt_response(404, schema=ErrorSchema, description="No such subscription")
    def delete(self, subscription_id: int):
        """Delete a subscription with its delivery log; what it still had queued is not sent."""
        webhooks.delete_subscription(db.session(), current_user(), subscription_id)


@blp.route("/webhooks/<int:subscription_id>/deliveries")
@allow("admin")
class WebhookDeliveries(MethodView):
    @blp.arguments(DeliveryArgsSchema, location="query")
    @blp.response(200, DeliverySchema(many=True))
    @blp.alt_response(404, schema=ErrorSchema, description="No such subscription")
    def get(self, args, subscription_id: int):
        """The subscription's delivery log, newest first: status, attempts, last error and HTTP status."""
        return [m.to_log() for m in webhooks.deliveries(db.session(), current_user(), subscription_id, **args)]
