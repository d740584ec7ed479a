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

LANGUAGES: Final = ("zh", "en")
REPORT_LANGUAGES: Final = (*LANGUAGES, "both")  # a report in one language, or both side by side


def sql_one_of(column: str, values: tuple[str, ...]) -> str:
    """A CHECK constraint's condition that the column holds one of the values."""
    return f"{column} IN ({', '.join(repr(v) for v in values)})"

# Wave exports (DESIGN 11): the sheets of the workbook, in order; each is also one CSV.
EXPORT_SHEETS: Final = ("audits", "items", "dealers", "gaps")
RESULT_READER_ROLES: Final = ("admin", "qa", "manager", "dealer")  # read published results; never a shopper
