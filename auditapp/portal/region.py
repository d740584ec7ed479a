"""The regional manager's pages: the region dashboard (the region report's data and charts, so that page
and PDF show the same picture) and the region report's PDF. A dealer's results, visits and scorecard PDF
are the dealer pages (portal/dealer.py), which serve the region's managers too."""
from __future__ import annotations

from typing import Any

from flask import current_app, request

from ..constants import REPORT_LANGUAGES
from ..errors import InvalidInput
from ..extensions import db
from ..messages import Message
from ..models import Region, utcnow
from ..reports.charts import REGION_SERIES, comparison_chart, interval_strip, movers_chart, trend_chart
from ..services import access
from ..services.disputes import DisputePolicy
from ..services.region_dashboard import dashboard_choice, region_dashboard
from ..services.reports import region_source
from .core import bp, current_user, labeller, nav, render, roles


def _int(name: str) -> int | None:
    raw = request.args.get(name, "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


@bp.get("/region")
@nav("nav_region", order=30)
@roles("manager")
def region_page():
    """The manager's first page (the agency reads region reports as PDFs, and starts at its queue)."""
    user = current_user()
    choice = dashboard_choice(db.session(), user, region_id=_int("region"), wave_code=request.args.get("wave"),
                              program=request.args.get("program"))
    policy = DisputePolicy.from_config(current_app.config)
    data = region_dashboard(db.session(), user, choice, min_ranked=current_app.config["MIN_RANKED_AUDITS"],
                            policy=policy, now=utcnow())
    return render("region_dashboard.html", choice=choice, d=data, charts=_charts(data) if data else {},
                  langs=REPORT_LANGUAGES)


def _charts(d: dict[str, Any]) -> dict[str, Any]:
    """The region report's SVG charts, from the same data (reports/charts.py)."""
    lab = labeller()
    movers = [{"dealer": x["dealer"], "previous_wave": x["previous_wave"], "previous": x["previous_printed"],
               "current": x["current_printed"], "change": x["change"], "lo": x["change_lo"], "hi": x["change_hi"],
               "clear": x["clear"], "n_previous": x["previous_n"], "n_current": x["current_n"]}
              for x in d["movers"]]
    return {
        "trend": trend_chart(d["trend"], lab, width=330, height=170, series=REGION_SERIES),
        "mots": comparison_chart(d["sections"], lab, REGION_SERIES),
        "dimensions": comparison_chart(d["dimensions"], lab, REGION_SERIES, kind="profile"),
        "movers": movers_chart(movers, lab) if movers else None,
        "strips": {row["dealer"]["id"]: interval_strip(row["mean"], row.get("lo"), row.get("hi"))
                   for row in d["ranked"]},
    }


def _pdf_args() -> tuple[str, str | None, str]:
    wave = request.args.get("wave", "")
    lang = request.args.get("lang", "both")
    if not wave or len(wave) > 32:
        raise InvalidInput("page.invalid_form", {"wave": [Message("input.required")]})
    if lang not in REPORT_LANGUAGES:
        raise InvalidInput("page.invalid_form",
                           {"lang": [Message("input.one_of", choices=", ".join(REPORT_LANGUAGES))]})
    return wave, request.args.get("program") or None, lang


@bp.get("/region/<int:region_id>/report.pdf")
@roles("manager", "qa", "admin")
def region_report_pdf(region_id: int):
    """The region report PDF, by the same code and stored renderings as the API's download."""
    from ..downloads import pdf_download

    region = access.ensure_region_results_visible(current_user(), db.session.get(Region, region_id))
    wave, program, lang = _pdf_args()
    policy = DisputePolicy.from_config(current_app.config)
    return pdf_download(lambda data, figures, version: region_source(data, figures, region, lang, version,
                                                                     policy=policy, now=utcnow()),
                        wave, program, f"region-report-{region.code}")
