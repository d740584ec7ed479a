"""A region's dashboard for its managers (and the agency): the region report's own data, for a wave and
program the user chooses among those the region ran."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..constants import STAFF_ROLES
from ..models import Audit, Region, User, Wave
from . import access
from .disputes import DisputePolicy
from .figures import load_wave, region_leaderboard, wave_programs


@dataclass(frozen=True)
class DashboardChoice:
    regions: list[Region]  # those the user sees
    region: Region | None
    waves: list[Wave]  # newest first
    wave: Wave | None
    programs: list[str]  # the chosen wave's programs (checklist keys)
    program: str | None


def dashboard_choice(session: Session, user: User, *, region_id: int | None, wave_code: str | None,
                     program: str | None) -> DashboardChoice:
    """The user's regions, waves and programs, and which of each to show: the one asked for when the user
    may see it (a region of someone else is not found), else the first (of waves: the latest with results)."""
    access.require_role(user, *STAFF_ROLES, "manager")
    if user.role == "manager":
        regions = sorted(user.regions, key=lambda r: r.code)
    else:
        regions = list(session.scalars(select(Region).order_by(Region.code)))
    if region_id is not None:
        region: Region | None = access.ensure_region_results_visible(user, session.get(Region, region_id))
    else:
        region = regions[0] if regions else None
    waves = list(session.scalars(select(Wave).order_by(Wave.starts_on.desc(), Wave.code)))
    wave = next((w for w in waves if w.code == wave_code), None)
    programs = wave_programs(session, wave) if wave is not None else []
    if wave is None:
        # The latest wave with results: a wave being assigned for the next visits has nothing to show yet.
        published = set(session.scalars(select(Audit.wave_id).where(Audit.status == "published").distinct()))
        wave = next((w for w in waves if w.id in published), waves[0] if waves else None)
        programs = wave_programs(session, wave) if wave is not None else []
    chosen = program if program in programs else (programs[0] if programs else None)
    return DashboardChoice(regions, region, waves, wave, programs, chosen)


def region_dashboard(session: Session, user: User, choice: DashboardChoice, *, min_ranked: int,
                     policy: DisputePolicy, now: datetime) -> dict[str, Any] | None:
    """The region report's data (services.figures.region_leaderboard, as the PDF), or None when the
    region has no published audits of the program in the wave."""
    if choice.region is None or choice.wave is None or choice.program is None:
        return None
    region = access.ensure_region_results_visible(user, choice.region)
    data = load_wave(session, choice.wave.code, min_ranked, choice.program, dispute_policy=policy,
                     comments_for=None)
    if not data.dealer_ids_in(region.id):
        return None
    return region_leaderboard(data, region, policy=policy, now=now)
