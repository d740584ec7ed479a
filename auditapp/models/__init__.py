"""SQLAlchemy models; importing this package registers every table on `Base.metadata`."""
from .audit import (AUDIT_STATUSES, Answer, AppendOnlyViolation, Attachment, Audit, AuditEvent, AuditFlag,
                    IdempotencyRecord, ScoreVersion)
from .base import Base, utcnow
from .disputes import DISPUTE_STATUSES, OPEN_STATUSES, OUTCOMES, Dispute
from .org import ROLES, ApiToken, Dealer, LoginThrottle, Region, User, manager_regions
from .program import ChecklistVersion, Wave
from .reports import REPORT_KINDS, ReportFile

__all__ = ["AUDIT_STATUSES", "ROLES", "Answer", "ApiToken", "AppendOnlyViolation", "Attachment", "Audit",
           "AuditEvent", "AuditFlag", "Base", "DISPUTE_STATUSES", "Dispute", "OPEN_STATUSES", "OUTCOMES", "ChecklistVersion", "Dealer", "IdempotencyRecord", "LoginThrottle", "REPORT_KINDS", "Region", "ReportFile",
           "ScoreVersion", "User", "Wave", "manager_regions", "utcnow"]
