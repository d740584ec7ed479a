"""Configuration: defaults in code, then an optional file, then the environment; read once at start-up."""
from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).resolve().parent


def _data_dir(name: str) -> str:
    """`checklists/` and `report_templates/` beside the package in a checkout, inside it when installed."""
    checkout = PACKAGE_DIR.parent / name
    return str(checkout if checkout.is_dir() else PACKAGE_DIR / "_data" / name)


DEFAULTS: dict[str, Any] = {
    "SECRET_KEY": None,  # generated into the instance folder when not configured
    "SQLALCHEMY_DATABASE_URI": None,  # default: SQLite file in the instance folder
    "SQLALCHEMY_ENGINE_OPTIONS": {},
    "CHECKLIST_DIR": _data_dir("checklists"),
    "REPORT_TEMPLATE_DIR": _data_dir("report_templates"),
    "ATTACHMENT_DIR": None,  # default: instance/attachments
    "REPORT_DIR": None,  # default: instance/reports
    "FONT_CACHE_DIR": None,  # default: instance/fonts
    "TOKEN_TTL_SECONDS": 12 * 3600,
    "ROTATION_DAYS": 60,
    "MIN_RANKED_AUDITS": 2,
    # Waves whose parsed figures each process keeps between requests (services/figures/cache.py):
    # a 1,500-dealer wave of 4,500 82-item audits takes about 200 MB; 0 keeps none.
    "FIGURES_CACHE_WAVES": 2,
    "DISPUTE_WINDOW_DAYS": 5,
    "DECISION_DAYS": 5,
    "PUBLIC_HOLIDAYS": [],
    "CHECKIN_RADIUS_M": 50,
    "LATE_SUBMISSION_HOURS": 24,
    "CLOCK_SKEW_MINUTES": 10,
    "DEFAULT_TIMEZONE": "Asia/Shanghai",
    # The language of error and flag messages for a request whose Accept-Language names neither zh nor en.
    "DEFAULT_LANGUAGE": "en",
    "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    "MAX_ATTACHMENT_BYTES": 15 * 1024 * 1024,
    # Login throttling (services.auth.LoginPolicy; README "Login throttling").
    "LOGIN_FREE_FAILURES": 5,
    "LOGIN_ADDRESS_FREE_FAILURES": 20,
    "LOGIN_MAX_BACKOFF_SECONDS": 15 * 60,
    "LOGIN_FAILURE_MEMORY_SECONDS": 24 * 3600,
    "SMTP_HOST": "localhost",
    "SMTP_PORT": 25,
    "SMTP_TLS": "none",  # none | starttls | ssl
    "SMTP_USER": None,
    "SMTP_PASSWORD": None,
    "MAIL_FROM": "auditapp@localhost",
    # Corrective action plans (services/actions.py; README "Corrective action plans").
    "ACTION_DUE_DAYS": 30,
    "ACTION_TOP_GAPS": 3,
    "ACTION_GAPS_AT": "publication",  # publication | wave_close
    # Reminders to the dealer's users (services/action_reminders.py): "due soon" this many working days
    # before an action's due date (the dealer's local dates), "overdue" the day after it.
    "ACTION_REMINDER_DAYS": 3,
    # When the beat runs the daily reminder pass, HH:MM in UTC (01:00 is 09:00 in China); "" for never.
    "ACTION_REMINDER_AT": "01:00",
    # flask-smorest
    "API_TITLE": "auditapp",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api",
    "OPENAPI_JSON_PATH": "openapi.json",
    "OPENAPI_SWAGGER_UI_PATH": "/docs",
    # Swagger UI's scripts and styles come from the swagger-ui-bundle package (api/docs.py), not a CDN:
    # the page works offline and where the CDN is slow or blocked. No online validator badge either.
    "OPENAPI_SWAGGER_UI_URL": "/api/docs/assets/",
    "OPENAPI_SWAGGER_UI_CONFIG": {"validatorUrl": None},
    # Jobs (auditapp/jobs.py): a Celery broker (redis://… or amqp://…); none = everything in-process.
    "BROKER_URL": None,
    "RESULT_BACKEND": None,  # default: the Redis broker itself, or RabbitMQ's rpc://
    # Seconds before Redis hands an unacknowledged task to another worker: above the longest task.
    "BROKER_VISIBILITY_TIMEOUT": 3600,
    # Further options of the broker's transport (kombu), e.g. Redis's unacked_restore_interval.
    "BROKER_TRANSPORT_OPTIONS": {},
    "TASK_QUEUE": "auditapp",  # the queue the jobs go to and the workers read
    "SQLALCHEMY_TRACK_MODIFICATIONS": False,
    "JSON_SORT_KEYS": False,
    # Where attachments and rendered PDFs are kept (auditapp/storage.py; README "Storage"): "local" (the
    # folders ATTACHMENT_DIR and REPORT_DIR) or "s3" (S3-compatible object storage: AWS S3, MinIO, OSS).
    "STORAGE": "local",
    "S3_BUCKET": None,
    "S3_ENDPOINT_URL": None,  # None: AWS S3 itself; e.g. http://minio:9000, https://oss-cn-shanghai.aliyuncs.com
    "S3_REGION": None,
    "S3_ACCESS_KEY_ID": None,  # None: boto3's own chain (environment, instance role)
    "S3_SECRET_ACCESS_KEY": None,
    "S3_ADDRESSING_STYLE": "auto",  # auto | path (MinIO) | virtual (OSS)
    "S3_PREFIX": "",  # keys are <prefix>attachments/ab/cd/<sha256> and <prefix>reports/ab/<sha256>.pdf
    "S3_CONNECT_TIMEOUT_SECONDS": 5.0,
    # Downloads stream through the app by default: every client that reaches the app gets its files, even
    # where the object store is blocked or slow for it (dealers in China and a bucket abroad, a MinIO on an
    # internal network). True answers a 302 to a presigned URL instead, when every client reaches the store.
    "S3_PRESIGNED_DOWNLOADS": False,
    "S3_PRESIGNED_EXPIRY_SECONDS": 300,
    "S3_PRESIGN_ENDPOINT_URL": None,  # the store's address as clients reach it, if not S3_ENDPOINT_URL
    # Operations (auditapp/operations.py): /health, /metrics and the log format.
    "HEALTH_TIMEOUT_SECONDS": 2.0,  # each check of /health (database, storage) gives up after this
    "LOG_FORMAT": "text",  # text (for a terminal) | json (one object per line, for a log collector)
    "LOG_LEVEL": "INFO",
    # Instant alerts and the outbox (services/alerts.py, services/outbox.py; README "Alerts", "Webhooks").
    "ALERT_BELOW": {},  # per program, e.g. {"sales_visit": 60}: alert when a published overall is below it
    "PORTAL_BASE_URL": None,  # links in alerts; default: the address the approving request came to
    "OUTBOX_POLL_SECONDS": 30,  # each server process retries due deliveries this often; 0: only the CLI does
}

# Environment variables that are not AUDITAPP_-prefixed but conventional.
ENV_ALIASES = {"DATABASE_URL": "SQLALCHEMY_DATABASE_URI"}


def _coerce(raw: str, default: Any) -> Any:
    """Environment values are strings; give them the type of the default."""
    if isinstance(default, bool):
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    if isinstance(default, (list, dict)):
        return json.loads(raw)
    return raw


def normalise_database_url(url: str) -> str:
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy wants an explicit driver.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    for name, value in environ.items():
        if name in ENV_ALIASES:
            settings[ENV_ALIASES[name]] = value
        elif name.startswith("AUDITAPP_") and name != "AUDITAPP_CONFIG":
            key = name[len("AUDITAPP_"):]
            settings[key] = _coerce(value, DEFAULTS.get(key))
    return settings
