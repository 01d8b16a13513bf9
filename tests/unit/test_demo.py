from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from app.clock import SettableClock
from app.demo import generator as demo
from app.models import Lead, LeadStatus, Role, Stage, StageTransition, TransitionKind, User
from app.store.db import Store


def _generate(store: Store, clock: SettableClock, **kw: int) -> demo.DemoResult:
    with store.session() as s:
        result = demo.generate(s, clock, **kw)
        s.commit()
    return result


def test_demo_builds_a_team_and_a_believable_funnel(store: Store, clock: SettableClock) -> None:
    result = _generate(store, clock, leads=600, seed=3, accounts=60)
    assert result.leads == 600
    with store.session() as s:
        roles = Counter(s.scalars(select(User.role)))
        assert roles[Role.OWNER] == 1 and roles[Role.MANAGER] == 1
        assert 4 <= roles[Role.REP] <= 6
        statuses = Counter(s.scalars(select(Lead.status)))
        # A funnel: many open or lost, few won, and every status represented.
        assert set(statuses) == {s.value for s in LeadStatus}
        assert statuses[LeadStatus.WON] < statuses[LeadStatus.OPEN] + statuses[LeadStatus.LOST]
        sources = set(s.scalars(select(Lead.source)))
        assert {"Web form", "Referral", "LinkedIn", "Event scan", "Partner"} <= sources
        oldest = s.scalar(select(func.min(StageTransition.at)))
        assert oldest is not None and (clock.now() - oldest).days >= 150
        assert s.scalar(select(func.max(StageTransition.at))) <= clock.now()


def test_every_lead_sits_where_its_history_ends(store: Store, clock: SettableClock) -> None:
    _generate(store, clock, leads=300, seed=11, accounts=40)
    with store.session() as s:
        last: dict[int, int] = {}
        rows = s.execute(
            select(StageTransition.lead_id, StageTransition.to_stage_id)
            .where(StageTransition.kind != TransitionKind.BLOCKED)
            .order_by(StageTransition.at, StageTransition.id)
        )
        for lead_id, to_stage in rows:
            last[lead_id] = to_stage
        current = {lid: sid for lid, sid in s.execute(select(Lead.id, Lead.stage_id))}
        assert last == current
        won = s.scalar(select(Stage.id).where(Stage.name == "Won"))
        won_leads = s.scalars(select(Lead).where(Lead.stage_id == won)).all()
        assert all(lead.details.get("signed_at") for lead in won_leads)


def test_same_seed_same_store(store: Store, clock: SettableClock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.helpers.stores import migrated_sqlite_template, sqlite_store_from

    other = sqlite_store_from(migrated_sqlite_template(tmp_path), tmp_path)
    _generate(store, clock, leads=120, seed=5, accounts=20)
    _generate(other, clock, leads=120, seed=5, accounts=20)

    def snapshot(st: Store) -> list[tuple]:
        with st.session() as s:
            query = select(Lead.display_name, Lead.email, Lead.status).order_by(Lead.id)
            return [tuple(row) for row in s.execute(query)]

    assert snapshot(store) == snapshot(other)
    other.dispose()
