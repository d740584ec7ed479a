"""Who sees what (DESIGN 7), decided here and nowhere else.

Views and services ask these functions; a refusal is 403 where the kind of object is simply not for
the role, and 404 where even the existence of one object must not leak.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, false, select, true

from ..constants import DISPUTING_ROLES, NETWORK_ROLES, RESULT_READER_ROLES, WEBHOOK_ADMIN_ROLES
from ..constants import STAFF_ROLES as STAFF
from ..errors import Forbidden, NotFound
from ..models import Action, Attachment, Audit, Dealer, Dispute, Region, User, manager_regions


def require_role(user: User, *roles: str) -> None:
    if user.role not in roles:
        raise Forbidden("access.role_not_allowed", role=user.role)


def sees_shopper(user: User) -> bool:
    """Only the agency (QA, admin) knows who the shopper was."""
    return user.role in STAFF


def sees_scores(user: User) -> bool:
    return user.role != "shopper"


def sees_plan(user: User) -> bool:
    """The planned visit window: a dealer who knows it prepares for the visit."""
    return user.role in STAFF or user.role == "shopper"


def region_ids(user: User) -> set[int]:
    return {r.id for r in user.regions}


def _dealers_of_regions(user: User) -> Select[int]:
    """The ids of the dealers in a manager's regions, as a subquery."""
    return select(Dealer.id).join(manager_regions, manager_regions.c.region_id == Dealer.region_id) \
        .where(manager_regions.c.user_id == user.id)


def audit_filter(user: User) -> ColumnElement[bool]:
    """The audits a user may see, as a WHERE clause."""
    if user.role in STAFF:
        return true()
    if user.role == "shopper":
        return Audit.shopper_id == user.id
    if user.role == "dealer":
        return (Audit.dealer_id == user.dealer_id) & (Audit.status == "published")
    if user.role == "manager":
        return Audit.dealer_id.in_(_dealers_of_regions(user)) & (Audit.status == "published")
    return false()


def can_see_audit(user: User, audit: Audit) -> bool:
    if user.role in STAFF:
        return True
    if user.role == "shopper":
        return audit.shopper_id == user.id
    if audit.status != "published":
        return False
    if user.role == "dealer":
        return audit.dealer_id == user.dealer_id
    if user.role == "manager":
        return audit.dealer.region_id in region_ids(user)
    return False


def ensure_audit_visible(user: User, audit: Audit | None) -> Audit:
    if audit is None or not can_see_audit(user, audit):
        raise NotFound("access.no_such_audit")
    return audit


def require_evidence_role(user: User) -> None:
    """Evidence comes from the audit's shopper (proof of the visit) or the audit's dealer (dispute
    evidence, and a dealer sees only its published audits); which audit is then `can_see_audit`."""
    require_role(user, "shopper", "dealer")


def can_see_attachment(user: User, audit: Audit, attachment: Attachment) -> bool:
    """Whoever sees the audit sees its evidence, except that a shopper sees only the shopper's own files:
    a dealer's dispute evidence is dealer material."""
    if not can_see_audit(user, audit):
        return False
    if user.role == "shopper":
        return attachment.uploaded_by_id == audit.shopper_id
    return True


def receives_original(user: User, attachment: Attachment) -> bool:
    """A photo's metadata (EXIF: the camera owner's name, the phone, where and when it was taken) can name
    the shopper: only the agency, and whoever made the file, receive the original; everyone else receives
    the copy stripped of all metadata (DESIGN 7)."""
    return user.role in STAFF or attachment.uploaded_by_id == user.id


def sees_flags(user: User) -> bool:
    """Quality flags are the agency's review material (and name shopper behaviour): QA and admin only."""
    return user.role in STAFF


def ensure_dealer_results_visible(user: User, dealer: Dealer | None) -> Dealer:
    """A dealer's scorecard: the dealer itself, its region's managers, the agency."""
    if dealer is None:
        raise NotFound("access.no_such_dealer")
    if user.role in STAFF:
        return dealer
    if user.role == "dealer" and user.dealer_id == dealer.id:
        return dealer
    if user.role == "manager" and dealer.region_id in region_ids(user):
        return dealer
    if user.role in ("dealer", "manager"):
        raise NotFound("access.no_such_dealer")
    raise Forbidden("access.role_not_allowed", role=user.role)


def ensure_region_results_visible(user: User, region: Region | None) -> Region:
    """Region leaderboards and reports: the region's managers and the agency."""
    require_role(user, "admin", "qa", "manager")
    if region is None or (user.role == "manager" and region.id not in region_ids(user)):
        raise NotFound("access.no_such_region")
    return region


def ensure_national_results_visible(user: User) -> None:
    """The nation's figures with every region's: the brand's managers and the agency (a dealer sees the
    nation's mean beside its own on its scorecard, not the regions)."""
    require_role(user, "admin", "qa", "manager")


def dispute_filter(user: User) -> ColumnElement[bool]:
    """The disputes a user may see (the query joins Audit): those of the audits they may see, never a
    shopper's."""
    if user.role == "shopper":
        return false()
    return audit_filter(user)


def can_see_dispute(user: User, dispute: Dispute) -> bool:
    return user.role != "shopper" and can_see_audit(user, dispute.audit)


def dispute_status_decided_by(user: User) -> str:
    """Which disputes wait for this user's decision (as ensure_may_decide_dispute allows): the agency
    decides open ones, a manager the escalated ones of their regions; nobody else decides any (403)."""
    if user.role in STAFF:
        return "open"
    if user.role == "manager":
        return "escalated"
    raise Forbidden("access.role_not_allowed", role=user.role)


def ensure_may_decide_dispute(user: User, dispute: Dispute) -> None:
    """QA (or an admin) decides an open dispute; an escalated one is decided, finally, by a manager of
    the dealer's region (a manager of another region does not see the dispute at all)."""
    if dispute.status == "escalated":
        if user.role != "manager":
            raise Forbidden("access.escalation_decided_by_manager")
        return
    require_role(user, *STAFF)


# --- the web portal (auditapp/portal): its pages ask these, never decide themselves -----------------

def require_page_role(user: User, *roles: str) -> None:
    """A portal page made for other roles: to the dealer network it does not exist (404, as for an
    object of another dealer or region); the agency is told it is not for its role (403)."""
    if user.role in roles:
        return
    if user.role in NETWORK_ROLES:
        raise NotFound("page.not_found")
    raise Forbidden("access.role_not_allowed", role=user.role)


def may_dispute(user: User) -> bool:
    """Who files and escalates disputes (services.disputes refuses everyone else)."""
    return user.role in DISPUTING_ROLES


def require_webhook_admin(user: User) -> None:
    """Webhook subscriptions and their delivery logs: admins only (they hold signing secrets and send the
    system's events to outside systems)."""
    require_role(user, *WEBHOOK_ADMIN_ROLES)


# --- corrective action plans (services/actions.py) ---------------------------------------------------

def action_filter(user: User) -> ColumnElement[bool]:
    """The actions a user may see, as a WHERE clause: the dealer's own, a manager's regions', all for the
    agency; none for a shopper."""
    if user.role in STAFF:
        return true()
    if user.role == "dealer":
        return Action.dealer_id == user.dealer_id
    if user.role == "manager":
        return Action.dealer_id.in_(_dealers_of_regions(user))
    return false()


def can_see_action(user: User, action: Action) -> bool:
    if user.role in STAFF:
        return True
    if user.role == "dealer":
        return action.dealer_id == user.dealer_id
    if user.role == "manager":
        return action.dealer.region_id in region_ids(user)
    return False


def action_dealer_users(dealer_ids: list[int]) -> ColumnElement[bool]:
    """The users who work on these dealers' actions — each dealer's own users, whom `action_filter`
    shows them — as a WHERE clause on users (the recipients of action-plan reminders)."""
    return (User.role == "dealer") & User.dealer_id.in_(dealer_ids)


def ensure_action_visible(user: User, action: Action | None) -> Action:
    if action is None or not can_see_action(user, action):
        raise NotFound("action.no_such_action")
    return action


def ensure_may_raise_action(user: User, dealer: Dealer | None) -> Dealer:
    """QA and admins raise an action for any dealer, a manager for the dealers of their regions (another
    region's dealer is not found); the caller has checked the role."""
    if dealer is None or (user.role == "manager" and dealer.region_id not in region_ids(user)):
        raise NotFound("access.no_such_dealer")
    return dealer
# --- wave exports (DESIGN 11) ------------------------------------------------------------------------

@dataclass(frozen=True)
class ResultsScope:
    """Whose published results one reader gets in a wave's export.

    `region_ids`: the regions whose figures (and dealers) are in scope, None for all; `dealer_id`: when
    set, only this dealer's own rows (its audits, items, leaderboard row and gaps), beside its region's
    and the nation's figures as its scorecard shows them; `shopper`: whether the shopper is named."""

    region_ids: frozenset[int] | None
    dealer_id: int | None
    shopper: bool

    def sees_dealer(self, dealer_id: int, region_id: int) -> bool:
        return ((self.region_ids is None or region_id in self.region_ids)
                and (self.dealer_id is None or dealer_id == self.dealer_id))

    def sees_region(self, region_id: int) -> bool:
        return self.region_ids is None or region_id in self.region_ids


# What the command line exports: the agency's view, everything (`auditapp export`).
AGENCY_SCOPE = ResultsScope(region_ids=None, dealer_id=None, shopper=True)


def results_scope(user: User) -> ResultsScope:
    """The agency sees every dealer and (sees_shopper) who the shopper was; a manager the dealers of
    their regions; a dealer user only its own dealer, with its region's figures. Shoppers: 403."""
    require_role(user, *RESULT_READER_ROLES)
    if user.role in STAFF:
        return ResultsScope(region_ids=None, dealer_id=None, shopper=sees_shopper(user))
    if user.role == "manager":
        return ResultsScope(region_ids=frozenset(region_ids(user)), dealer_id=None, shopper=False)
    dealer = user.dealer
    if dealer is None:  # the schema ties every dealer user to a dealer; a broken row sees nothing
        return ResultsScope(region_ids=frozenset(), dealer_id=None, shopper=False)
    return ResultsScope(region_ids=frozenset({dealer.region_id}), dealer_id=dealer.id, shopper=False)
