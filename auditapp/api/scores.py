"""Reading scores: an audit's latest score version, a dealer's scorecard, a region's leaderboard."""
from __future__ import annotations

import uuid

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from ..errors import NotFound
from ..extensions import db
from ..models import Dealer, Region, utcnow
from ..services import access
from ..services.audits import get_audit
from ..services.checklists import checklist_of
from ..services.disputes import DisputePolicy
from ..services.figures import dealer_scorecard, load_wave, national_figures, region_leaderboard
from ..services.score_versions import latest_versions, original_overalls, score_payload
from .auth import allow, current_user
from .schemas import (
    LeaderboardSchema,
    NationalFiguresSchema,
    ProgramArgsSchema,
    ScorecardSchema,
    ScoreSchema,
    WaveArgsSchema,
)

blp = Blueprint("scores", __name__, url_prefix="/api/v1", description="Scores, scorecards and leaderboards.")


@blp.route("/audits/<uuid:audit_id>/score")
@allow("admin", "qa", "manager", "dealer")
class AuditScore(MethodView):
    @blp.response(200, ScoreSchema)
    def get(self, audit_id: uuid.UUID):
        """The latest score version: sections, dimensions, knock-outs, points lost and knock-out cost per item."""
        user = current_user()
        audit = get_audit(db.session(), user, audit_id)
        version = latest_versions(db.session(), [audit.id]).get(audit.id)
        if version is None:
            raise NotFound("score.not_scored_yet")
        return score_payload(version, checklist_of(audit.checklist_version),
                             original_overalls(db.session(), [audit.id]).get(audit.id))


@blp.route("/dealers/<int:dealer_id>/scorecard")
@allow("admin", "qa", "manager", "dealer")
class DealerScorecard(MethodView):
    @blp.arguments(WaveArgsSchema, location="query")
    @blp.response(200, ScorecardSchema)
    def get(self, args, dealer_id: int):
        """A dealer's wave score with interval, rank, MOT and dimension profile, worst gaps and trend."""
        dealer = access.ensure_dealer_results_visible(current_user(), db.session.get(Dealer, dealer_id))
        data = load_wave(db.session(), args["wave"], current_app.config["MIN_RANKED_AUDITS"], args.get("program"),
                         dispute_policy=DisputePolicy.from_config(current_app.config), comments_for=dealer.id)
        return dealer_scorecard(data, dealer)


@blp.route("/regions/<int:region_id>/leaderboard")
@allow("admin", "qa", "manager")
class RegionLeaderboard(MethodView):
    @blp.arguments(WaveArgsSchema, location="query")
    @blp.response(200, LeaderboardSchema)
    def get(self, args, region_id: int):
        """The region's dealers ranked by wave score with rank ranges, the insufficient-sample list, region gaps."""
        region = access.ensure_region_results_visible(current_user(), db.session.get(Region, region_id))
        data = load_wave(db.session(), args["wave"], current_app.config["MIN_RANKED_AUDITS"], args.get("program"),
                         comments_for=None)
        return region_leaderboard(data, region, policy=DisputePolicy.from_config(current_app.config), now=utcnow())


@blp.route("/waves/<string:code>/figures")
@allow("admin", "qa", "manager")
class NationalFigures(MethodView):
    @blp.arguments(ProgramArgsSchema, location="query")
    @blp.response(200, NationalFiguresSchema)
    def get(self, args, code: str):
        """The nation's score, every region's, the national worst gaps with the regions driving them."""
        access.ensure_national_results_visible(current_user())
        data = load_wave(db.session(), code, current_app.config["MIN_RANKED_AUDITS"], args.get("program"),
                         comments_for=None)
        return national_figures(data)
