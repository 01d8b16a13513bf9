"""history follows a merged lead: managers may re-point it, nothing else

Revision ID: merge_history
Revises: handoff
Create Date: 2026-12-01 13:30:00

Merging two leads moves the other lead's history (stage transitions, audit events,
engagement events) to the kept lead, then deletes the other one. On a team database
(PostgreSQL) that history is append-only for every app login (team_roles), so a manager's
merge was refused. Managers and the owner may now UPDATE only the column that says which
lead a history row belongs to (column GRANTs), and the append-only trigger lets such an
UPDATE through when nothing else in the row changes; they also write the merge's redirects
(lead_redirects). A rep still cannot update history at all; any member may dismiss a
duplicate suggestion (duplicate_dismissals, which team_roles left read-only). SQLite (one
workstation) has no logins: nothing to do there.

Also: a rep creating a lead that routing hands to a colleague stamps its hand-off
(assigned_at, handoff_score: 0013_handoff) after the owner changed; the leads guard now lets
that one-time stamp through on a lead whose assigned_at is still empty.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "merge_history"
down_revision: str | None = "inputs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# History table -> the column naming its lead.
LINKS = {
    "stage_transitions": "lead_id",
    "audit_events": "entity_id",
    "engagement_events": "lead_id",
}

# Whole-table rights: (table, rights, group).
TABLE_RIGHTS = (
    ("lead_redirects", "INSERT, UPDATE", "leadgate_manager"),
    ("duplicate_dismissals", "INSERT, DELETE", "leadgate_rep"),
)

APPEND_ONLY_WITH_MERGE = """
CREATE OR REPLACE FUNCTION leadgate_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    link text := CASE TG_TABLE_NAME WHEN 'audit_events' THEN 'entity_id' ELSE 'lead_id' END;
BEGIN
    -- Merging two leads re-points the other lead's history at the kept one: a manager's or
    -- the owner's UPDATE that changes that column and nothing else.
    IF TG_OP = 'UPDATE' AND leadgate_login_role() IN ('manager', 'owner')
       AND (to_jsonb(NEW) - link) = (to_jsonb(OLD) - link) THEN
        RETURN NEW;
    END IF;
    -- Deleting a lead (a manager undoing an import) takes its history along: that cascade
    -- runs one trigger level down and is allowed.
    IF leadgate_login_role() <> 'admin' AND pg_trigger_depth() < 2 THEN
        RAISE EXCEPTION USING ERRCODE = '42501',
            MESSAGE = 'leadgate: ' || TG_TABLE_NAME || ' is append-only';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;
"""

APPEND_ONLY = """
CREATE OR REPLACE FUNCTION leadgate_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- Deleting a lead (a manager undoing an import) takes its history along: that cascade
    -- runs one trigger level down and is allowed.
    IF leadgate_login_role() <> 'admin' AND pg_trigger_depth() < 2 THEN
        RAISE EXCEPTION USING ERRCODE = '42501',
            MESSAGE = 'leadgate: ' || TG_TABLE_NAME || ' is append-only';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;
"""

# The leads guard (team_roles) as it was, and with the hand-off stamp (0013_handoff) allowed.
LEADS_GUARD = """
CREATE OR REPLACE FUNCTION leadgate_leads_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    me integer;
    automatic text[] := ARRAY['score', 'tier', 'fit', 'intent', 'authority', 'timing',
                              'scored_at', 'version', 'updated_at'];
BEGIN
    IF leadgate_login_role() <> 'rep' THEN
        RETURN NEW;
    END IF;
    me := leadgate_user_id();
    IF OLD.owner_id IS NULL OR OLD.owner_id = me THEN
        RETURN NEW;  -- their own lead, or claiming / routing an unassigned one
    END IF;
    -- Someone else's lead: only the automatic score refresh (decay) may touch it.
    IF (to_jsonb(NEW) - automatic) IS DISTINCT FROM (to_jsonb(OLD) - automatic) THEN
        RAISE EXCEPTION USING ERRCODE = '42501',
            MESSAGE = 'leadgate: a rep can change only their own leads or unassigned ones',
            HINT = 'lead ' || OLD.id;
    END IF;
    RETURN NEW;
END
$$;
"""

LEADS_GUARD_WITH_HANDOFF = """
CREATE OR REPLACE FUNCTION leadgate_leads_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    me integer;
    automatic text[] := ARRAY['score', 'tier', 'fit', 'intent', 'authority', 'timing',
                              'scored_at', 'version', 'updated_at'];
BEGIN
    IF leadgate_login_role() <> 'rep' THEN
        RETURN NEW;
    END IF;
    me := leadgate_user_id();
    IF OLD.owner_id IS NULL OR OLD.owner_id = me THEN
        RETURN NEW;  -- their own lead, or claiming / routing an unassigned one
    END IF;
    -- Someone else's lead: only the automatic score refresh (decay) may touch it, and the
    -- one-time hand-off stamp when a lead this rep created was just routed to a colleague.
    IF OLD.assigned_at IS NULL THEN
        automatic := automatic || ARRAY['assigned_at', 'handoff_score'];
    END IF;
    IF (to_jsonb(NEW) - automatic) IS DISTINCT FROM (to_jsonb(OLD) - automatic) THEN
        RAISE EXCEPTION USING ERRCODE = '42501',
            MESSAGE = 'leadgate: a rep can change only their own leads or unassigned ones',
            HINT = 'lead ' || OLD.id;
    END IF;
    RETURN NEW;
END
$$;
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in LINKS.items():
        op.execute(f"GRANT UPDATE ({column}) ON {table} TO leadgate_manager")
    for table, rights, group in TABLE_RIGHTS:
        op.execute(f"GRANT {rights} ON {table} TO {group}")
    op.execute(APPEND_ONLY_WITH_MERGE)
    op.execute(LEADS_GUARD_WITH_HANDOFF)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(APPEND_ONLY)
    op.execute(LEADS_GUARD)
    for table, column in LINKS.items():
        op.execute(f"REVOKE UPDATE ({column}) ON {table} FROM leadgate_manager")
    for table, rights, group in TABLE_RIGHTS:
        op.execute(f"REVOKE {rights} ON {table} FROM {group}")
