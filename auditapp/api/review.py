"""QA review of submitted audits."""
from __future__ import annotations

import uuid

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from ..extensions import db
from ..services.actions import ActionPolicy
from ..services.alerts import AlertPolicy
from ..services.audits import get_audit
from ..services.review import approve, return_to_shopper
from ..services.score_versions import answers_of, latest_versions
from .auth import allow, current_user
from .presenters import present_audit
from .schemas import ApproveSchema, AuditSchema, ReturnSchema

blp = Blueprint("review", __name__, url_prefix="/api/v1", description="QA review: approve or return.")


def _reviewed(audit_id: uuid.UUID, action, **kwargs):
    user = current_user()
    audit = get_audit(db.session(), user, audit_id, for_update=True)
    action(db.session(), user, audit, **kwargs)
    score = latest_versions(db.session(), [audit.id]).get(audit.id)
    return present_audit(audit, user, answers=answers_of(db.session(), audit), score=score,
                         original_overall=score.overall if score else None)


@blp.route("/audits/<uuid:audit_id>/approve")
@allow("qa", "admin")
class Approve(MethodView):
    @blp.arguments(ApproveSchema)
    @blp.response(200, AuditSchema)
    @blp.alt_response(409, description="The audit is not in the submitted state")
    def post(self, data, audit_id: uuid.UUID):
        """Approve a submitted audit: it is published and its score version 1 is stored."""
        # The portal is served by this same application, so its address is this request's by default.
        alerts = AlertPolicy.from_config(current_app.config, request.host_url)
        return _reviewed(audit_id, approve, notes=data.get("notes"), alerts=alerts,
                         action_policy=ActionPolicy.from_config(current_app.config),
                         min_ranked=current_app.config["MIN_RANKED_AUDITS"])


@blp.route("/audits/<uuid:audit_id>/return")
@allow("qa", "admin")
class Return(MethodView):
    @blp.arguments(ReturnSchema)
    @blp.response(200, AuditSchema)
    @blp.alt_response(409, description="The audit is not in the submitted state")
    def post(self, data, audit_id: uuid.UUID):
        """Return a submitted audit to the shopper with notes (overall, and optionally on single items);
        the shopper edits and resubmits."""
        return _reviewed(audit_id, return_to_shopper, notes=data["notes"], item_notes=data.get("item_notes"))
