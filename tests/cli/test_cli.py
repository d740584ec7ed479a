"""The command line: checklists validate/load, users create, score."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from sqlalchemy import select

from auditapp.checklists import load_checklist_file
from auditapp.models import ChecklistVersion, User
from auditapp.scoring import score_audit

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def runner(app, db_session):
    return app.test_cli_runner()


@pytest.mark.parametrize("checklist_name,answers_name", [
    ("sales_visit.yaml", "sales_visit_answers.json"), ("phone_enquiry.yaml", "phone_enquiry_answers.json"),
    ("sales_visit.v2.yaml", "sales_visit_v2_answers.json")])
def test_score_prints_what_the_engine_computes(runner, checklist_name, answers_name):
    checklist_path = ROOT / "checklists" / checklist_name
    answers_path = ROOT / "examples" / answers_name
    result = runner.invoke(args=["score", str(checklist_path), str(answers_path)])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    submission = json.loads(answers_path.read_text(encoding="utf-8"))
    expected = score_audit(load_checklist_file(checklist_path), submission["answers"]).to_dict()
    assert printed == json.loads(json.dumps(expected))
    assert math.isclose(printed["overall_raw"] + sum(printed["points_lost"].values()), 100, abs_tol=1e-9)
    assert math.isclose(printed["overall"] + sum(printed["points_lost"].values())
                        + sum(printed["knockout_cost"].values()), 100, abs_tol=1e-9)
    assert list(printed["knockout_cost"]) == [k["item"] for k in printed["knockouts"]]
    assert set(printed) >= {"overall", "overall_raw", "sections", "dimensions", "knockouts", "points_lost",
                            "knockout_cost"}


def test_score_of_the_version_2_example_by_hand(runner):
    """No test car, recovered with a firm appointment; a scripted complaint half handled."""
    result = runner.invoke(args=["score", str(ROOT / "checklists" / "sales_visit.v2.yaml"),
                                 str(ROOT / "examples" / "sales_visit_v2_answers.json")])
    assert result.exit_code == 0, result.output
    sections = json.loads(result.output)["sections"]
    # test_car_available no (weight 3, r 0) + test_car_recovery firm_appointment (weight 3, r 0.5)
    assert math.isclose(sections["test_drive"], 100 * 1.5 / 6)
    # listened 1×1, acknowledged 1×1, ownership 2×0, remedy 3×0.25, manager called 1×1, came later 2×0.5
    assert math.isclose(sections["complaint_handling"], 100 * 4.75 / 10)


def test_score_refuses_invalid_answers_with_the_item(runner, tmp_path):
    answers = tmp_path / "bad.json"
    answers.write_text(json.dumps({"checklist": {"key": "sales_visit", "version": 1},
                                   "answers": {"no_such_item": {"value": "yes"}}}))
    result = runner.invoke(args=["score", str(ROOT / "checklists" / "sales_visit.yaml"), str(answers)])
    assert result.exit_code == 1
    assert "no_such_item: unknown item for sales_visit v1" in result.output


def test_score_refuses_an_answer_that_is_not_an_object_with_the_item(runner, tmp_path):
    # "greeted" controls greet_seconds' show_if: a bare "yes" there once crashed the command.
    example = json.loads((ROOT / "examples" / "sales_visit_answers.json").read_text(encoding="utf-8"))
    example["answers"]["greeted"] = "yes"
    answers = tmp_path / "bare.json"
    answers.write_text(json.dumps(example))
    result = runner.invoke(args=["score", str(ROOT / "checklists" / "sales_visit.yaml"), str(answers)])
    assert result.exit_code == 1, result.output
    assert "bare.json: greeted: must be an object" in result.output
    assert "Traceback" not in result.output


def test_score_refuses_answers_for_another_checklist(runner, tmp_path):
    answers = tmp_path / "other.json"
    answers.write_text(json.dumps({"checklist": {"key": "phone_enquiry", "version": 1}, "answers": {}}))
    result = runner.invoke(args=["score", str(ROOT / "checklists" / "sales_visit.yaml"), str(answers)])
    assert result.exit_code == 1
    assert "is for phone_enquiry v1, not sales_visit v1" in result.output


def test_validate_reports_problems_and_fails(runner, tmp_path):
    (tmp_path / "bad.yaml").write_text("key: bad\nversion: 1\n", encoding="utf-8")
    result = runner.invoke(args=["checklists", "validate", str(tmp_path / "bad.yaml")])
    assert result.exit_code == 1
    out = result.output
    assert "title: required field missing" in out and "sections: required field missing" in out


def test_validate_the_shipped_checklists(runner):
    result = runner.invoke(args=["checklists", "validate"])
    assert result.exit_code == 0, result.output
    for version in ("sales_visit v1", "sales_visit v2", "phone_enquiry v1", "phone_enquiry v2"):
        assert f"ok  {version}" in result.output


def test_load_is_idempotent_and_refuses_a_changed_version(runner, db_session, tmp_path):
    first = runner.invoke(args=["checklists", "load"])
    assert first.exit_code == 0, first.output
    hashes = {row.version: row.content_hash for row in db_session.scalars(
        select(ChecklistVersion).where(ChecklistVersion.key == "sales_visit"))}
    again = runner.invoke(args=["checklists", "load"])
    assert "unchanged sales_visit v1" in again.output
    changed = tmp_path / "sales_visit.yaml"
    changed.write_text((ROOT / "checklists" / "sales_visit.yaml").read_text(encoding="utf-8")
                       .replace("weight: 3", "weight: 4", 1), encoding="utf-8")
    result = runner.invoke(args=["checklists", "load", str(changed)])
    assert result.exit_code == 1
    assert "immutable" in result.output
    stored = db_session.scalars(select(ChecklistVersion).where(ChecklistVersion.key == "sales_visit")).all()
    assert {row.version: row.content_hash for row in stored} == hashes and set(hashes) == {1, 2}


def test_users_create_reads_the_password_from_stdin(runner, db_session):
    result = runner.invoke(args=["users", "create", "--role", "qa", "--email", "QA@Example.com",
                                 "--password-stdin"], input="a long enough password\n")
    assert result.exit_code == 0, result.output
    user = db_session.scalar(select(User).where(User.email == "qa@example.com"))
    assert user.role == "qa" and "a long enough password" not in user.password_hash


def test_users_create_refuses_a_short_password(runner):
    result = runner.invoke(args=["users", "create", "--role", "qa", "--email", "x@example.com",
                                 "--password-stdin"], input="short\n")
    assert result.exit_code == 1


def test_users_set_password_ends_the_users_sessions(runner, db_session, make_user, auth_for, client):
    from auditapp.services.passwords import verify_password

    user = make_user("admin")
    headers = auth_for(user)
    result = runner.invoke(args=["users", "set-password", "--email", user.email.upper(), "--password-stdin"],
                           input="a recovered admin password\n")
    assert result.exit_code == 0, result.output
    db_session.expire_all()
    assert verify_password(db_session.get(User, user.id).password_hash, "a recovered admin password")
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_users_set_password_refuses_an_unknown_email_or_a_short_password(runner, make_user):
    unknown = runner.invoke(args=["users", "set-password", "--email", "nobody@example.com", "--password-stdin"],
                            input="a long enough password\n")
    assert unknown.exit_code == 1 and "no user" in unknown.output
    short = runner.invoke(args=["users", "set-password", "--email", make_user("qa").email, "--password-stdin"],
                          input="short\n")
    assert short.exit_code == 1 and "too short" in short.output


def test_assignments_import_prints_the_count_or_every_problem_by_row(runner, db_session, tmp_path, make_dealer,
                                                                      make_user, make_wave, make_checklist_version):
    from auditapp.models import Audit

    make_checklist_version()
    dealer, shopper, wave = make_dealer(), make_user("shopper"), make_wave()
    header = "dealer,shopper,window_start,window_end,checklist\r\n"
    bad = tmp_path / "bad.csv"
    bad.write_bytes(("\ufeff" + header + f"{dealer.code},{shopper.email},2026-08-01,2026-08-14,mini\r\n"
                     f"NOPE,{shopper.email},2026-08-01,2026-08-14,mini\r\n"
                     f"{dealer.code},{shopper.email},2026-08-01,2026-13-01,mini\r\n").encode())
    result = runner.invoke(args=["assignments", "import", "--wave", wave.code, "--lang", "zh", str(bad)])
    assert result.exit_code == 1
    assert "第 3 行，dealer 列：没有代码为 NOPE 的经销商" in result.output
    assert "第 4 行，window_end 列：不是日期" in result.output
    assert db_session.scalar(select(Audit).where(Audit.wave_id == wave.id)) is None
    good = tmp_path / "good.csv"
    good.write_bytes((header + f"{dealer.code},{shopper.email},2026-08-01,2026-08-14,mini\r\n").encode())
    result = runner.invoke(args=["assignments", "import", "--wave", wave.code, str(good)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"visits assigned in wave {wave.code}: 1"
    assert len(db_session.scalars(select(Audit).where(Audit.wave_id == wave.id)).all()) == 1
    unknown = runner.invoke(args=["assignments", "import", "--wave", "NO-SUCH", str(good)])
    assert unknown.exit_code == 1 and "no such wave" in unknown.output.lower()
