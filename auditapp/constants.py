"""The product's closed vocabularies, written once: models, schemas, services and the command line
import them from here. Pure Python, so every layer (the pure ones included) may use it."""
from __future__ import annotations

from typing import Final

ROLES: Final = ("admin", "qa", "manager", "dealer", "shopper")
STAFF_ROLES: Final = ("admin", "qa")  # the agency: sees every audit and who the shopper was

AUDIT_STATUSES: Final = ("assigned", "in_progress", "submitted", "returned", "approved", "published")

DISPUTE_STATUSES: Final = ("open", "escalated", "upheld", "partially_upheld", "rejected")
OPEN_DISPUTE_STATUSES: Final = ("open", "escalated")  # still waiting for a decision
DISPUTE_OUTCOMES: Final = ("upheld", "partially_upheld", "rejected")
UPHELD_OUTCOMES: Final = ("upheld", "partially_upheld")  # the dealer won, in full or in part
REQUESTED_OUTCOMES: Final = ("pass", "not_applicable")

# A trend shows the program's waves that started last before the wave read, at most this many (DESIGN 4:
# "the same figures for the previous waves"): two years of quarterly waves, eight months of monthly ones.
TREND_WAVES: Final = 8

LANGUAGES: Final = ("zh", "en")
REPORT_LANGUAGES: Final = (*LANGUAGES, "both")  # a report in one language, or both side by side

# Corrective action plans (DESIGN 11, services/actions.py).
ACTION_STATUSES: Final = ("open", "planned", "submitted", "accepted", "returned")
ACTION_EDITABLE_STATUSES: Final = ("open", "planned", "returned")  # the dealer may still change the plan
ACTION_ORIGINS: Final = ("knockout", "top_gap", "manual")
ACTION_VERDICTS: Final = ("effective", "not_effective")
ACTION_GAPS_AT: Final = ("publication", "wave_close")
ACTION_REVIEW_ROLES: Final = ("admin", "qa", "manager")  # accept or return a submitted plan; raise one by hand


def sql_one_of(column: str, values: tuple[str, ...]) -> str:
    """A CHECK constraint's condition that the column holds one of the values."""
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


# --- the web portal (auditapp/portal) -----------------------------------------------------------------
PORTAL_ROLES: Final = ("admin", "qa", "manager", "dealer")  # a shopper uses the phone app instead
NETWORK_ROLES: Final = ("manager", "dealer")  # the dealer network: pages not meant for them do not exist (404)
DISPUTING_ROLES: Final = ("dealer",)  # who files and escalates disputes (DESIGN 6)
DISPUTE_CLAIM_LENGTH: Final = (10, 4000)  # characters of a dispute's claim, min and max
ESCALATION_NOTE_LENGTH: Final = (5, 4000)  # characters of an escalation note, min and max
# Webhooks and the outbox (services/webhooks.py, services/outbox.py).
WEBHOOK_EVENTS: Final = ("audit.published", "score.revised", "dispute.filed", "dispute.decided", "action.changed")
WEBHOOK_ADMIN_ROLES: Final = ("admin",)  # subscriptions carry secrets and reach outside systems
OUTBOX_KINDS: Final = ("webhook", "alert_email")
OUTBOX_STATUSES: Final = ("pending", "delivered", "failed")  # failed: given up after the last retry
# Wave exports (DESIGN 11): the sheets of the workbook, in order; each is also one CSV.
EXPORT_SHEETS: Final = ("audits", "items", "dealers", "gaps")
RESULT_READER_ROLES: Final = ("admin", "qa", "manager", "dealer")  # read published results; never a shopper
