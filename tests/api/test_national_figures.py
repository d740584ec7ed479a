"""The nation's figures of a wave (GET /api/v1/waves/{code}/figures), by hand, and the figures read by a
wave's scorecards: one AuditFigures row per audit, kept with each score version, and the parsed figures
that a process keeps between requests (services/figures/cache.py), which never outlive a score change."""
from __future__ import annotations

import math

import pytest
from test_scores import POOR, program  # noqa: F401 (program: the fixture)

# Overall of each answer set (see test_scores): PERFECT 100, MIXED (2·250/3 + 87.5)/3, POOR 25/3.
MIXED_O = (2 * 250 / 3 + 87.5) / 3
POOR_O = 25 / 3


def _nation(a: float, b: float, c: float, lonely: float) -> float:
    return (a + b + c + lonely) / 4


def test_the_nation_is_the_mean_of_its_dealers_and_its_worst_gap_names_the_region_driving_it(
        client, program, make_user, auth_for):  # noqa: F811
    r = client.get("/api/v1/waves/2026-Q3/figures", headers=auth_for(make_user("qa")))
    assert r.status_code == 200, r.json
    figures = r.json
    expected = _nation((100 + MIXED_O) / 2, (POOR_O + MIXED_O) / 2, MIXED_O, 100)
    assert math.isclose(figures["score"]["mean"], expected)
    assert figures["score"]["printed"] == round(expected, 1)
    assert (figures["score"]["dealers"], figures["score"]["audits"]) == (4, 7)
    regions = {row["region"]["code"]: row for row in figures["regions"]}
    assert regions[program["north"].code]["dealers"] == 3 and regions[program["south"].code]["dealers"] == 1
    # The failed knock-out (greeted, in b's POOR visit) comes first. POOR: greeted is the greeting's only
    # shown item, g = 2/3, r = 0 → L = 200/3, K = 0 (the section was 0 already). b's mean over its 2 visits
    # is 100/3; the nation's, over 4 dealers, 25/3; the north's, over 3, 100/9: the north drives it.
    first = figures["gaps"][0]
    assert first["item"] == "greeted" and first["knockout"] is True
    assert math.isclose(first["mean_points_lost_total"], 25 / 3)
    assert [d["region"]["code"] for d in first["drivers"]] == [program["north"].code]
    assert math.isclose(first["drivers"][0]["mean_points_lost_total"], 100 / 9)
    assert {row["key"] for row in figures["sections"]} == {"greeting", "negotiation"}


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_the_brand_and_the_agency_read_the_nation(client, program, make_user, auth_for, role):  # noqa: F811
    regions = [program["south"]] if role == "manager" else []
    r = client.get("/api/v1/waves/2026-Q3/figures", headers=auth_for(make_user(role, regions=regions)))
    assert r.status_code == 200, r.json


def test_a_dealer_does_not_read_the_nation(client, program, make_user, auth_for):  # noqa: F811
    r = client.get("/api/v1/waves/2026-Q3/figures", headers=auth_for(make_user("dealer", dealer=program["a"])))
    assert r.status_code == 403


def test_an_unknown_wave_is_404_and_an_unknown_program_422(client, program, make_user, auth_for):  # noqa: F811
    qa = auth_for(make_user("qa"))
    assert client.get("/api/v1/waves/1999/figures", headers=qa).status_code == 404
    r = client.get("/api/v1/waves/2026-Q3/figures?program=nope", headers=qa)
    assert r.status_code == 422 and "program" in r.json["errors"]


def test_each_score_version_replaces_the_audits_figures_and_keeps_the_original_overall(
        db_session, make_published_audit, make_wave):
    from auditapp.models import AuditFigures
    from auditapp.services.score_versions import store_score_version

    audit = make_published_audit(POOR, wave=make_wave())
    row = db_session.get(AuditFigures, audit.id)
    assert (row.version, row.program, row.wave_id) == (1, "mini", audit.wave_id)
    assert math.isclose(row.overall, POOR_O) and math.isclose(row.original_overall, POOR_O)
    assert set(row.figures) == {"overall", "overall_raw", "sections", "sections_raw", "dimensions", "knockouts",
                                "points_lost", "knockout_cost", "failed", "ratios"}
    # Upheld: the written quote passes. Negotiation = 100·(3 + 1)/4 = 100; overall = (2·0 + 100)/3.
    version = store_score_version(db_session, audit, None, "dispute upheld", {"written_quote": {"value": "yes"}})
    db_session.commit()
    db_session.expire_all()
    row = db_session.get(AuditFigures, audit.id)
    assert (row.version, row.score_version_id) == (2, version.id)
    assert math.isclose(row.overall, 100 / 3) and math.isclose(row.original_overall, POOR_O)
    assert row.figures["overall"] == version.score["overall"] and row.figures["ratios"] == version.score["ratios"]


def test_a_new_score_version_is_read_at_once_and_an_unchanged_wave_is_not_parsed_again(
        client, db_session, program, make_user, auth_for, count_queries):  # noqa: F811
    from auditapp.models import Audit, AuditFigures
    from auditapp.services.score_versions import store_score_version

    qa = auth_for(make_user("qa"))
    path = "/api/v1/waves/2026-Q3/figures"
    with count_queries() as cold:
        first = client.get(path, headers=qa).json
    with count_queries() as warm:
        again = client.get(path, headers=qa).json
    assert again == first
    # The second read finds the same score versions: it skips reading their figures.
    assert warm.count == cold.count - 1
    assert not any("audit_figures.figures" in s for s in warm.statements)
    poor = next(audit for audit in db_session.query(Audit).filter(Audit.dealer_id == program["b"].id)
                if math.isclose(db_session.get(AuditFigures, audit.id).overall, POOR_O))
    store_score_version(db_session, poor, None, "dispute upheld", {"written_quote": {"value": "yes"}})
    db_session.commit()
    revised = client.get(path, headers=qa).json
    expected = _nation((100 + MIXED_O) / 2, (100 / 3 + MIXED_O) / 2, MIXED_O, 100)
    assert math.isclose(revised["score"]["mean"], expected)


def test_an_earlier_waves_revision_reaches_the_trend_at_once_and_an_unchanged_one_is_not_read_again(
        client, db_session, program, make_wave, make_published_audit, make_user, auth_for,  # noqa: F811
        count_queries):
    from datetime import date

    from auditapp.models import Audit
    from auditapp.services.score_versions import store_score_version

    a, b = program["a"], program["b"]
    earlier = make_wave(code="2026-Q2", starts_on=date(2026, 4, 1), ends_on=date(2026, 6, 30))
    version = db_session.get(Audit, make_published_audit(POOR, dealer=a, wave=program["wave"]).id).checklist_version
    poor = make_published_audit(POOR, dealer=a, wave=earlier, checklist_version=version)
    make_published_audit(POOR, dealer=b, wave=earlier, checklist_version=version)
    qa = auth_for(make_user("qa"))
    path = f"/api/v1/dealers/{a.id}/scorecard?wave=2026-Q3"

    def earlier_point() -> dict:
        trend = client.get(path, headers=qa).json["trend"]
        assert [t["wave"]["code"] for t in trend] == ["2026-Q2", "2026-Q3"]
        return trend[0]

    # Q2 by hand: a and b one POOR visit each (25/3); the nation is the mean of its two dealers.
    with count_queries() as cold:
        first = earlier_point()
    assert math.isclose(first["score"], POOR_O) and math.isclose(first["nation"], POOR_O)
    with count_queries() as warm:
        assert earlier_point() == first
    earlier_rows = [s for s in cold.statements if "audit_figures.overall" in s and "GROUP BY" not in s]
    assert earlier_rows and not any(s in warm.statements for s in earlier_rows)
    # Upheld: the written quote passes, a's Q2 visit scores 100/3; the nation (100/3 + 25/3) / 2.
    store_score_version(db_session, db_session.get(Audit, poor.id), None, "dispute upheld",
                        {"written_quote": {"value": "yes"}})
    db_session.commit()
    revised = earlier_point()
    assert math.isclose(revised["score"], 100 / 3) and math.isclose(revised["nation"], (100 / 3 + POOR_O) / 2)
