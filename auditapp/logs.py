"""Log lines with the id of the request they were written in (README "Logging").

Every request has an id: the client's `X-Request-ID` when it is a sane token (a reverse proxy or a
phone that made one, so its lines and ours can be matched), otherwise a new one. It is returned in the
response's `X-Request-ID` and added to every log line written while the request runs, whatever logger
wrote it, by a filter on the handler. LOG_FORMAT chooses how a line looks:

- `text` (the default): one readable line, for a person at a terminal (`auditapp demo`, `serve` by hand);
- `json`: one JSON object per line (`time`, `level`, `logger`, `message`, `request_id`, and `exception`
  when there is one), for a log collector; set it in deployments.
"""
from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import datetime, timezone
from typing import Any

REQUEST_ID_HEADER = "X-Request-ID"
# A client's id is kept only when it cannot break a log line or a header, nor flood them.
SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:@/+=-]{8,128}$")
FORMATS = ("text", "json")
_NO_REQUEST = "-"

request_id: ContextVar[str] = ContextVar("auditapp_request_id", default=_NO_REQUEST)


def new_request_id(incoming: str | None) -> str:
    if incoming and SANE_REQUEST_ID.match(incoming):
        return incoming
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record (`-` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


# What a LogRecord holds of its own: anything else on a record came from `extra=` and is logged too.
_RECORD_FIELDS = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime",
                                                                                 "request_id"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname, "logger": record.name, "message": record.getMessage(),
            "request_id": getattr(record, "request_id", _NO_REQUEST)}
        line.update({key: value for key, value in vars(record).items()
                     if key not in _RECORD_FIELDS and not key.startswith("_")})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


class _Handler(logging.StreamHandler):
    """Ours, so that configuring again (tests make many apps) replaces it instead of adding another."""


def configure(config: Mapping[str, Any]) -> logging.Handler:
    """The root logger's handler on standard error in the configured format; called once per app."""
    form = config.get("LOG_FORMAT") or "text"
    if form not in FORMATS:
        raise ValueError(f"LOG_FORMAT must be one of {', '.join(FORMATS)}, not {form!r}")
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _Handler)]:
        root.removeHandler(old)
    handler = _Handler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if form == "json" else logging.Formatter(TEXT_FORMAT))
    root.addHandler(handler)
    # Our own lines from LOG_LEVEL up; other libraries' only from warnings up (WeasyPrint, for one, logs
    # every layout step of every PDF at INFO).
    root.setLevel(logging.WARNING)
    logging.getLogger("auditapp").setLevel(config.get("LOG_LEVEL") or "INFO")
    return handler
