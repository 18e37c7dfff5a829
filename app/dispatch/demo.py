"""Demo technician profiles: home bases around Munich, skills with levels, weekly shifts."""

from __future__ import annotations

from datetime import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import geo
from app.assets.models import Skill
from app.auth.models import Role, User
from app.dispatch.models import Technician, TechnicianSkill, WeeklyShift

# (main trade, second trade): each pair is what some equipment model asks of one person, so
# every model's required levels are met by some technician (main 4-5, second 2-4: the
# catalogue asks at most 4 and 2). Levels vary so that ranking matters.
_TRADES = (("refrigeration", "electrical"), ("elevator", "electrical"),
           ("medical", "electrical"), ("gas", "hvac"), ("mechanical", "electrical"),
           ("hvac", "refrigeration"), ("electrical", "mechanical"),
           ("refrigeration", "hvac"))


def seed_technicians(session: Session, ctx: Any) -> dict[str, int]:
    skills = {s.code: s for s in session.scalars(select(Skill))}
    users = session.scalars(select(User).where(User.role == Role.technician).order_by(User.id))
    techs = []
    for n, user in enumerate(users):
        street, district, lat, lng = ctx.place(spread_m=2500)
        tech = Technician(user=user, home_base=geo.to_point(lat, lng),
                          home_address=f"{street}, {district}",
                          max_daily_minutes=ctx.rng.choice([450, 480, 480, 510]))
        trade = _TRADES[n % len(_TRADES)]
        codes = {trade[0]: ctx.rng.randint(4, 5), trade[1]: ctx.rng.randint(2, 4)}
        if ctx.rng.random() < 0.5:
            extra = ctx.rng.choice(sorted(skills))
            codes[extra] = max(codes.get(extra, 0), ctx.rng.randint(2, 4))
        tech.skills = [TechnicianSkill(skill=skills[c], level=lvl) for c, lvl in codes.items()
                       if c in skills]
        # Later seeders pin jobs only to technicians with the skills: {skill_id: level}.
        ctx.made.setdefault("technician_skills", {})[user.id] = {
            skills[c].id: lvl for c, lvl in codes.items() if c in skills}
        early = ctx.rng.random() < 0.5
        tech.shifts = [WeeklyShift(weekday=d, starts=time(7, 0) if early else time(8, 0),
                                   ends=time(15, 30) if early else time(17, 0),
                                   break_earliest=time(11, 30), break_latest=time(13, 30),
                                   break_minutes=30) for d in range(5)]
        techs.append(tech)
    session.add_all(techs)
    return {"technicians": len(techs)}
