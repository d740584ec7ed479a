"""Configuration is read once, at start-up: defaults, then a config file, then the environment
(`AUDITAPP_<SETTING>`, `DATABASE_URL`), then the overrides given to create_app."""
from __future__ import annotations

import os
import stat
from pathlib import Path

import flask
import pytest

from auditapp import create_app
from auditapp.config import DEFAULTS


@pytest.fixture
def instance(tmp_path, monkeypatch) -> Path:
    """A clean environment and an instance folder of the test's own."""
    folder = tmp_path / "instance"
    monkeypatch.setattr(flask.Flask, "auto_find_instance_path", lambda self: str(folder))
    for name in list(os.environ):
        if name.startswith("AUDITAPP_") or name == "DATABASE_URL":
            monkeypatch.delenv(name)
    return folder


def test_the_embedded_defaults_need_no_configuration(instance):
    config = create_app().config
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance / 'auditapp.db'}"
    assert config["ATTACHMENT_DIR"] == str(instance / "attachments")
    assert config["REPORT_DIR"] == str(instance / "reports")
    assert config["FONT_CACHE_DIR"] == str(instance / "fonts")
    assert config["ROTATION_DAYS"] == 60 and config["DISPUTE_WINDOW_DAYS"] == 5 and config["PUBLIC_HOLIDAYS"] == []


def test_the_secret_key_is_made_once_and_kept_private(instance):
    first = create_app().config["SECRET_KEY"]
    secret_file = instance / "secret_key"
    assert len(first) == 64 and secret_file.read_text() == first
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert create_app().config["SECRET_KEY"] == first  # a restart keeps the sessions' key


def test_the_instance_config_file_is_read(instance):
    instance.mkdir()
    (instance / "auditapp.cfg").write_text("ROTATION_DAYS = 90\nSMTP_HOST = 'mail.example.com'\n")
    config = create_app().config
    assert config["ROTATION_DAYS"] == 90 and config["SMTP_HOST"] == "mail.example.com"


def test_auditapp_config_names_another_file_and_a_missing_one_is_an_error(instance, tmp_path, monkeypatch):
    other = tmp_path / "production.cfg"
    other.write_text("DECISION_DAYS = 3\n")
    monkeypatch.setenv("AUDITAPP_CONFIG", str(other))
    assert create_app().config["DECISION_DAYS"] == 3
    monkeypatch.setenv("AUDITAPP_CONFIG", str(tmp_path / "missing.cfg"))
    with pytest.raises(OSError):
        create_app()  # a named file that is not there is a mistake, not a reason to run on defaults


def test_environment_variables_beat_the_file_and_get_the_default_s_type(instance, monkeypatch):
    instance.mkdir()
    (instance / "auditapp.cfg").write_text("ROTATION_DAYS = 90\n")
    monkeypatch.setenv("AUDITAPP_ROTATION_DAYS", "30")
    monkeypatch.setenv("AUDITAPP_PUBLIC_HOLIDAYS", '["2026-10-01", "2026-10-02"]')
    monkeypatch.setenv("AUDITAPP_CLOCK_SKEW_MINUTES", "15")
    monkeypatch.setenv("AUDITAPP_SMTP_TLS", "starttls")
    config = create_app().config
    assert config["ROTATION_DAYS"] == 30
    assert config["PUBLIC_HOLIDAYS"] == ["2026-10-01", "2026-10-02"]
    assert config["CLOCK_SKEW_MINUTES"] == 15 and config["SMTP_TLS"] == "starttls"


def test_a_bad_environment_value_stops_the_start(instance, monkeypatch):
    monkeypatch.setenv("AUDITAPP_ROTATION_DAYS", "sixty")
    with pytest.raises(ValueError):
        create_app()


@pytest.mark.parametrize("url,expected", [
    ("postgres://app@db.example.com/audits", "postgresql+psycopg://app@db.example.com/audits"),
    ("postgresql://app@db.example.com/audits", "postgresql+psycopg://app@db.example.com/audits"),
    ("postgresql+psycopg://app@db/audits", "postgresql+psycopg://app@db/audits"),
    ("sqlite:////srv/auditapp.db", "sqlite:////srv/auditapp.db"),
])
def test_database_url_picks_the_database_with_an_explicit_driver(instance, monkeypatch, url, expected):
    monkeypatch.setenv("DATABASE_URL", url)
    assert create_app().config["SQLALCHEMY_DATABASE_URI"] == expected


def test_overrides_beat_the_environment(instance, monkeypatch):
    monkeypatch.setenv("AUDITAPP_ROTATION_DAYS", "30")
    assert create_app({"ROTATION_DAYS": 7}).config["ROTATION_DAYS"] == 7


def test_configuration_is_read_once_at_start_up(instance, monkeypatch):
    app = create_app()
    monkeypatch.setenv("AUDITAPP_ROTATION_DAYS", "1")
    monkeypatch.setenv("DATABASE_URL", "postgresql://elsewhere/db")
    assert app.config["ROTATION_DAYS"] == DEFAULTS["ROTATION_DAYS"]
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")


def test_action_gaps_at_must_name_a_known_moment(tmp_path):
    with pytest.raises(ValueError, match="ACTION_GAPS_AT"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}", "SECRET_KEY": "x",
                    "ACTION_GAPS_AT": "sometimes"})
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}", "SECRET_KEY": "x",
                      "ACTION_GAPS_AT": "wave_close"})
    assert (app.config["ACTION_GAPS_AT"], app.config["ACTION_DUE_DAYS"], app.config["ACTION_TOP_GAPS"]) == (
        "wave_close", 30, 3)
