"""PDF downloads: a dealer's scorecard and a region's report, with the access rules of the JSON views."""
from __future__ import annotations

from collections.abc import Callable

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from ..extensions import db
from ..models import Dealer, Region, utcnow
from ..sending import send_stored
from ..services import access
from ..services.disputes import DisputePolicy
from ..services.figures import WaveData, WaveFigures, load_wave
from ..services.reports import (
    ReportSource,
    dealer_source,
    region_source,
    rendered,
    report_key,
    report_store,
    store_rendering,
)
from .auth import allow, current_user
from .schemas import PdfArgsSchema

blp = Blueprint("reports", __name__, url_prefix="/api/v1", description="PDF scorecards and region reports.")


def _renderer():
    """One renderer per process (fonts, templates and stylesheets loaded once), with the digest of
    its templates and fonts."""
    loaded = current_app.extensions.get("auditapp.report_renderer")
    if loaded is None:
        from ..reports.fonts import RECIPE_VERSION
        from ..reports.render import ReportRenderer
        from ..services.reports import templates_digest

        loaded = (ReportRenderer.from_config(current_app.config),
                  templates_digest(current_app.config["REPORT_TEMPLATE_DIR"], f"font recipe {RECIPE_VERSION}"))
        current_app.extensions["auditapp.report_renderer"] = loaded
    return loaded


def _pdf(source_for: Callable[[WaveData, WaveFigures, str], ReportSource], args: dict, name: str):
    """The stored rendering when nothing changed since; otherwise render, keep it, and send it."""
    config = current_app.config
    wave = args["wave"]
    data = load_wave(db.session(), wave, config["MIN_RANKED_AUDITS"], args.get("program"),
                     dispute_policy=DisputePolicy.from_config(config))
    renderer, templates = _renderer()
    source = source_for(data, WaveFigures(data), templates)
    stored = rendered(db.session(), [source], config["REPORT_DIR"]).get(source.key)
    if stored is None:
        from ..reports.batch import RenderJob, render_one

        pdf = render_one(renderer, RenderJob(source.key, source.kind, source.data, source.lang))
        stored = store_rendering(db.session(), source, pdf, config["REPORT_DIR"])
    return send_stored(report_store(config["REPORT_DIR"]), report_key(stored.sha256), etag=stored.sha256,
                       content_type="application/pdf", missing="reports.file_missing",
                       download_name=f"{name}-{wave}-{source.program}-{source.lang}.pdf")


@blp.route("/dealers/<int:dealer_id>/scorecard.pdf")
@allow("admin", "qa", "manager", "dealer")
class DealerScorecardPdf(MethodView):
    @blp.arguments(PdfArgsSchema, location="query")
    @blp.response(200, content_type="application/pdf", description="The dealer scorecard as a PDF")
    def get(self, args, dealer_id: int):
        """The dealer's scorecard for a wave and program as a PDF (lang zh, en or both)."""
        dealer = access.ensure_dealer_results_visible(current_user(), db.session.get(Dealer, dealer_id))
        return _pdf(lambda data, figures, version: dealer_source(data, figures, dealer, args["lang"], version),
                    args, f"scorecard-{dealer.code}")


@blp.route("/regions/<int:region_id>/report.pdf")
@allow("admin", "qa", "manager")
class RegionReportPdf(MethodView):
    @blp.arguments(PdfArgsSchema, location="query")
    @blp.response(200, content_type="application/pdf", description="The region report as a PDF")
    def get(self, args, region_id: int):
        """The region's report for a wave and program as a PDF (lang zh, en or both)."""
        region = access.ensure_region_results_visible(current_user(), db.session.get(Region, region_id))
        policy = DisputePolicy.from_config(current_app.config)
        return _pdf(lambda data, figures, version: region_source(data, figures, region, args["lang"], version,
                                                                 policy=policy, now=utcnow()),
                    args, f"region-report-{region.code}")
