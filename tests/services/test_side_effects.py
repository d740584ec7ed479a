"""Side effects wait for the commit of the transaction that queued them and vanish with its rollback."""
from __future__ import annotations

import logging

from auditapp.services import side_effects


def queue(session, ran: list[str], name: str) -> None:
    side_effects.after_commit(session, name, lambda: ran.append(name))


def test_an_effect_runs_only_after_the_commit(db_session):
    ran: list[str] = []
    db_session.begin()
    queue(db_session, ran, "mail")
    side_effects.run_committed(db_session)
    assert ran == []
    db_session.commit()
    side_effects.run_committed(db_session)
    side_effects.run_committed(db_session)  # each effect runs once
    assert ran == ["mail"]


def test_a_rollback_drops_the_effects(db_session):
    ran: list[str] = []
    db_session.begin()
    queue(db_session, ran, "mail")
    db_session.rollback()
    db_session.begin()
    db_session.commit()
    side_effects.run_committed(db_session)
    assert ran == []


def test_a_rolled_back_savepoint_drops_only_its_own_effects(db_session):
    ran: list[str] = []
    db_session.begin()
    queue(db_session, ran, "before")
    savepoint = db_session.begin_nested()
    queue(db_session, ran, "refused entry")
    savepoint.rollback()
    with db_session.begin_nested():
        queue(db_session, ran, "accepted entry")
    db_session.commit()
    side_effects.run_committed(db_session)
    assert ran == ["before", "accepted entry"]


def test_a_failing_effect_is_logged_and_the_others_still_run(db_session, caplog):
    ran: list[str] = []

    def fail() -> None:
        raise ConnectionRefusedError("no mail server")

    db_session.begin()
    side_effects.after_commit(db_session, "broken mail", fail)
    queue(db_session, ran, "next mail")
    db_session.commit()
    with caplog.at_level(logging.ERROR, logger="auditapp.services.side_effects"):
        side_effects.run_committed(db_session)
    assert ran == ["next mail"]
    assert any("broken mail" in r.getMessage() for r in caplog.records)


def test_background_effects_run_in_another_thread(db_session):
    import threading

    threads: list[str] = []
    db_session.begin()
    side_effects.after_commit(db_session, "mail", lambda: threads.append(threading.current_thread().name))
    db_session.commit()
    side_effects.run_in_background(side_effects.take_committed(db_session))
    assert side_effects.wait_for_background(10)
    assert len(threads) == 1 and threads[0] != threading.current_thread().name
