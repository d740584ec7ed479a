"""SQLAlchemy models; importing this package registers every table on `Base.metadata`."""
from .audit import (AUDIT_STATUSES, Answer, AppendOnlyViolation, Attachment, Audit, AuditEvent,
                    IdempotencyRecord, ScoreVersion)
from .base import Base, utcnow
from .org import ROLES, ApiToken, Dealer, LoginThrottle, Region, User, manager_regions
from .program import ChecklistVersion, Wave

__all__ = ["AUDIT_STATUSES", "ROLES", "Answer", "ApiToken", "AppendOnlyViolation", "Attachment", "Audit",
           "AuditEvent", "Base", "ChecklistVersion", "Dealer", "IdempotencyRecord", "LoginThrottle", "Region",
           "ScoreVersion", "User", "Wave", "manager_regions", "utcnow"]
