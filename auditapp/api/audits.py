"""Audits: assigning, listing and reading (the shopper flow and review live in their own modules)."""
from __future__ import annotations

import uuid

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from ..extensions import db
from ..services import access
from ..services.assignments import assign
from ..services.audits import find_audits, get_audit
from ..services.disputes import open_disputes_by_audit
from ..services.events import audit_events
from ..services.score_versions import answers_of, latest_versions, original_overalls
from .auth import allow, current_user
from .presenters import present_audit
from .schemas import AssignSchema, AuditListArgsSchema, AuditPageSchema, AuditSchema, EventSchema

blp = Blueprint("audits", __name__, url_prefix="/api/v1", description="Audits: assignment, reading, history.")


@blp.route("/audits")
class Audits(MethodView):
    @blp.arguments(AuditListArgsSchema, location="query")
    @blp.response(200, AuditPageSchema)
    @blp.alt_response(403, description="Filtering by quality flag or by shopper is for QA and admin")
    def get(self, args):
        """Audits the caller may see (DESIGN 7), filtered, sorted and paginated."""
        user = current_user()
        filters = {key: value for key, value in args.items() if key != "order"}
        audits, total = find_audits(db.session(), user, descending=args["order"] == "desc",
                                    timezone=current_app.config["DEFAULT_TIMEZONE"], **filters)
        ids = [a.id for a in audits]
        scores = latest_versions(db.session(), ids) if access.sees_scores(user) else {}
        disputed = open_disputes_by_audit(db.session(), ids) if access.sees_scores(user) else {}
        return {"items": [present_audit(a, user, score=scores.get(a.id), disputed_items=disputed.get(a.id))
                          for a in audits],
                "page": args["page"], "per_page": args["per_page"], "total": total}

    @allow("admin", "qa")
    @blp.arguments(AssignSchema)
    @blp.response(201, AuditSchema)
    @blp.alt_response(409, description="Rotation rule: the shopper visits this dealer within ROTATION_DAYS already")
    def post(self, data):
        """Assign an audit: dealer, wave, checklist version, shopper and visit window."""
        user = current_user()
        audit = assign(db.session(), user, rotation_days=current_app.config["ROTATION_DAYS"], **data)
        return present_audit(audit, user)


@blp.route("/audits/<uuid:audit_id>")
class AuditItem(MethodView):
    @blp.response(200, AuditSchema)
    def get(self, audit_id: uuid.UUID):
        """One audit with its answers, and its latest score for those who may see scores."""
        user = current_user()
        audit = get_audit(db.session(), user, audit_id)
        score = latest_versions(db.session(), [audit.id]).get(audit.id) if access.sees_scores(user) else None
        original = original_overalls(db.session(), [audit.id]).get(audit.id) if score else None
        disputed = open_disputes_by_audit(db.session(), [audit.id]).get(audit.id) if score else None
        return present_audit(audit, user, answers=answers_of(db.session(), audit), score=score,
                             original_overall=original, disputed_items=disputed)


@blp.route("/audits/<uuid:audit_id>/events")
@allow("admin", "qa")
class AuditEvents(MethodView):
    @blp.response(200, EventSchema(many=True))
    def get(self, audit_id: uuid.UUID):
        """The audit's append-only history (QA and admin)."""
        user = current_user()
        get_audit(db.session(), user, audit_id)
        return audit_events(db.session(), audit_id)
