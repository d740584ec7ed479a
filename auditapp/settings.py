"""Reading configuration once, at start-up: defaults, then a file, then the environment, then overrides."""
from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from .config import DEFAULTS, from_environment, normalise_database_url
from .constants import ACTION_GAPS_AT
from .messages import LANGUAGES


def init_app(app: Flask, overrides: Mapping[str, Any] | None = None) -> None:
    app.config.from_mapping(DEFAULTS)
    config_file = os.environ.get("AUDITAPP_CONFIG") or os.path.join(app.instance_path, "auditapp.cfg")
    if os.environ.get("AUDITAPP_CONFIG") or os.path.exists(config_file):
        app.config.from_pyfile(config_file)
    app.config.update(from_environment(os.environ))
    if overrides:
        app.config.update(overrides)
    if app.config["DEFAULT_LANGUAGE"] not in LANGUAGES:
        raise ValueError(f"DEFAULT_LANGUAGE must be one of {', '.join(LANGUAGES)}, "
                         f"not {app.config['DEFAULT_LANGUAGE']!r}")
    if app.config["ACTION_GAPS_AT"] not in ACTION_GAPS_AT:
        raise ValueError(f"ACTION_GAPS_AT must be one of {', '.join(ACTION_GAPS_AT)}, "
                         f"not {app.config['ACTION_GAPS_AT']!r}")

    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'auditapp.db'}"
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    for key, sub in (("ATTACHMENT_DIR", "attachments"), ("REPORT_DIR", "reports"), ("FONT_CACHE_DIR", "fonts")):
        if not app.config[key]:
            app.config[key] = str(instance / sub)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _instance_secret(instance / "secret_key")


def _instance_secret(path: Path) -> str:
    """A secret made once per installation, so the embedded default needs no configuration."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        secret = secrets.token_hex(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secret)
        return secret
    except OSError:
        return secrets.token_hex(32)
