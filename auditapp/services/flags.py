"""Automatic quality flags shown to QA (DESIGN 5), computed when an audit is submitted.

The rules are pure functions over plain values; `gather_facts` reads what they need from the database
with a fixed number of queries, whatever the number of answers, photos or comments.
"""
from __future__ import annotations

import hashlib
import math
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable, Mapping, Sequence, TypedDict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import Answer, Attachment, Audit, AuditEvent
from .checklists import checklist_of

EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG)
MIN_COMMENT_CHARS = 15  # shorter comments ("ok", "很好") are identical across audits by nature


class Flag(TypedDict):
    code: str
    message: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class FlagLimits:
    checkin_radius_m: float
    late_submission_hours: float
    clock_skew_minutes: float

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> FlagLimits:
        return cls(checkin_radius_m=float(config["CHECKIN_RADIUS_M"]),
                   late_submission_hours=float(config["LATE_SUBMISSION_HOURS"]),
                   clock_skew_minutes=float(config["CLOCK_SKEW_MINUTES"]))


@dataclass(frozen=True)
class SubmissionFacts:
    """Everything the flags look at, as plain values."""
    visit_started_at: datetime
    visit_ended_at: datetime
    min_visit_minutes: float
    checkin: tuple[float, float] | None
    checkin_accuracy_m: float | None
    dealer_location: tuple[float, float] | None
    received_at: datetime
    first_submitted_at: datetime  # the first submission of the audit; later ones follow a QA return
    device_time: datetime
    # photo hash -> (item keys of this audit citing it, other audits holding the same file)
    shared_photos: Mapping[str, tuple[Sequence[str], Sequence[str]]] = field(default_factory=dict)
    # item key of this audit -> other audits with the same comment
    shared_comments: Mapping[str, Sequence[str]] = field(default_factory=dict)


def haversine_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in metres between two (latitude, longitude) points in degrees."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def normalise_comment(text: str | None) -> str | None:
    """The comment as compared across audits, or None when it is too short to mean anything."""
    if not text:
        return None
    normal = " ".join(text.split())
    return normal if len(normal) >= MIN_COMMENT_CHARS else None


def comment_digest(text: str | None) -> str | None:
    """What is stored (indexed) beside a comment to find the same comment in other audits."""
    normal = normalise_comment(text)
    return hashlib.sha256(normal.encode("utf-8")).hexdigest() if normal is not None else None


def duration_text(seconds: float) -> str:
    """A duration as people read it: "19 min 59 s", "26 h 5 min" (cut, not rounded: 19:59.7 is not 20 min)."""
    seconds = int(abs(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    return f"{secs} s"


def distance_text(metres: float) -> str:
    if metres < 100:
        return f"{metres:.1f} m"
    return f"{metres:.0f} m" if metres < 10_000 else f"{metres / 1000:.1f} km"


def short_visit(started_at: datetime, ended_at: datetime, min_minutes: float) -> Flag | None:
    seconds = (ended_at - started_at).total_seconds()
    if seconds >= min_minutes * 60:
        return None
    return {"code": "short_visit",
            "message": f"The visit lasted {duration_text(seconds)}; the checklist requires at least "
                       f"{min_minutes:g} min.",
            "detail": {"minutes": round(seconds / 60, 2), "min_minutes": min_minutes}}


def far_checkin(checkin: tuple[float, float] | None, dealer: tuple[float, float] | None, radius_m: float,
                accuracy_m: float | None = None) -> Flag | None:
    if checkin is None or dealer is None:
        return None  # a dealer without coordinates cannot be checked
    distance = haversine_m(checkin, dealer)
    if distance <= radius_m:
        return None
    accuracy = f" (GPS accuracy ±{accuracy_m:.0f} m)" if accuracy_m is not None else ""
    return {"code": "far_checkin",
            "message": f"The check-in was {distance_text(distance)} from the dealer{accuracy}; "
                       f"the allowed radius is {radius_m:g} m.",
            "detail": {"distance_m": round(distance, 1), "radius_m": radius_m, "accuracy_m": accuracy_m,
                       "checkin": {"latitude": checkin[0], "longitude": checkin[1]},
                       "dealer": {"latitude": dealer[0], "longitude": dealer[1]}}}


def late_submission(visit_ended_at: datetime, submitted_at: datetime, limit_hours: float) -> Flag | None:
    seconds = (submitted_at - visit_ended_at).total_seconds()
    hours = seconds / 3600
    if hours <= limit_hours:
        return None
    return {"code": "late_submission",
            "message": f"Submitted {duration_text(seconds)} after the visit ended; the limit is {limit_hours:g} h.",
            "detail": {"hours": round(hours, 2), "limit_hours": limit_hours,
                       "visit_ended_at": visit_ended_at.isoformat(), "submitted_at": submitted_at.isoformat()}}


def clock_skew(device_time: datetime, received_at: datetime, limit_minutes: float) -> Flag | None:
    seconds = (device_time - received_at).total_seconds()
    skew = seconds / 60
    if abs(skew) <= limit_minutes:
        return None
    direction = "ahead of" if skew > 0 else "behind"
    return {"code": "clock_skew",
            "message": f"The phone's clock was {duration_text(seconds)} {direction} the server's at submission; "
                       f"the limit is {limit_minutes:g} min.",
            "detail": {"skew_minutes": round(skew, 2), "limit_minutes": limit_minutes,
                       "device_time": device_time.isoformat(), "received_at": received_at.isoformat()}}


def duplicate_photos(shared: Mapping[str, tuple[Sequence[str], Sequence[str]]]) -> Flag | None:
    if not shared:
        return None
    photos = [{"sha256": sha, "items": sorted(items), "other_audits": sorted(others)}
              for sha, (items, others) in sorted(shared.items())]
    described = "; ".join(f"{p['sha256'][:12]}… ({', '.join(p['items'])}) in audit {', '.join(p['other_audits'])}"
                          for p in photos)
    noun = "photo also appears" if len(photos) == 1 else "photos also appear"
    return {"code": "duplicate_photo",
            "message": f"{len(photos)} {noun} in another audit: {described}.",
            "detail": {"photos": photos}}


def identical_comments(shared: Mapping[str, Sequence[str]]) -> Flag | None:
    if not shared:
        return None
    comments = [{"item": key, "other_audits": sorted(others)} for key, others in sorted(shared.items())]
    described = "; ".join(f"{c['item']} (audit {', '.join(c['other_audits'])})" for c in comments)
    noun = "comment is" if len(comments) == 1 else "comments are"
    return {"code": "identical_comment",
            "message": f"{len(comments)} {noun} identical to a comment in another audit: {described}.",
            "detail": {"comments": comments, "min_chars": MIN_COMMENT_CHARS}}


def compute_flags(facts: SubmissionFacts, limits: FlagLimits) -> list[Flag]:
    found = [
        short_visit(facts.visit_started_at, facts.visit_ended_at, facts.min_visit_minutes),
        far_checkin(facts.checkin, facts.dealer_location, limits.checkin_radius_m, facts.checkin_accuracy_m),
        late_submission(facts.visit_ended_at, facts.first_submitted_at, limits.late_submission_hours),
        clock_skew(facts.device_time, facts.received_at, limits.clock_skew_minutes),
        duplicate_photos(facts.shared_photos),
        identical_comments(facts.shared_comments),
    ]
    return [flag for flag in found if flag is not None]


def gather_facts(session: Session, audit: Audit, answers: Mapping[str, Mapping[str, Any]],
                 visit: Mapping[str, Any], received_at: datetime) -> SubmissionFacts:
    """The facts of a submission about to be stored; at most four queries."""
    checklist = checklist_of(audit.checklist_version)
    first_submitted = session.scalar(select(func.min(AuditEvent.at)).where(
        AuditEvent.audit_id == audit.id, AuditEvent.kind == "submitted"))
    dealer = audit.dealer
    checkin = visit.get("checkin")
    return SubmissionFacts(
        visit_started_at=visit["started_at"], visit_ended_at=visit["ended_at"],
        min_visit_minutes=checklist.min_visit_minutes,
        checkin=(checkin["latitude"], checkin["longitude"]) if checkin else None,
        checkin_accuracy_m=checkin.get("accuracy_m") if checkin else None,
        dealer_location=(dealer.latitude, dealer.longitude)
        if dealer.latitude is not None and dealer.longitude is not None else None,
        received_at=received_at, first_submitted_at=first_submitted or received_at,
        device_time=visit["device_time"],
        shared_photos=_shared_photos(session, audit.id, answers),
        shared_comments=_shared_comments(session, audit.id, answers))


def _shared_photos(session: Session, audit_id: uuid.UUID, answers: Mapping[str, Mapping[str, Any]]
                   ) -> dict[str, tuple[list[str], list[str]]]:
    cited: dict[str, list[str]] = {}
    for key, answer in answers.items():
        for sha in answer.get("attachments") or ():
            cited.setdefault(sha, []).append(key)
    if not cited:
        return {}
    # Only files a shopper uploaded count: a dealer's dispute evidence may well reuse an audit photo.
    rows = session.execute(
        select(Attachment.sha256, Attachment.audit_id).join(Audit, Audit.id == Attachment.audit_id)
        .where(Attachment.sha256.in_(cited), Attachment.audit_id != audit_id,
               Attachment.uploaded_by_id == Audit.shopper_id))
    others: dict[str, set[str]] = {}
    for sha, other in rows:
        others.setdefault(sha, set()).add(str(other))
    return {sha: (cited[sha], sorted(ids)) for sha, ids in others.items()}


def _shared_comments(session: Session, audit_id: uuid.UUID, answers: Mapping[str, Mapping[str, Any]]
                     ) -> dict[str, list[str]]:
    mine: dict[str, list[str]] = {}
    for key, answer in answers.items():
        normal = normalise_comment(answer.get("comment"))
        if normal is not None:
            mine.setdefault(normal, []).append(key)
    if not mine:
        return {}
    digests = {comment_digest(text) for text in mine}
    rows = session.execute(select(Answer.audit_id, Answer.comment).where(
        Answer.audit_id != audit_id, Answer.comment_digest.in_(digests)))
    shared: dict[str, set[str]] = {}
    for other, comment in rows:
        for key in mine.get(normalise_comment(comment) or "", ()):
            shared.setdefault(key, set()).add(str(other))
    return {key: sorted(ids) for key, ids in shared.items()}


def flag_codes(flags: Iterable[Flag]) -> list[str]:
    return [flag["code"] for flag in flags]
