"""Checklist definitions, for phones to cache."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from ..extensions import db
from ..services.checklists import get_version, list_versions
from .schemas import ChecklistDefinitionSchema, ChecklistSummarySchema

blp = Blueprint("checklists", __name__, url_prefix="/api/v1", description="Checklist definitions.")


def _summary(row) -> dict:
    return {"key": row.key, "version": row.version, "title": {"zh": row.title_zh, "en": row.title_en},
            "content_hash": row.content_hash}


@blp.route("/checklists")
class Checklists(MethodView):
    @blp.response(200, ChecklistSummarySchema(many=True))
    def get(self):
        """Every loaded checklist version."""
        return [_summary(row) for row in list_versions(db.session())]


@blp.route("/checklists/<key>/<int:version>")
class ChecklistDefinition(MethodView):
    @blp.response(200, ChecklistDefinitionSchema)
    def get(self, key: str, version: int):
        """One checklist version with its full definition (immutable: phones may cache it forever)."""
        row = get_version(db.session(), key, version)
        return {**_summary(row), "definition": row.document}
