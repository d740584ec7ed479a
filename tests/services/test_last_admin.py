"""Two admins demoting each other at the same moment, in real concurrent transactions: one of them must
stay admin (issue 8, defect 8). The first transaction holds its changes uncommitted while the second runs,
which is the interleaving in which counting without a lock would let both through."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from auditapp.errors import Conflict
from auditapp.extensions import db
from auditapp.models import User
from auditapp.services.admin import update_user


def _two_admins(app) -> tuple[int, int]:
    with app.app_context():
        first, second = (User(email=f"admin{i}@x.cn", password_hash="x", role="admin") for i in (1, 2))
        db.session.add_all([first, second])
        db.session.commit()
        return first.id, second.id


@pytest.mark.parametrize("change", [{"role": "qa"}, {"active": False}])
def test_admins_demoting_each_other_at_once_leave_one_admin(fresh_app, change):
    first_id, second_id = _two_admins(fresh_app)
    outcome: dict[str, object] = {}

    def demote_the_first() -> None:
        # As a PATCH request runs it: on SQLite a writing request's transaction takes the write lock.
        with fresh_app.test_request_context(method="PATCH"), Session(db.engine) as session:
            try:
                update_user(session, first_id, dict(change))
                session.commit()
                outcome["second"] = "done"
            except Conflict:
                session.rollback()
                outcome["second"] = "conflict"

    with fresh_app.test_request_context(method="PATCH"), Session(db.engine) as session:
        update_user(session, second_id, dict(change))
        session.flush()
        other = threading.Thread(target=demote_the_first)
        other.start()
        other.join(timeout=1.0)
        assert other.is_alive(), "the second demotion must wait for the first transaction"
        session.commit()
    other.join(timeout=30)
    assert outcome == {"second": "conflict"}
    with fresh_app.app_context():
        admins = db.session.scalar(select(func.count()).select_from(User)
                                   .where(User.role == "admin", User.active.is_(True)))
        assert admins == 1
