"""team roles: members' logins, hours and absences; on PostgreSQL the server enforces the roles

Revision ID: team_roles
Revises: 0007
Create Date: 2026-12-01 12:20:00

Both stores: users gain `db_login` (the PostgreSQL login that is this member), `active`,
`timezone`, `work_hours`, and a `user_absences` table (out-of-office ranges routing honours).

PostgreSQL only: three NOLOGIN group roles (leadgate_rep < leadgate_manager < leadgate_owner,
each a member of the one below, so it inherits its rights), table GRANTs mirroring the app's
permission table, row-level security on leads, and triggers that keep history append-only and
refuse what a rep's login may not write. Roles are cluster-wide: they are created only when
missing, and the downgrade drops them only when no other database still uses them. The login
running the migrations (the admin, owner of the tables) is no member and is not restricted.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "team_roles"
down_revision: str | None = "accounts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLES = ("leadgate_rep", "leadgate_manager", "leadgate_owner")

# Everyone reads everything; reps write leads and their work; managers the configuration.
REP_WRITES = {
    "leads": "INSERT, UPDATE",
    "accounts": "INSERT, UPDATE",
    "activities": "INSERT, UPDATE",
    "alerts": "INSERT, UPDATE",
    "engagement_events": "INSERT",
    "stage_transitions": "INSERT",
    "audit_events": "INSERT",
    "import_batches": "INSERT, UPDATE",
    "import_changes": "INSERT",
    "import_mapping_presets": "INSERT, UPDATE",
    "report_journey_queue": "INSERT, UPDATE, DELETE",
    "report_journey_state": "INSERT, UPDATE, DELETE",
    "report_journeys": "INSERT, UPDATE, DELETE",
    "report_stalls": "INSERT, UPDATE, DELETE",
    "report_stays": "INSERT, UPDATE, DELETE",
}
MANAGER_WRITES = {
    "leads": "DELETE",  # undoing an import
    "engagement_events": "DELETE",
    "import_changes": "DELETE",
    "import_mapping_presets": "DELETE",
    "users": "INSERT, UPDATE",
    "user_absences": "INSERT, UPDATE, DELETE",
    "pipelines": "INSERT, UPDATE, DELETE",
    "stages": "INSERT, UPDATE, DELETE",
    "gate_criteria": "INSERT, UPDATE, DELETE",
    "settings": "INSERT, UPDATE, DELETE",
    "routing_rules": "INSERT, UPDATE, DELETE",
    "cadences": "INSERT, UPDATE, DELETE",
    "cadence_steps": "INSERT, UPDATE, DELETE",
}
APPEND_ONLY = ("stage_transitions", "audit_events")

CREATE_ROLES = """
DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['leadgate_rep', 'leadgate_manager', 'leadgate_owner'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', r);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                NULL;  -- another database's migration created it at the same moment
            END;
        END IF;
    END LOOP;
    BEGIN
        GRANT leadgate_rep TO leadgate_manager;
        GRANT leadgate_manager TO leadgate_owner;
    EXCEPTION WHEN OTHERS THEN
        NULL;  -- already granted (concurrently)
    END;
END
$$;
"""

# Who is at the keyboard, as the server sees it: the active member whose db_login is the
# session's login (a deactivated member's login owns nothing any more), and that login's role ('admin' for a login in none of the groups, or a superuser).
FUNCTIONS = """
CREATE OR REPLACE FUNCTION leadgate_user_id() RETURNS integer
LANGUAGE sql STABLE AS $$
    SELECT id FROM users WHERE db_login = session_user AND active LIMIT 1
$$;

CREATE OR REPLACE FUNCTION leadgate_login_role() RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN (SELECT rolsuper FROM pg_roles WHERE rolname = session_user) THEN 'admin'
        WHEN pg_has_role(session_user, 'leadgate_owner', 'MEMBER') THEN 'owner'
        WHEN pg_has_role(session_user, 'leadgate_manager', 'MEMBER') THEN 'manager'
        WHEN pg_has_role(session_user, 'leadgate_rep', 'MEMBER') THEN 'rep'
        ELSE 'admin'
    END
$$;

CREATE OR REPLACE FUNCTION leadgate_leads_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    me integer;
    -- The score refresh (decay) and the hand-off record written with a first owner.
    automatic text[] := ARRAY['score', 'tier', 'fit', 'intent', 'authority', 'timing',
                              'scored_at', 'version', 'updated_at', 'assigned_at',
                              'handoff_score'];
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

CREATE OR REPLACE FUNCTION leadgate_transitions_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.kind = 'override' AND leadgate_login_role() = 'rep' THEN
        RAISE EXCEPTION USING ERRCODE = '42501',
            MESSAGE = 'leadgate: only a manager or the owner can override a gate';
    END IF;
    RETURN NEW;
END
$$;

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


def _columns_up() -> None:
    op.add_column("users", sa.Column("db_login", sa.String(length=63), nullable=True))
    op.add_column(
        "users", sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False)
    )
    op.add_column("users", sa.Column("timezone", sa.String(length=64), nullable=True))
    op.add_column("users", sa.Column("work_hours", sa.String(length=11), nullable=True))
    op.create_index("ix_users_db_login", "users", ["db_login"], unique=True)
    op.create_table(
        "user_absences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("starts", sa.Date(), nullable=False),
        sa.Column("ends", sa.Date(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_absences_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_absences")),
    )
    op.create_index("ix_user_absences_user_id", "user_absences", ["user_id"])


def _columns_down() -> None:
    op.drop_index("ix_user_absences_user_id", table_name="user_absences")
    op.drop_table("user_absences")
    op.drop_index("ix_users_db_login", table_name="users")
    with op.batch_alter_table("users") as batch:
        for name in ("work_hours", "timezone", "active", "db_login"):
            batch.drop_column(name)


def upgrade() -> None:
    _columns_up()
    if op.get_bind().dialect.name != "postgresql":
        return  # one workstation: the services' permission table is the protection
    op.execute(CREATE_ROLES)
    op.execute(
        "DO $$ BEGIN EXECUTE format('GRANT CONNECT ON DATABASE %I TO leadgate_rep', "
        "current_database()); END $$"
    )
    op.execute("GRANT USAGE ON SCHEMA public TO leadgate_rep")
    op.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO leadgate_rep")
    op.execute("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO leadgate_rep")
    for table, rights in REP_WRITES.items():
        op.execute(f"GRANT {rights} ON {table} TO leadgate_rep")
    for table, rights in MANAGER_WRITES.items():
        op.execute(f"GRANT {rights} ON {table} TO leadgate_manager")
    # Routing (any member creating or importing leads) turns the round-robin wheel.
    op.execute("GRANT UPDATE (last_assigned_seq) ON users TO leadgate_rep")
    # Tables later migrations add: readable by every member, writable by managers.
    op.execute("ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO leadgate_rep")
    op.execute(
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
        "GRANT INSERT, UPDATE, DELETE ON TABLES TO leadgate_manager"
    )
    op.execute(
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO leadgate_rep"
    )
    op.execute(FUNCTIONS)
    op.execute("ALTER TABLE leads ENABLE ROW LEVEL SECURITY")
    op.execute("CREATE POLICY leads_read ON leads FOR SELECT USING (true)")
    op.execute("CREATE POLICY leads_insert ON leads FOR INSERT WITH CHECK (true)")
    # A rep may not hand a lead to someone else unless it was unassigned (the guard trigger
    # compares old and new); RLS keeps deleting to managers.
    op.execute("CREATE POLICY leads_update ON leads FOR UPDATE USING (true) WITH CHECK (true)")
    op.execute("CREATE POLICY leads_delete ON leads FOR DELETE TO leadgate_manager USING (true)")
    op.execute(
        "CREATE TRIGGER leads_guard BEFORE UPDATE ON leads "
        "FOR EACH ROW EXECUTE FUNCTION leadgate_leads_guard()"
    )
    op.execute(
        "CREATE TRIGGER stage_transitions_guard BEFORE INSERT ON stage_transitions "
        "FOR EACH ROW EXECUTE FUNCTION leadgate_transitions_guard()"
    )
    for table in APPEND_ONLY:
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION leadgate_append_only()"
        )


DROP_ROLES_WHEN_UNUSED = """
DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['leadgate_owner', 'leadgate_manager', 'leadgate_rep'] LOOP
        BEGIN
            EXECUTE format('DROP ROLE IF EXISTS %I', r);
        EXCEPTION WHEN dependent_objects_still_exist OR object_in_use THEN
            NULL;  -- another database still grants it rights: keep it
        END;
    END LOOP;
END
$$;
"""


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute("DROP TRIGGER IF EXISTS stage_transitions_guard ON stage_transitions")
        op.execute("DROP TRIGGER IF EXISTS leads_guard ON leads")
        for policy in ("leads_read", "leads_insert", "leads_update", "leads_delete"):
            op.execute(f"DROP POLICY IF EXISTS {policy} ON leads")
        op.execute("ALTER TABLE leads DISABLE ROW LEVEL SECURITY")
        for fn in (
            "leadgate_append_only",
            "leadgate_transitions_guard",
            "leadgate_leads_guard",
            "leadgate_login_role",
            "leadgate_user_id",
        ):
            op.execute(f"DROP FUNCTION IF EXISTS {fn}()")
        op.execute(
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM leadgate_rep"
        )
        op.execute(
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM leadgate_manager"
        )
        op.execute(
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON SEQUENCES FROM leadgate_rep"
        )
        for role in ROLES:
            op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}")
            op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {role}")
            op.execute(f"REVOKE ALL ON SCHEMA public FROM {role}")
            op.execute(
                f"DO $$ BEGIN EXECUTE format('REVOKE ALL ON DATABASE %I FROM {role}', "
                "current_database()); END $$"
            )
        op.execute(DROP_ROLES_WHEN_UNUSED)
    _columns_down()
