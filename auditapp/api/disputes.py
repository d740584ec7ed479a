"""Disputes: dealers file and escalate, QA and managers decide (DESIGN 6)."""
from __future__ import annotations

import uuid
from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from ..extensions import db
from ..models import Dispute, utcnow
from ..services import access
from ..services.checklists import checklist_of
from ..services.disputes import (
    DisputePolicy,
    decide,
    decision_deadline,
    escalate,
    file_dispute,
    filing_deadline,
    find_disputes,
    get_dispute,
    is_overdue,
)
from ..services.events import dispute_events
from ..services.figures import dispute_statistics, load_wave
from ..services.notifications import queue_dispute_mails
from .auth import allow, current_user
from .schemas import (
    DisputeDecisionSchema,
    DisputeEscalateSchema,
    DisputeFileSchema,
    DisputeListArgsSchema,
    DisputeSchema,
    DisputeStatsArgsSchema,
    DisputeStatsSchema,
    EventSchema,
)

blp = Blueprint("disputes", __name__, url_prefix="/api/v1", description="Dealer disputes and their decisions.")


def policy() -> DisputePolicy:
    return DisputePolicy.from_config(current_app.config)


def present(dispute: Dispute) -> dict[str, Any]:
    rules = policy()
    item = checklist_of(dispute.audit.checklist_version).items.get(dispute.item_key)

    def decision(outcome, reason, at):
        return {"outcome": outcome, "reason": reason, "at": at} if outcome else None

    return {
        "id": dispute.id, "audit_id": str(dispute.audit_id), "dealer_id": dispute.dealer_id,
        "item": dispute.item_key,
        "item_text": item.text.to_dict() if item else {"zh": dispute.item_key, "en": dispute.item_key},
        "status": dispute.status, "claim": dispute.claim, "requested_outcome": dispute.requested_outcome,
        "evidence": dispute.evidence, "filed_at": dispute.filed_at,
        "filing_deadline": filing_deadline(dispute.audit, rules),
        "qa_decision": decision(dispute.qa_outcome, dispute.qa_reason, dispute.qa_decided_at),
        "escalation": {"at": dispute.escalated_at, "note": dispute.escalation_note}
        if dispute.escalated_at else None,
        "final_decision": decision(dispute.final_outcome, dispute.final_reason, dispute.final_decided_at),
        "override": dispute.override, "score_version": dispute.score_version,
        "decision_due": decision_deadline(dispute, rules) if dispute.is_open else None,
        "overdue": is_overdue(dispute, rules, utcnow()),
    }


def notify(dispute: Dispute, event: str) -> None:
    queue_dispute_mails(db.session(), current_app.config, dispute, event)


@blp.route("/audits/<uuid:audit_id>/disputes")
@allow("dealer")
class FileDispute(MethodView):
    @blp.arguments(DisputeFileSchema)
    @blp.response(201, DisputeSchema)
    @blp.alt_response(409, description="Window closed, or the item already has an open dispute")
    def post(self, data, audit_id: uuid.UUID):
        """File a dispute on an item of a published audit of your dealer, within the dispute window."""
        dispute = file_dispute(db.session(), current_user(), audit_id, item_key=data["item"], claim=data["claim"],
                               requested_outcome=data["requested_outcome"], evidence=data["evidence"],
                               policy=policy())
        notify(dispute, "filed")
        return present(dispute)


@blp.route("/disputes")
@allow("admin", "qa", "manager", "dealer")
class Disputes(MethodView):
    @blp.arguments(DisputeListArgsSchema, location="query")
    @blp.response(200, DisputeSchema(many=True))
    def get(self, args):
        """Disputes you may see: your dealer's, your regions', or all (QA, admin); `overdue=true` for the late ones."""
        overdue = args.pop("overdue", None)
        rows = [present(d) for d in find_disputes(db.session(), current_user(), **args)]
        return [r for r in rows if overdue is None or r["overdue"] == overdue]


@blp.route("/disputes/<int:dispute_id>")
@allow("admin", "qa", "manager", "dealer")
class DisputeItem(MethodView):
    @blp.response(200, DisputeSchema)
    def get(self, dispute_id: int):
        """One dispute with its decisions and deadlines."""
        return present(get_dispute(db.session(), current_user(), dispute_id))


@blp.route("/disputes/<int:dispute_id>/decision")
@allow("admin", "qa", "manager")
class Decision(MethodView):
    @blp.arguments(DisputeDecisionSchema)
    @blp.response(200, DisputeSchema)
    @blp.alt_response(409, description="Already decided (or decided by someone else at the same time)")
    def post(self, data, dispute_id: int):
        """Decide: QA for an open dispute, the region's manager for an escalated one (final)."""
        dispute = decide(db.session(), current_user(), dispute_id, outcome=data["outcome"], reason=data["reason"],
                         value=data.get("value"))
        notify(dispute, "decided")
        return present(dispute)


@blp.route("/disputes/<int:dispute_id>/escalate")
@allow("dealer")
class Escalate(MethodView):
    @blp.arguments(DisputeEscalateSchema)
    @blp.response(200, DisputeSchema)
    @blp.alt_response(409, description="Not rejected, already escalated, or the window closed")
    def post(self, data, dispute_id: int):
        """Escalate a rejected dispute, once, to a manager of the dealer's region."""
        dispute = escalate(db.session(), current_user(), dispute_id, note=data["note"], policy=policy())
        notify(dispute, "escalated")
        return present(dispute)


@blp.route("/disputes/<int:dispute_id>/events")
@allow("admin", "qa")
class DisputeEvents(MethodView):
    @blp.response(200, EventSchema(many=True))
    def get(self, dispute_id: int):
        """The dispute's append-only history: who changed what, when, before and after."""
        get_dispute(db.session(), current_user(), dispute_id)
        return dispute_events(db.session(), dispute_id)


@blp.route("/disputes/stats")
@allow("admin", "qa", "manager")
class DisputeStats(MethodView):
    @blp.arguments(DisputeStatsArgsSchema, location="query")
    @blp.response(200, DisputeStatsSchema)
    @blp.alt_response(404, description="No such wave")
    def get(self, args):
        """Dispute and uphold rates per dealer and per item (and, for the agency, per shopper) in a wave."""
        user = current_user()
        data = load_wave(db.session(), args["wave"], current_app.config["MIN_RANKED_AUDITS"], args.get("program"),
                         comments_for=None)
        dealers = data.dealer_ids_in(args.get("region_id"))
        if user.role == "manager":
            scope = access.region_ids(user)
            dealers = [d for d in dealers if data.dealers[d].region_id in scope]
        return dispute_statistics(data, dealers, with_shoppers=access.sees_shopper(user))
