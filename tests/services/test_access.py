"""Who may decide a dispute (services.access): QA or an admin while it is open, a manager once escalated."""
from __future__ import annotations

import pytest

from auditapp.errors import Forbidden
from auditapp.models import Dispute, User
from auditapp.services.access import ensure_may_decide_dispute


@pytest.mark.parametrize("status,role,allowed", [
    ("open", "qa", True), ("open", "admin", True), ("open", "manager", False), ("open", "dealer", False),
    ("escalated", "manager", True), ("escalated", "qa", False), ("escalated", "admin", False),
    ("escalated", "dealer", False),
])
def test_who_decides_a_dispute(status, role, allowed):
    user, dispute = User(role=role), Dispute(status=status)
    if allowed:
        ensure_may_decide_dispute(user, dispute)
    else:
        with pytest.raises(Forbidden):
            ensure_may_decide_dispute(user, dispute)
