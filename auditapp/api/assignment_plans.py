"""Bulk assignment: a wave's visits from one CSV plan, all or nothing (services/assignment_plans.py)."""
from __future__ import annotations

from flask import current_app
from flask.views import MethodView

from ..extensions import db
from ..services.assignment_plans import import_plan
from .auth import allow, current_user
from .schemas import PlanResultSchema, PlanUploadSchema
from .shopper import _Blueprint as MultipartBlueprint

blp = MultipartBlueprint("assignment_plans", __name__, url_prefix="/api/v1",
                         description="Bulk assignment of a wave's visits from a CSV plan.")


@blp.route("/waves/<string:code>/assignments")
@allow("admin", "qa")
class WaveAssignments(MethodView):
    @blp.arguments(PlanUploadSchema, location="form_and_files")
    @blp.response(201, PlanResultSchema)
    @blp.alt_response(413, description="The upload is larger than MAX_CONTENT_LENGTH")
    @blp.alt_response(422, description=(
        "The plan was refused and nothing was assigned: `errors` holds the problems by the spreadsheet's row "
        "number (the header is row 1), then by column (`_row`: the row as a whole); `_file` the file's own "
        "(not UTF-8, empty, too many rows)"))
    def post(self, form, code: str):
        """Assign a wave's visits from a CSV plan: every row is checked (as a single assignment is, rotation
        rule included, also between the plan's rows), and one bad row refuses the whole plan."""
        result = import_plan(db.session(), current_user(), code, form["file"].read(),
                             rotation_days=current_app.config["ROTATION_DAYS"])
        return {"wave": result.wave.code, "created": len(result.audits),
                "audits": [{"row": row, "audit_id": audit.id} for row, audit in zip(result.rows, result.audits)]}
