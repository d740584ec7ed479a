"""Audits as each role may see them: the fields DESIGN 7 hides are never put in the response."""
from __future__ import annotations

from typing import Any

from ..models import Audit, ScoreVersion, User
from ..services import access
from ..services.checklists import checklist_of
from ..services.score_versions import score_payload
from .language import request_language


def etag_of(audit: Audit) -> str:
    return f'"{audit.id.hex}-{audit.revision}"'


def flag_in(flag: dict[str, Any], language: str) -> dict[str, Any]:
    """A stored quality flag with its `message` in `language` (both texts are stored under `messages`)."""
    return {**flag, "message": (flag.get("messages") or {}).get(language, flag.get("message"))}


def present_audit(audit: Audit, user: User, *, answers: dict[str, Any] | None = None,
                  score: ScoreVersion | None = None, original_overall: float | None = None,
                  disputed_items: list[str] | None = None) -> dict[str, Any]:
    version = audit.checklist_version
    out: dict[str, Any] = {
        "id": str(audit.id), "status": audit.status, "dealer_id": audit.dealer_id, "wave_id": audit.wave_id,
        "checklist": {"key": version.key, "version": version.version},
        "published_at": audit.published_at,
    }
    if access.sees_plan(user):
        out.update(visit_window_start=audit.visit_window_start, visit_window_end=audit.visit_window_end,
                   etag=etag_of(audit), submitted_at=audit.submitted_at, review_notes=audit.review_notes,
                   review_item_notes=dict(audit.review_item_notes or {}), dealer=_dealer(audit))
    if access.sees_shopper(user):
        language = request_language()
        out.update(shopper_id=audit.shopper_id, shopper_name=audit.shopper.display_name,
                   flags=[flag_in(flag, language) for flag in audit.flags or []])
    if audit.visit_started_at is not None:
        visit: dict[str, Any] = {"started_at": audit.visit_started_at, "ended_at": audit.visit_ended_at}
        if access.sees_plan(user):
            visit["checkin"] = {"latitude": audit.checkin_latitude, "longitude": audit.checkin_longitude,
                                "accuracy_m": audit.checkin_accuracy_m}
        out["visit"] = visit
    if answers is not None:
        out["answers"] = answers
    if score is not None and access.sees_scores(user):
        out["score"] = score_payload(score, checklist_of(version), original_overall)
        out["revised"] = score.version > 1
        out["under_dispute"] = bool(disputed_items)
        out["items_under_dispute"] = list(disputed_items or [])
    return out


def _dealer(audit: Audit) -> dict[str, Any]:
    """Where the visit goes: what a shopper needs to find the showroom (and check in near it)."""
    dealer = audit.dealer
    return {"code": dealer.code, "name": {"zh": dealer.name_zh, "en": dealer.name_en}, "address": dealer.address,
            "latitude": dealer.latitude, "longitude": dealer.longitude, "timezone": dealer.timezone}
