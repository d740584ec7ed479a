"""SQLAlchemy models; importing this package registers every table on `Base.metadata`."""
from .actions import Action, ActionEvent, WaveClosure
from .audit import (
    Answer,
    AppendOnlyViolation,
    Attachment,
    Audit,
    AuditEvent,
    AuditFigures,
    AuditFlag,
    IdempotencyRecord,
    ScoreVersion,
    answer_json,
)
from .base import Base, utcnow
from .disputes import Dispute
from .org import ApiToken, Dealer, LoginThrottle, Region, User, manager_regions
from .outbox import OutboxMessage, WebhookSubscription
from .program import ChecklistVersion, Wave
from .reports import REPORT_KINDS, ReportFile

__all__ = ["Answer", "ApiToken", "AppendOnlyViolation", "Attachment", "Audit", "AuditEvent", "AuditFigures",
           "AuditFlag", "Base", "Dispute",
           "ChecklistVersion", "Dealer", "IdempotencyRecord", "LoginThrottle", "REPORT_KINDS", "Region",
           "ReportFile", "ScoreVersion", "User", "Wave", "manager_regions", "utcnow",
           "OutboxMessage", "WebhookSubscription",
           "Action", "ActionEvent", "WaveClosure", "answer_json"]
