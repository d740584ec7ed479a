"""Corrective action plans (DESIGN 11): dealers plan and submit, managers accept or return, QA closes waves."""
from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from ..errors import InvalidInput
from ..extensions import db
from ..messages import Message
from ..models import Action, utcnow
from ..services import actions
from .action_schemas import (
    ActionListArgsSchema,
    ActionPlanSchema,
    ActionRaiseSchema,
    ActionReturnSchema,
    ActionReviewSchema,
    ActionSchema,
    WaveClosureSchema,
)
from .auth import allow, current_user
from .schemas import EventSchema

blp = Blueprint("actions", __name__, url_prefix="/api/v1",
                description="Corrective action plans: raised from knock-outs and top gaps, planned by the dealer, "
                            "reviewed by the region's manager, verified by the next wave.")


def _policy() -> actions.ActionPolicy:
    return actions.ActionPolicy.from_config(current_app.config)


def _min_ranked() -> int:
    return int(current_app.config["MIN_RANKED_AUDITS"])


def present(action: Action) -> dict[str, Any]:
    dealer = action.dealer
    verified = action.verified_wave
    return {
        "id": action.id,
        "dealer": {"id": dealer.id, "code": dealer.code, "name": {"zh": dealer.name_zh, "en": dealer.name_en},
                   "region_id": dealer.region_id},
        "wave": action.wave.code, "program": action.program, "item": action.item_key, "item_text": action.item_text,
        "origin": action.origin, "status": action.status,
        "evidence": {"visits": action.evidence, "points_lost": action.points_lost,
                     "knockout_cost": action.knockout_cost,
                     "points_lost_total": action.points_lost + action.knockout_cost},
        "owner": action.owner, "owner_title": actions.owner_title(action.owner),
        "recommended_action": action.recommended_action,
        "raised_at": action.raised_at, "raised_by_hand": action.raised_by_id is not None,
        "plan": {"root_cause": action.root_cause, "measures": action.measures, "responsible": action.responsible,
                 "due_on": action.due_on},
        "due_limit": action.due_limit, "due_on": action.due, "overdue": action.is_overdue(utcnow()),
        "implementation_files": action.implementation_files, "submitted_at": action.submitted_at,
        "review": {"at": action.reviewed_at, "note": action.review_note} if action.reviewed_at else None,
        "verification": {"result": action.verification, "wave": verified.code, "visits": action.verified_visits,
                         "fully_met": action.verified_fully_met, "at": action.verified_at}
        if action.verification and verified is not None else None,
    }


@blp.route("/actions")
class Actions(MethodView):
    @allow("admin", "qa", "manager", "dealer")
    @blp.arguments(ActionListArgsSchema, location="query")
    @blp.response(200, ActionSchema(many=True))
    def get(self, args):
        """Actions you may see: your dealer's, your regions', or all (QA, admin)."""
        return [present(a) for a in actions.find_actions(db.session(), current_user(), **args)]

    @allow("admin", "qa", "manager")
    @blp.arguments(ActionRaiseSchema)
    @blp.response(201, ActionSchema)
    @blp.alt_response(404, description="No such dealer (for a manager: none in their regions)")
    @blp.alt_response(409, description="The dealer already has an action for the item in the wave")
    def post(self, data):
        """Raise an action by hand for an item of a dealer's published visits of a wave and program."""
        action = actions.raise_action(db.session(), current_user(), dealer_id=data["dealer_id"],
                                      wave_code=data["wave"], program=data["program"], item_key=data["item"],
                                      note=data.get("note"), policy=_policy(), min_ranked=_min_ranked())
        return present(action)


@blp.route("/actions/<int:action_id>")
class ActionItem(MethodView):
    @allow("admin", "qa", "manager", "dealer")
    @blp.response(200, ActionSchema)
    def get(self, action_id: int):
        """One action: what raised it, the plan, its review and verification."""
        return present(actions.get_action(db.session(), current_user(), action_id))

    @allow("dealer")
    @blp.arguments(ActionPlanSchema)
    @blp.response(200, ActionSchema)
    @blp.alt_response(409, description="The action is submitted or accepted: the plan can no longer change")
    def patch(self, data, action_id: int):
        """Write or edit the plan (open, planned or returned actions); a complete plan makes it planned."""
        if not data:
            raise InvalidInput("action.no_plan_changes", {"_schema": [Message("action.no_plan_changes")]})
        return present(actions.update_plan(db.session(), current_user(), action_id, data))


@blp.route("/actions/<int:action_id>/submit")
@allow("dealer")
class SubmitAction(MethodView):
    @blp.response(200, ActionSchema)
    @blp.alt_response(409, description="Not planned, the plan incomplete, or no evidence of implementation")
    def post(self, action_id: int):
        """Submit a planned action with its evidence to the region's manager."""
        return present(actions.submit(db.session(), current_user(), action_id))


@blp.route("/actions/<int:action_id>/accept")
@allow("admin", "qa", "manager")
class AcceptAction(MethodView):
    @blp.arguments(ActionReviewSchema)
    @blp.response(200, ActionSchema)
    @blp.alt_response(409, description="The action is not submitted")
    def post(self, data, action_id: int):
        """Accept a submitted plan; the program's next wave at the dealer will verify it."""
        return present(actions.review(db.session(), current_user(), action_id, accept=True, note=data.get("note"),
                                      min_ranked=_min_ranked()))


@blp.route("/actions/<int:action_id>/return")
@allow("admin", "qa", "manager")
class ReturnAction(MethodView):
    @blp.arguments(ActionReturnSchema)
    @blp.response(200, ActionSchema)
    @blp.alt_response(409, description="The action is not submitted")
    def post(self, data, action_id: int):
        """Return a submitted plan to the dealer with a note of what to change."""
        return present(actions.review(db.session(), current_user(), action_id, accept=False, note=data["note"],
                                      min_ranked=_min_ranked()))


@blp.route("/actions/<int:action_id>/events")
@allow("admin", "qa", "manager", "dealer")
class ActionEvents(MethodView):
    @blp.response(200, EventSchema(many=True))
    def get(self, action_id: int):
        """The action's append-only history: who changed what, when, before and after."""
        actions.get_action(db.session(), current_user(), action_id)
        return actions.action_events(db.session(), action_id)


@blp.route("/waves/<string:code>/close")
@allow("admin", "qa")
class CloseWave(MethodView):
    @blp.response(200, WaveClosureSchema)
    def post(self, code: str):
        """Declare the wave's results final: each dealer's top gaps of each program become actions
        (idempotent: closing a closed wave changes nothing)."""
        closure, raised = actions.close_wave(db.session(), current_user(), code, _policy(), min_ranked=_min_ranked())
        return {"wave": code, "closed_at": closure.closed_at, "closed_by_id": closure.closed_by_id,
                "actions_raised": len(raised)}
