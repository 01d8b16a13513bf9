"""What follows creation, edits and assignment, across features."""

from __future__ import annotations

from sqlalchemy import func, select

from app.clock import SettableClock
from app.demo import generator as demo
from app.models import Activity, ActivityStatus, Lead
from app.services.leads import hooks as lead_hooks
from app.services.leads.edit import create_lead, update_lead
from app.services.routing.core import route_leads
from app.store.db import Store


def test_an_edit_rescores_the_lead(store: Store, clock: SettableClock) -> None:
    with store.session() as s:
        demo.ensure_team(s, clock)
        lead = create_lead(
            s, clock, {"name": "Ada Lovelace", "title": "Intern", "company": "Engines"}
        )
        lead_hooks.on_leads_created(s, clock, [lead.id], route=False)
        s.commit()
        before = s.get(Lead, lead.id)
        assert before is not None
        score_before, authority_before = before.score, before.authority
        update_lead(s, clock, lead.id, {"title": "Chief Executive Officer"})
        s.commit()
        after = s.get(Lead, lead.id)
        assert after is not None
        assert after.authority > authority_before
        assert after.score > score_before


def test_routing_a_batch_starts_each_new_owners_cadence(store: Store, clock: SettableClock) -> None:
    with store.session() as s:
        demo.ensure_team(s, clock)
        ids = [
            create_lead(s, clock, {"name": f"Lead {i}", "email": f"l{i}@example.com"}).id
            for i in range(12)
        ]
        s.flush()
        route_leads(s, clock, ids)
        s.commit()
        owned = s.scalars(select(Lead.id).where(Lead.id.in_(ids), Lead.owner_id.is_not(None))).all()
        assert owned, "the demo team has reps with capacity"
        planned = dict(
            s.execute(
                select(Activity.lead_id, func.count())
                .where(
                    Activity.lead_id.in_(ids),
                    Activity.status == ActivityStatus.PLANNED,
                    Activity.cadence_step_id.is_not(None),
                )
                .group_by(Activity.lead_id)
            ).all()
        )
        assert set(planned) == set(owned)
        assert all(n >= 3 for n in planned.values())
        # Routing again changes nothing and plans nothing twice.
        route_leads(s, clock, ids)
        s.commit()
        again = s.scalar(
            select(func.count()).where(
                Activity.lead_id.in_(ids), Activity.status == ActivityStatus.PLANNED
            )
        )
        assert again == sum(planned.values())
