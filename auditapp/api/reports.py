"""PDF downloads: a dealer's scorecard and a region's report, with the access rules of the JSON views."""
from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from ..downloads import pdf_download
from ..extensions import db
from ..models import Dealer, Region, utcnow
from ..services import access
from ..services.disputes import DisputePolicy
from ..services.reports import dealer_source, region_source
from .auth import allow, current_user
from .schemas import PdfArgsSchema

blp = Blueprint("reports", __name__, url_prefix="/api/v1", description="PDF scorecards and region reports.")


@blp.route("/dealers/<int:dealer_id>/scorecard.pdf")
@allow("admin", "qa", "manager", "dealer")
class DealerScorecardPdf(MethodView):
    @blp.arguments(PdfArgsSchema, location="query")
    @blp.response(200, content_type="application/pdf", description="The dealer scorecard as a PDF")
    def get(self, args, dealer_id: int):
        """The dealer's scorecard for a wave and program as a PDF (lang zh, en or both)."""
        dealer = access.ensure_dealer_results_visible(current_user(), db.session.get(Dealer, dealer_id))
        return pdf_download(lambda data, figures, version: dealer_source(data, figures, dealer, args["lang"], version),
                            args["wave"], args.get("program"), f"scorecard-{dealer.code}")


@blp.route("/regions/<int:region_id>/report.pdf")
@allow("admin", "qa", "manager")
class RegionReportPdf(MethodView):
    @blp.arguments(PdfArgsSchema, location="query")
    @blp.response(200, content_type="application/pdf", description="The region report as a PDF")
    def get(self, args, region_id: int):
        """The region's report for a wave and program as a PDF (lang zh, en or both)."""
        region = access.ensure_region_results_visible(current_user(), db.session.get(Region, region_id))
        policy = DisputePolicy.from_config(current_app.config)
        return pdf_download(lambda data, figures, version: region_source(data, figures, region, args["lang"],
                                                                         version, policy=policy, now=utcnow()),
                            args["wave"], args.get("program"), f"region-report-{region.code}")
