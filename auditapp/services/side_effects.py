"""Side effects (mail, and anything else that leaves the database) that must only happen once the
transaction that caused them is committed.

A service queues an effect on the session with `after_commit`; the effect waits for the commit of the
transaction it was queued in and is dropped when that transaction (or a savepoint it was queued in) is
rolled back, so a refused request never sends mail about a change that did not happen. Whoever owns
the transaction runs the committed effects: the API in a background thread after the commit, so a slow
or unreachable mail server never holds a response (`run_in_background`); the command line at once
(`run_committed`). An effect that fails is logged; it never undoes the commit.
"""
from __future__ import annotations

import contextvars
import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction, scoped_session

log = logging.getLogger(__name__)

_PENDING = "auditapp.side_effects.pending"
_COMMITTED = "auditapp.side_effects.committed"


@dataclass(frozen=True)
class SideEffect:
    description: str  # names the effect in the log when it fails
    action: Callable[[], object]


def after_commit(session: Session | scoped_session[Session], description: str, action: Callable[[], object]) -> None:
    """Queue `action` to run once the session's current transaction is committed.

    The action runs outside the request and the transaction: it must not use the session, so read
    what it needs (recipients, texts) now and capture it."""
    session = _current(session)
    effect = SideEffect(description, action)
    transaction = session.get_nested_transaction() or session.get_transaction()
    if transaction is None:  # nothing to wait for
        session.info.setdefault(_COMMITTED, []).append(effect)
        return
    session.info.setdefault(_PENDING, []).append((transaction, effect))


def take_committed(session: Session | scoped_session[Session]) -> list[SideEffect]:
    """The effects whose transaction is committed, removed from the session (each runs once)."""
    effects: list[SideEffect] = _current(session).info.pop(_COMMITTED, [])
    return effects


def _current(session: Session | scoped_session[Session]) -> Session:
    return session() if isinstance(session, scoped_session) else session


def run(effects: list[SideEffect]) -> None:
    for effect in effects:
        try:
            effect.action()
        except Exception:
            log.exception("side effect failed after commit: %s", effect.description)


def run_committed(session: Session | scoped_session[Session]) -> None:
    """Run the committed effects now (the command line, where nobody waits for a response)."""
    run(take_committed(session))


def run_in_background(effects: list[SideEffect]) -> None:
    if effects:
        _background.submit(effects)


def wait_for_background(timeout: float | None = None) -> bool:
    """Wait until every effect handed to the background so far has run; False on timeout."""
    return _background.wait(timeout)


class _Background:
    """One worker thread per process, created on first use (so a forked server worker makes its own).
    Its thread is joined when the interpreter exits, so a graceful shutdown still sends queued mail."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        self._pid: int | None = None
        self._futures: set[Future[None]] = set()

    def submit(self, effects: list[SideEffect]) -> None:
        with self._lock:
            if self._executor is None or self._pid != os.getpid():
                self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="auditapp-side-effects")
                self._pid = os.getpid()
                self._futures = set()
            # In the request's context: the effects' log lines carry its request id (auditapp/logs.py).
            future = self._executor.submit(contextvars.copy_context().run, run, effects)
            self._futures.add(future)
        future.add_done_callback(self._forget)

    def _forget(self, future: Future[None]) -> None:
        with self._lock:
            self._futures.discard(future)

    def wait(self, timeout: float | None) -> bool:
        with self._lock:
            futures = set(self._futures)
        return not wait(futures, timeout=timeout).not_done


_background = _Background()


def _queued_within(transaction: SessionTransaction, ended: SessionTransaction) -> bool:
    current: SessionTransaction | None = transaction
    while current is not None:
        if current is ended:
            return True
        current = current.parent
    return False


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    # Fires for the outermost transaction only: a released savepoint's effects wait for it.
    pending = session.info.pop(_PENDING, [])
    if pending:
        session.info.setdefault(_COMMITTED, []).extend(effect for _, effect in pending)


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    pending = session.info.get(_PENDING)
    if pending:
        session.info[_PENDING] = [(t, e) for t, e in pending if not _queued_within(t, previous_transaction)]
