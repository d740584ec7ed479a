"""Automatic quality flags shown to QA (DESIGN 5), computed when an audit is submitted.

The rules are pure functions over plain values; `gather_facts` reads what they need from the database
with a fixed number of queries, whatever the number of answers, photos or comments. Each flag has a
stable `code` (one of FLAG_CODES, what QA's list filters by), its text in both languages under `messages`
{zh, en} (from the message catalogue, auditapp/messages.py; the API answers `message` in the client's
language), and a `detail` with the figures behind it.

The limits that are product rules rather than settings are defined here, once:
- comments: a shopper's own comment repeated in another of their audits counts from OWN_COMMENT_MIN_WIDTH
  columns; the same text written by another shopper only from SHARED_COMMENT_MIN_WIDTH (short phrases
  such as "very friendly" are common to everyone). Width counts a CJK character as two columns, since it
  carries about as much as two Latin letters; text is compared after NFKC, case folding and removing
  everything but letters and digits, so spacing and punctuation do not hide a copy.
- photo capture times may lie PHOTO_TIME_TOLERANCE before or after the visit (the outside of the
  showroom, a receipt photographed on leaving).
- travel between one shopper's consecutive visits is impossible above MAX_TRAVEL_SPEED_KMH door to door
  (faster than a high-speed train ride including getting to and from stations); check-ins closer than
  MIN_TRAVEL_CHECK_M apart are not compared (the same mall, GPS noise).
"""
from __future__ import annotations

import hashlib
import math
import unicodedata
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypedDict, cast
from zoneinfo import ZoneInfo

from sqlalchemy import CompoundSelect, Table, bindparam, delete, func, insert, select, union_all
from sqlalchemy.orm import Session

from ..messages import Message
from ..models import Answer, Attachment, Audit, AuditEvent, AuditFlag
from .checklists import checklist_of

EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG)
OWN_COMMENT_MIN_WIDTH = 30
SHARED_COMMENT_MIN_WIDTH = 80
PHOTO_TIME_TOLERANCE = timedelta(minutes=30)
MAX_TRAVEL_SPEED_KMH = 200.0
MIN_TRAVEL_CHECK_M = 1_000.0
# Neighbouring visits further apart than this in time cannot make travel impossible at the speed above
# between any two points in the country; they are not read.
TRAVEL_LOOKAROUND = timedelta(hours=24)

FLAG_CODES = ("short_visit", "far_checkin", "outside_window", "late_submission", "clock_skew", "duplicate_photo",
              "photo_time_mismatch", "identical_comment", "impossible_travel")


class Flag(TypedDict):
    code: str
    message: str  # as stored, English (`messages["en"]`); the API sends the negotiated language
    messages: dict[str, str]  # {"zh": ..., "en": ...}
    detail: dict[str, Any]


def _flag(code: str, message: Message, detail: dict[str, Any]) -> Flag:
    assert code in FLAG_CODES
    texts = message.texts()
    return {"code": code, "message": texts["en"], "messages": texts, "detail": detail}


def _duration(seconds: float) -> dict[str, str]:
    return {"zh": duration_text(seconds, "zh"), "en": duration_text(seconds)}


@dataclass(frozen=True)
class Visit:
    """Another visit of the same shopper, as the travel rule needs it."""
    audit_id: str
    started_at: datetime
    ended_at: datetime
    location: tuple[float, float]


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
    channel: str = "visit"
    window: tuple[date, date] | None = None  # the assigned visit window, in the dealer's local dates
    timezone: str = "Asia/Shanghai"  # the dealer's
    # photo hash -> (item keys of this audit citing it, other audits holding the same file)
    shared_photos: Mapping[str, tuple[Sequence[str], Sequence[str]]] = field(default_factory=dict)
    # item key of this audit -> (the shopper's other audits with the same comment, other shoppers' audits)
    shared_comments: Mapping[str, tuple[Sequence[str], Sequence[str]]] = field(default_factory=dict)
    # photo hash -> (item keys citing it, EXIF capture time)
    photo_times: Mapping[str, tuple[Sequence[str], datetime]] = field(default_factory=dict)
    # the shopper's other visits around this one (visit channel only)
    nearby_visits: Sequence[Visit] = ()


def haversine_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in metres between two (latitude, longitude) points in degrees."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def text_width(text: str) -> int:
    """Display columns: a wide (CJK) character counts two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def normalise_comment(text: str | None) -> str | None:
    """The comment as compared across audits (NFKC, case-folded, letters and digits only), or None when it
    is too short for a repeat to mean anything (under OWN_COMMENT_MIN_WIDTH)."""
    if not text:
        return None
    normal = "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold()
                     if unicodedata.category(ch)[0] in "LMN")
    return normal if text_width(normal) >= OWN_COMMENT_MIN_WIDTH else None


def comment_digest(text: str | None) -> str | None:
    """What is stored (indexed) beside a comment to find the same comment in other audits."""
    normal = normalise_comment(text)
    return hashlib.sha256(normal.encode("utf-8")).hexdigest() if normal is not None else None


# How each language writes hours, minutes and seconds; minutes alone read "分钟" in Chinese, before seconds "分".
DURATION_UNITS = {"en": (" h", " min", " min ", " s", " "), "zh": ("小时", "分钟", "分", "秒", "")}


def duration_text(seconds: float, language: str = "en") -> str:
    """A duration as people read it: "19 min 59 s", "26 h 5 min" (cut, not rounded: 19:59.7 is not 20 min)."""
    hour, minute_alone, minute_before_seconds, second, gap = DURATION_UNITS[language]
    seconds = int(abs(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}{hour}{gap}{minutes}{minute_alone}" if minutes else f"{hours}{hour}"
    if minutes:
        return f"{minutes}{minute_before_seconds}{secs}{second}" if secs else f"{minutes}{minute_alone}"
    return f"{secs}{second}"


def distance_text(metres: float) -> str:
    if metres < 100:
        return f"{metres:.1f} m"
    return f"{metres:.0f} m" if metres < 10_000 else f"{metres / 1000:.1f} km"


def short_visit(started_at: datetime, ended_at: datetime, min_minutes: float) -> Flag | None:
    seconds = (ended_at - started_at).total_seconds()
    if seconds >= min_minutes * 60:
        return None
    return _flag("short_visit",
                 Message("flag.short_visit", duration=_duration(seconds), min_minutes=f"{min_minutes:g}"),
                 {"minutes": round(seconds / 60, 2), "min_minutes": min_minutes})


def far_checkin(checkin: tuple[float, float] | None, dealer: tuple[float, float] | None, radius_m: float,
                accuracy_m: float | None = None) -> Flag | None:
    if checkin is None or dealer is None:
        return None  # a dealer without coordinates cannot be checked
    distance = haversine_m(checkin, dealer)
    if distance <= radius_m:
        return None
    accuracy = Message("flag.far_checkin.accuracy", accuracy=f"{accuracy_m:.0f}") if accuracy_m is not None else ""
    return _flag("far_checkin",
                 Message("flag.far_checkin", distance=distance_text(distance), accuracy=accuracy,
                         radius=f"{radius_m:g}"),
                 {"distance_m": round(distance, 1), "radius_m": radius_m, "accuracy_m": accuracy_m,
                  "checkin": {"latitude": checkin[0], "longitude": checkin[1]},
                  "dealer": {"latitude": dealer[0], "longitude": dealer[1]}})


def local_date(moment: datetime, zone: str) -> date:
    return moment.astimezone(ZoneInfo(zone)).date()


def outside_window(started_at: datetime, ended_at: datetime, window: tuple[date, date] | None,
                   zone: str) -> Flag | None:
    """The visit's dates in the dealer's local time must lie within the assigned window (both ends included)."""
    if window is None:
        return None
    first, last = local_date(started_at, zone), local_date(ended_at, zone)
    if window[0] <= first and last <= window[1]:
        return None
    return _flag("outside_window",
                 Message("flag.outside_window", date=first.isoformat(), start=window[0].isoformat(),
                         end=window[1].isoformat()),
                 {"visit_date": first.isoformat(), "visit_end_date": last.isoformat(),
                  "window_start": window[0].isoformat(), "window_end": window[1].isoformat(), "timezone": zone})


def late_submission(visit_ended_at: datetime, submitted_at: datetime, limit_hours: float) -> Flag | None:
    seconds = (submitted_at - visit_ended_at).total_seconds()
    hours = seconds / 3600
    if hours <= limit_hours:
        return None
    return _flag("late_submission",
                 Message("flag.late_submission", duration=_duration(seconds), limit_hours=f"{limit_hours:g}"),
                 {"hours": round(hours, 2), "limit_hours": limit_hours,
                  "visit_ended_at": visit_ended_at.isoformat(), "submitted_at": submitted_at.isoformat()})


def clock_skew(device_time: datetime, received_at: datetime, limit_minutes: float) -> Flag | None:
    seconds = (device_time - received_at).total_seconds()
    skew = seconds / 60
    if abs(skew) <= limit_minutes:
        return None
    return _flag("clock_skew",
                 Message("flag.clock_skew_ahead" if skew > 0 else "flag.clock_skew_behind",
                         duration=_duration(seconds), limit_minutes=f"{limit_minutes:g}"),
                 {"skew_minutes": round(skew, 2), "limit_minutes": limit_minutes,
                  "device_time": device_time.isoformat(), "received_at": received_at.isoformat()})


def duplicate_photos(shared: Mapping[str, tuple[Sequence[str], Sequence[str]]]) -> Flag | None:
    if not shared:
        return None
    photos = [{"sha256": sha, "items": sorted(items), "other_audits": sorted(others)}
              for sha, (items, others) in sorted(shared.items())]
    described = [Message("flag.duplicate_photo.photo", sha=p["sha256"][:12], items=", ".join(p["items"]),
                         audits=", ".join(p["other_audits"])) for p in photos]
    return _flag("duplicate_photo", Message("flag.duplicate_photo_one" if len(photos) == 1
                                            else "flag.duplicate_photo_many", count=len(photos), photos=described),
                 {"photos": photos})


def photo_time_mismatch(started_at: datetime, ended_at: datetime,
                        photo_times: Mapping[str, tuple[Sequence[str], datetime]]) -> Flag | None:
    """Photos whose EXIF capture time lies outside the visit by more than PHOTO_TIME_TOLERANCE."""
    earliest, latest = started_at - PHOTO_TIME_TOLERANCE, ended_at + PHOTO_TIME_TOLERANCE
    outside = [(sha, sorted(items), taken,
                # how far from the visit itself (before its start or after its end)
                round(abs((started_at if taken < started_at else ended_at) - taken).total_seconds() / 60, 1))
               for sha, (items, taken) in sorted(photo_times.items()) if not earliest <= taken <= latest]
    if not outside:
        return None
    photos = [{"sha256": sha, "items": items, "captured_at": taken.isoformat(), "minutes_outside": minutes}
              for sha, items, taken, minutes in outside]
    described = [Message("flag.photo_time_mismatch.photo", sha=sha[:12], items=", ".join(items), minutes=f"{minutes:g}")
                 for sha, items, _, minutes in outside]
    tolerance = PHOTO_TIME_TOLERANCE.total_seconds() / 60
    return _flag("photo_time_mismatch",
                 Message("flag.photo_time_mismatch", count=len(photos), tolerance=f"{tolerance:g}", photos=described),
                 {"photos": photos, "tolerance_minutes": tolerance,
                  "visit_started_at": started_at.isoformat(), "visit_ended_at": ended_at.isoformat()})


def identical_comments(shared: Mapping[str, tuple[Sequence[str], Sequence[str]]]) -> Flag | None:
    """The shopper's own text repeated from another audit, or a long text another shopper wrote too."""
    comments = [{"item": key, "own_audits": sorted(own), "other_shoppers_audits": sorted(others)}
                for key, (own, others) in sorted(shared.items()) if own or others]
    if not comments:
        return None

    def described(c: dict[str, Any]) -> Message:
        own, others = ", ".join(c["own_audits"]), ", ".join(c["other_shoppers_audits"])
        if own and others:
            return Message("flag.identical_comment.both", item=c["item"], own=own, others=others)
        if own:
            return Message("flag.identical_comment.own", item=c["item"], audits=own)
        return Message("flag.identical_comment.others", item=c["item"], audits=others)

    return _flag("identical_comment", Message("flag.identical_comment_one" if len(comments) == 1
                                              else "flag.identical_comment_many",
                                              count=len(comments), comments=[described(c) for c in comments]),
                 {"comments": comments, "own_min_width": OWN_COMMENT_MIN_WIDTH,
                  "shared_min_width": SHARED_COMMENT_MIN_WIDTH})


def impossible_travel(started_at: datetime, ended_at: datetime, location: tuple[float, float] | None,
                      others: Sequence[Visit]) -> Flag | None:
    """This visit against the shopper's visit just before and just after it: could one travel between them
    at MAX_TRAVEL_SPEED_KMH in the time between the end of one and the start of the next?"""
    if location is None:
        return None
    before = max((v for v in others if v.started_at <= started_at), key=lambda v: v.started_at, default=None)
    after = min((v for v in others if v.started_at > started_at), key=lambda v: v.started_at, default=None)
    legs = []
    for other, gap_s in ((before, (started_at - before.ended_at).total_seconds() if before else 0.0),
                         (after, (after.started_at - ended_at).total_seconds() if after else 0.0)):
        if other is None:
            continue
        distance = haversine_m(location, other.location)
        if distance < MIN_TRAVEL_CHECK_M:
            continue
        needed_s = distance / (MAX_TRAVEL_SPEED_KMH / 3.6)
        if gap_s >= needed_s:
            continue
        legs.append({"other_audit": other.audit_id, "distance_km": round(distance / 1000, 1),
                     "minutes_between": round(gap_s / 60, 1), "minutes_needed": round(needed_s / 60, 1)})
    if not legs:
        return None
    described = [Message("flag.impossible_travel.leg", audit=leg["other_audit"], km=f"{leg['distance_km']:g}",
                         minutes=f"{leg['minutes_between']:g}") for leg in legs]
    return _flag("impossible_travel",
                 Message("flag.impossible_travel", speed=f"{MAX_TRAVEL_SPEED_KMH:g}", legs=described),
                 {"legs": legs, "max_speed_kmh": MAX_TRAVEL_SPEED_KMH})


def compute_flags(facts: SubmissionFacts, limits: FlagLimits) -> list[Flag]:
    on_site = facts.channel == "visit"  # only a visit has a place: check-in and travel follow the channel
    found = [
        short_visit(facts.visit_started_at, facts.visit_ended_at, facts.min_visit_minutes),
        far_checkin(facts.checkin, facts.dealer_location, limits.checkin_radius_m, facts.checkin_accuracy_m)
        if on_site else None,
        outside_window(facts.visit_started_at, facts.visit_ended_at, facts.window, facts.timezone),
        late_submission(facts.visit_ended_at, facts.first_submitted_at, limits.late_submission_hours),
        clock_skew(facts.device_time, facts.received_at, limits.clock_skew_minutes),
        duplicate_photos(facts.shared_photos),
        photo_time_mismatch(facts.visit_started_at, facts.visit_ended_at, facts.photo_times),
        identical_comments(facts.shared_comments),
        impossible_travel(facts.visit_started_at, facts.visit_ended_at, facts.checkin, facts.nearby_visits)
        if on_site else None,
    ]
    return [flag for flag in found if flag is not None]


def gather_facts(session: Session, audit: Audit, answers: Mapping[str, Mapping[str, Any]],
                 visit: Mapping[str, Any], received_at: datetime) -> SubmissionFacts:
    """The facts of a submission about to be stored; a fixed number of queries."""
    checklist = checklist_of(audit.checklist_version)
    first_submitted = session.scalar(_FIRST_SUBMITTED, {"audit_id": audit.id})
    dealer = audit.dealer
    checkin = visit.get("checkin") if checklist.channel == "visit" else None
    location = (checkin["latitude"], checkin["longitude"]) if checkin else None
    cited = _cited_photos(answers)
    return SubmissionFacts(
        visit_started_at=visit["started_at"], visit_ended_at=visit["ended_at"],
        min_visit_minutes=checklist.min_visit_minutes,
        checkin=location,
        checkin_accuracy_m=checkin.get("accuracy_m") if checkin else None,
        dealer_location=(dealer.latitude, dealer.longitude)
        if dealer.latitude is not None and dealer.longitude is not None else None,
        received_at=received_at, first_submitted_at=first_submitted or received_at,
        device_time=visit["device_time"], channel=checklist.channel,
        window=(audit.visit_window_start, audit.visit_window_end), timezone=dealer.timezone,
        shared_photos=_shared_photos(session, audit.id, cited),
        shared_comments=_shared_comments(session, audit, answers),
        photo_times=_photo_times(session, audit, cited),
        nearby_visits=_nearby_visits(session, audit, visit["started_at"]) if location is not None else ())


def store_flags(session: Session, audit: Audit, flags: Sequence[Flag]) -> list[dict[str, Any]]:
    """Store the flags' codes, where QA's list filters by them, and return the flags as the audit's `flags`
    column keeps them: the caller writes that with the rest of the audit's row (one UPDATE)."""
    session.execute(_DELETE_FLAG_CODES, {"audit_id": audit.id})
    codes = sorted(set(flag_codes(flags)))
    if codes:
        session.execute(_INSERT_FLAG_CODES, [{"audit_id": audit.id, "code": code} for code in codes])
    return [dict(flag) for flag in flags]


def _cited_photos(answers: Mapping[str, Mapping[str, Any]]) -> dict[str, list[str]]:
    cited: dict[str, list[str]] = {}
    for key, answer in answers.items():
        for sha in answer.get("attachments") or ():
            cited.setdefault(sha, []).append(key)
    return cited


def _shared_photos(session: Session, audit_id: uuid.UUID, cited: Mapping[str, list[str]]
                   ) -> dict[str, tuple[list[str], list[str]]]:
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


def _photo_times(session: Session, audit: Audit, cited: Mapping[str, list[str]]
                 ) -> dict[str, tuple[list[str], datetime]]:
    if not cited:
        return {}
    rows = session.execute(select(Attachment.sha256, Attachment.captured_at).where(
        Attachment.audit_id == audit.id, Attachment.sha256.in_(cited), Attachment.uploaded_by_id == audit.shopper_id,
        Attachment.captured_at.is_not(None)))
    return {sha: (cited[sha], taken) for sha, taken in rows if taken is not None}


def _shared_comments(session: Session, audit: Audit, answers: Mapping[str, Mapping[str, Any]]
                     ) -> dict[str, tuple[list[str], list[str]]]:
    mine: dict[str, list[str]] = {}
    for key, answer in answers.items():
        normal = normalise_comment(answer.get("comment"))
        if normal is not None:
            mine.setdefault(normal, []).append(key)
    if not mine:
        return {}
    digests = sorted({digest for text in mine if (digest := comment_digest(text)) is not None})
    rows = session.execute(_SAME_COMMENTS, {"audit_id": audit.id, "digests": digests})
    own: dict[str, set[str]] = {}
    others: dict[str, set[str]] = {}
    for other, comment, shopper_id in rows:
        normal = normalise_comment(comment) or ""
        if shopper_id == audit.shopper_id:
            target = own
        elif text_width(normal) >= SHARED_COMMENT_MIN_WIDTH:
            target = others
        else:
            continue
        for key in mine.get(normal, ()):
            target.setdefault(key, set()).add(str(other))
    return {key: (sorted(own.get(key, ())), sorted(others.get(key, ()))) for key in own.keys() | others.keys()}


def _nearby_visits(session: Session, audit: Audit, started_at: datetime) -> list[Visit]:
    """The shopper's other on-site visits (those with a check-in) starting within TRAVEL_LOOKAROUND: only
    the last one starting at or before `started_at` and the first one after it, the two that
    impossible_travel compares (a busy shopper's whole day is not read)."""
    rows = session.execute(_VISITS_AROUND, {
        "shopper_id": audit.shopper_id, "audit_id": audit.id, "started_at": started_at,
        "earliest": started_at - TRAVEL_LOOKAROUND, "latest": started_at + TRAVEL_LOOKAROUND})
    return [Visit(str(audit_id), start, end, (lat, lon)) for audit_id, start, end, lat, lon in rows
            if start is not None and end is not None and lat is not None and lon is not None]


# The statements of a submission, built once with bound parameters: building one costs SQLAlchemy more than
# running it.
_FIRST_SUBMITTED = select(func.min(AuditEvent.at)).where(
    AuditEvent.audit_id == bindparam("audit_id"), AuditEvent.kind == "submitted")
_SAME_COMMENTS = (select(Answer.audit_id, Answer.comment, Audit.shopper_id).join(Audit, Audit.id == Answer.audit_id)
                  .where(Answer.audit_id != bindparam("audit_id"),
                         Answer.comment_digest.in_(bindparam("digests", expanding=True))))
_FLAG_CODES = cast(Table, AuditFlag.__table__)  # typed as a FromClause by the declarative base
_DELETE_FLAG_CODES = delete(_FLAG_CODES).where(_FLAG_CODES.c.audit_id == bindparam("audit_id"))
_INSERT_FLAG_CODES = insert(_FLAG_CODES)


def _visits_around() -> CompoundSelect[uuid.UUID, datetime | None, datetime | None, float | None, float | None]:
    """The visit starting last at or before :started_at and the one starting first after it (two rows at
    most), among the shopper's other on-site visits between :earliest and :latest."""
    shown = (Audit.id, Audit.visit_started_at, Audit.visit_ended_at, Audit.checkin_latitude, Audit.checkin_longitude)
    around = select(*shown).where(
        Audit.shopper_id == bindparam("shopper_id"), Audit.id != bindparam("audit_id"),
        Audit.checkin_latitude.is_not(None), Audit.checkin_longitude.is_not(None),
        Audit.visit_started_at.is_not(None), Audit.visit_ended_at.is_not(None),
        Audit.visit_started_at.between(bindparam("earliest"), bindparam("latest")))
    before = around.where(Audit.visit_started_at <= bindparam("started_at")).order_by(
        Audit.visit_started_at.desc(), Audit.id).limit(1).subquery()
    after = around.where(Audit.visit_started_at > bindparam("started_at")).order_by(
        Audit.visit_started_at, Audit.id).limit(1).subquery()
    return union_all(select(before), select(after))


_VISITS_AROUND = _visits_around()


def flag_codes(flags: Iterable[Flag]) -> list[str]:
    return [flag["code"] for flag in flags]
