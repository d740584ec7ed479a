"""The default login back-off, as the README states it (issue 8, defect 10)."""
from __future__ import annotations

from auditapp.config import DEFAULTS
from auditapp.services.auth import LoginPolicy


def test_default_back_off_doubles_after_five_free_failures_up_to_fifteen_minutes():
    policy = LoginPolicy.from_config(DEFAULTS)
    assert [policy.backoff_seconds(n, policy.free_failures) for n in range(1, 10)] == [0, 0, 0, 0, 0, 2, 4, 8, 16]
    assert policy.backoff_seconds(10**6, policy.free_failures) == 15 * 60
    assert policy.address_free_failures == 20 and policy.backoff_seconds(21, policy.address_free_failures) == 2
    assert policy.memory_seconds == 24 * 3600
