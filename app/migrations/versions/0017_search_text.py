"""search text: leads keep their folded search text, so a search reads it instead of folding

Revision ID: search_text
Revises: bulk_import
Create Date: 2026-12-01 16:00:00

PostgreSQL only (SQLite keeps its folded text in the FTS5 table `lead_search` already). Until
now the trigram index was built on an expression folding the four searched fields with
translate(), and every search evaluated that expression again for every candidate the index
returned (the recheck), three more times per match for the relevance rank, and once per row
for the inbox's count and chip counts: tens of milliseconds per keystroke on 200,000 leads,
seconds once twenty workstations type at once (issue 12's team bench).

`leads.search_text` is a stored generated column: ' ' + name + ' | ' + company + ' | ' +
e-mail + ' | ' + title, each folded by the same table (frequent characters first, as revision
`bulk_import` ordered it). The server computes it on insert and on update of those fields, as
it computed the index expression before, so an import costs about the same. '|' never survives
the fold (it folds to a space) and a folded query word never contains it, so a query word starts
a word of this text exactly when it started a word of the old one; the rank reads each field
back with split_part(search_text, '|', n). The trigram index is rebuilt on the column.
The column is not in the ORM model: nothing in the app writes it. The leads guard (a rep's
login may change only its own or unassigned leads) compares the whole row before it is
written, when the column is still NULL: it now leaves the column out, as it leaves out the
automatic score refresh.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "search_text"
down_revision: str | None = "bulk_import"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMN = "search_text"
INDEX = "ix_leads_search_trgm"
FIELDS = ("display_name", "company", "email_normalized", "title")
SEPARATOR = " | "

# The folding table of revision `inputs`, copied literally.
FOLD_FROM = (
    "!\u0022#$&'()*+,-./:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\u005c]^_`{|}~\u00a0\u00a1"
    "\u00a2\u00a3\u00a4\u00a5\u00a6\u00a7\u00a8\u00a9\u00ab\u00ac\u00ad\u00ae\u00af\u00b0"
    "\u00b1\u00b4\u00b5\u00b6\u00b7\u00b8\u00bb\u00bf\u00c0\u00c1\u00c2\u00c3\u00c4\u00c5"
    "\u00c6\u00c7\u00c8\u00c9\u00ca\u00cb\u00cc\u00cd\u00ce\u00cf\u00d0\u00d1\u00d2\u00d3"
    "\u00d4\u00d5\u00d6\u00d7\u00d8\u00d9\u00da\u00db\u00dc\u00dd\u00de\u00e0\u00e1\u00e2"
    "\u00e3\u00e4\u00e5\u00e7\u00e8\u00e9\u00ea\u00eb\u00ec\u00ed\u00ee\u00ef\u00f1\u00f2"
    "\u00f3\u00f4\u00f5\u00f6\u00f7\u00f9\u00fa\u00fb\u00fc\u00fd\u00ff\u0100\u0101\u0102"
    "\u0103\u0104\u0105\u0106\u0107\u0108\u0109\u010a\u010b\u010c\u010d\u010e\u010f\u0110"
    "\u0112\u0113\u0114\u0115\u0116\u0117\u0118\u0119\u011a\u011b\u011c\u011d\u011e\u011f"
    "\u0120\u0121\u0122\u0123\u0124\u0125\u0126\u0128\u0129\u012a\u012b\u012c\u012d\u012e"
    "\u012f\u0130\u0134\u0135\u0136\u0137\u0139\u013a\u013b\u013c\u013d\u013e\u0141\u0143"
    "\u0144\u0145\u0146\u0147\u0148\u014a\u014c\u014d\u014e\u014f\u0150\u0151\u0152\u0154"
    "\u0155\u0156\u0157\u0158\u0159\u015a\u015b\u015c\u015d\u015e\u015f\u0160\u0161\u0162"
    "\u0163\u0164\u0165\u0166\u0168\u0169\u016a\u016b\u016c\u016d\u016e\u016f\u0170\u0171"
    "\u0172\u0173\u0174\u0175\u0176\u0177\u0178\u0179\u017a\u017b\u017c\u017d\u017e\u017f"
    "\u0181\u0182\u0184\u0186\u0187\u0189\u018a\u018b\u018e\u018f\u0190\u0191\u0193\u0194"
    "\u0196\u0197\u0198\u019c\u019d\u019f\u01a0\u01a1\u01a2\u01a4\u01a6\u01a7\u01a9\u01ac"
    "\u01ae\u01af\u01b0\u01b1\u01b2\u01b3\u01b5\u01b7\u01b8\u01bc\u01cd\u01ce\u01cf\u01d0"
    "\u01d1\u01d2\u01d3\u01d4\u01d5\u01d6\u01d7\u01d8\u01d9\u01da\u01db\u01dc\u01de\u01df"
    "\u01e4\u01e6\u01e7\u01e8\u01e9\u01ea\u01eb\u01ec\u01ed\u01f0\u01f4\u01f5\u01f6\u01f7"
    "\u01f8\u01f9\u01fa\u01fb\u0200\u0201\u0202\u0203\u0204\u0205\u0206\u0207\u0208\u0209"
    "\u020a\u020b\u020c\u020d\u020e\u020f\u0210\u0211\u0212\u0213\u0214\u0215\u0216\u0217"
    "\u0218\u0219\u021a\u021b\u021c\u021e\u021f\u0220\u0222\u0224\u0226\u0227\u0228\u0229"
    "\u022a\u022b\u022c\u022d\u022e\u022f\u0230\u0231\u0232\u0233\u023a\u023b\u023d\u023e"
    "\u0241\u0243\u0244\u0245\u0246\u0248\u024a\u024c\u024e\u0370\u0372\u0375\u0376\u037e"
    "\u0384\u0385\u0387\u0391\u0392\u0393\u0394\u0395\u0396\u0397\u0398\u0399\u039a\u039b"
    "\u039c\u039d\u039e\u039f\u03a0\u03a1\u03a3\u03a4\u03a5\u03a6\u03a7\u03a8\u03a9\u03c2"
    "\u03cf\u03d0\u03d1\u03d5\u03d6\u03d8\u03da\u03dc\u03de\u03e0\u03e2\u03e4\u03e6\u03e8"
    "\u03ea\u03ec\u03ee\u03f0\u03f1\u03f4\u03f5\u03f6\u03f7\u03fa\u03fd\u03fe\u03ff\u0402"
    "\u0404\u0405\u0406\u0408\u0409\u040a\u040b\u040f\u0410\u0411\u0412\u0413\u0414\u0415"
    "\u0416\u0417\u0418\u041a\u041b\u041c\u041d\u041e\u041f\u0420\u0421\u0422\u0423\u0424"
    "\u0425\u0426\u0427\u0428\u0429\u042a\u042b\u042c\u042d\u042e\u042f\u0460\u0462\u0464"
    "\u0466\u0468\u046a\u046c\u046e\u0470\u0472\u0474\u0478\u047a\u047c\u047e\u0480\u0482"
    "\u0483\u0484\u0485\u0486\u0487\u0488\u0489\u048a\u048c\u048e\u0490\u0492\u0494\u0496"
    "\u0498\u049a\u049c\u049e\u04a0\u04a2\u04a4\u04a6\u04a8\u04aa\u04ac\u04ae\u04b0\u04b2"
    "\u04b4\u04b6\u04b8\u04ba\u04bc\u04be\u04c0\u04c3\u04c5\u04c7\u04c9\u04cb\u04cd\u04d4"
    "\u04d8\u04e0\u04e8\u04f6\u04fa\u04fc\u04fe\u1e00\u1e01\u1e02\u1e03\u1e04\u1e05\u1e06"
    "\u1e07\u1e08\u1e09\u1e0a\u1e0b\u1e0c\u1e0d\u1e0e\u1e0f\u1e10\u1e11\u1e12\u1e13\u1e14"
    "\u1e15\u1e16\u1e17\u1e18\u1e19\u1e1a\u1e1b\u1e1c\u1e1d\u1e1e\u1e1f\u1e20\u1e21\u1e22"
    "\u1e23\u1e24\u1e25\u1e26\u1e27\u1e28\u1e29\u1e2a\u1e2b\u1e2c\u1e2d\u1e2e\u1e2f\u1e30"
    "\u1e31\u1e32\u1e33\u1e34\u1e35\u1e36\u1e37\u1e38\u1e39\u1e3a\u1e3b\u1e3c\u1e3d\u1e3e"
    "\u1e3f\u1e40\u1e41\u1e42\u1e43\u1e44\u1e45\u1e46\u1e47\u1e48\u1e49\u1e4a\u1e4b\u1e4c"
    "\u1e4d\u1e4e\u1e4f\u1e50\u1e51\u1e52\u1e53\u1e54\u1e55\u1e56\u1e57\u1e58\u1e59\u1e5a"
    "\u1e5b\u1e5c\u1e5d\u1e5e\u1e5f\u1e60\u1e61\u1e62\u1e63\u1e64\u1e65\u1e66\u1e67\u1e68"
    "\u1e69\u1e6a\u1e6b\u1e6c\u1e6d\u1e6e\u1e6f\u1e70\u1e71\u1e72\u1e73\u1e74\u1e75\u1e76"
    "\u1e77\u1e78\u1e79\u1e7a\u1e7b\u1e7c\u1e7d\u1e7e\u1e7f\u1e80\u1e81\u1e82\u1e83\u1e84"
    "\u1e85\u1e86\u1e87\u1e88\u1e89\u1e8a\u1e8b\u1e8c\u1e8d\u1e8e\u1e8f\u1e90\u1e91\u1e92"
    "\u1e93\u1e94\u1e95\u1e96\u1e97\u1e98\u1e99\u1e9b\u1ea0\u1ea1\u1ea2\u1ea3\u1ea4\u1ea5"
    "\u1ea6\u1ea7\u1ea8\u1ea9\u1eaa\u1eab\u1eac\u1ead\u1eae\u1eaf\u1eb0\u1eb1\u1eb2\u1eb3"
    "\u1eb4\u1eb5\u1eb6\u1eb7\u1eb8\u1eb9\u1eba\u1ebb\u1ebc\u1ebd\u1ebe\u1ebf\u1ec0\u1ec1"
    "\u1ec2\u1ec3\u1ec4\u1ec5\u1ec6\u1ec7\u1ec8\u1ec9\u1eca\u1ecb\u1ecc\u1ecd\u1ece\u1ecf"
    "\u1ed0\u1ed1\u1ed2\u1ed3\u1ed4\u1ed5\u1ed6\u1ed7\u1ed8\u1ed9\u1eda\u1edb\u1edc\u1edd"
    "\u1ede\u1edf\u1ee0\u1ee1\u1ee2\u1ee3\u1ee4\u1ee5\u1ee6\u1ee7\u1ee8\u1ee9\u1eea\u1eeb"
    "\u1eec\u1eed\u1eee\u1eef\u1ef0\u1ef1\u1ef2\u1ef3\u1ef4\u1ef5\u1ef6\u1ef7\u1ef8\u1ef9"
    "\u1efa\u1efc\u1efe\u2010\u2011\u2012\u2013\u2014\u2015\u2016\u2017\u2018\u2019\u201a"
    "\u201b\u201c\u201d\u201e\u201f\u2020\u2021\u2022\u2023\u2024\u2025\u2026\u2027"
)

FOLD_TO = (
    "                     abcdefghijklmnopqrstuvwxyz                            \u03bc   "
    "  aaaaaa\u00e6ceeeeiiii\u00f0nooooo \u00f8uuuuy\u00feaaaaaaceeeeiiiinooooo uuuuyyaaa"
    "aaaccccccccdd\u0111eeeeeeeeeegggggggghh\u0127iiiiiiiiijjkkllllll\u0142nnnnnn\u014boo"
    "oooo\u0153rrrrrrsssssssstttt\u0167uuuuuuuuuuuuwwyyyzzzzzzs\u0253\u0183\u0185\u0254"
    "\u0188\u0256\u0257\u018c\u01dd\u0259\u025b\u0192\u0260\u0263\u0269\u0268\u0199\u026f"
    "\u0272\u0275oo\u01a3\u01a5\u0280\u01a8\u0283\u01ad\u0288uu\u028a\u028b\u01b4\u01b6"
    "\u0292\u01b9\u01bdaaiioouuuuuuuuuuaa\u01e5ggkkoooojgg\u0195\u01bfnnaaaaaaeeeeiiiiooo"
    "orrrruuuusstt\u021dhh\u019e\u0223\u0225aaeeooooooooyy\u2c65\u023c\u019a\u2c66\u0242"
    "\u0180\u0289\u028c\u0247\u0249\u024b\u024d\u024f\u0371\u0373 \u0377    \u03b1\u03b2"
    "\u03b3\u03b4\u03b5\u03b6\u03b7\u03b8\u03b9\u03ba\u03bb\u03bc\u03bd\u03be\u03bf\u03c0"
    "\u03c1\u03c3\u03c4\u03c5\u03c6\u03c7\u03c8\u03c9\u03c3\u03d7\u03b2\u03b8\u03c6\u03c0"
    "\u03d9\u03db\u03dd\u03df\u03e1\u03e3\u03e5\u03e7\u03e9\u03eb\u03ed\u03ef\u03ba\u03c1"
    "\u03b8\u03b5 \u03f8\u03fb\u037b\u037c\u037d\u0452\u0454\u0455\u0456\u0458\u0459"
    "\u045a\u045b\u045f\u0430\u0431\u0432\u0433\u0434\u0435\u0436\u0437\u0438\u043a\u043b"
    "\u043c\u043d\u043e\u043f\u0440\u0441\u0442\u0443\u0444\u0445\u0446\u0447\u0448\u0449"
    "\u044a\u044b\u044c\u044d\u044e\u044f\u0461\u0463\u0465\u0467\u0469\u046b\u046d\u046f"
    "\u0471\u0473\u0475\u0479\u047b\u047d\u047f\u0481        \u048b\u048d\u048f\u0491"
    "\u0493\u0495\u0497\u0499\u049b\u049d\u049f\u04a1\u04a3\u04a5\u04a7\u04a9\u04ab\u04ad"
    "\u04af\u04b1\u04b3\u04b5\u04b7\u04b9\u04bb\u04bd\u04bf\u04cf\u04c4\u04c6\u04c8\u04ca"
    "\u04cc\u04ce\u04d5\u04d9\u04e1\u04e9\u04f7\u04fb\u04fd\u04ffaabbbbbbccddddddddddeeee"
    "eeeeeeffgghhhhhhhhhhiiiikkkkkkllllllllmmmmmmnnnnnnnnoooooooopppprrrrrrrrsssssssssstt"
    "ttttttuuuuuuuuuuvvvvwwwwwwwwwwxxxxyyzzzzzzhtwysaaaaaaaaaaaaaaaaaaaaaaaaeeeeeeeeeeeee"
    "eeeiiiioooooooooooooooooooooooouuuuuuuuuuuuuuyyyyyyyy\u1efb\u1efd\u1eff             "
    "           "
)

# Looked up first: space, lower-case letters and digits by frequency, then the common
# punctuation of e-mails and the capitals (revision `bulk_import`).
FREQUENT = " eaionrstlcmdhuypgbkfwvjzxq0123456789.@-EAIONRSTLCMDHUYPGBKFWVJZXQ"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _frequent_first() -> tuple[str, str]:
    table = dict(zip(FOLD_FROM, FOLD_TO, strict=True))
    order = [*FREQUENT, *(c for c in FOLD_FROM if c not in FREQUENT)]
    return "".join(order), "".join(table.get(c, c) for c in order)


FROM, TO = (_literal(t) for t in _frequent_first())
# The column's expression: each field folded on its own, joined by SEPARATOR.
COLUMN_EXPRESSION = "' ' || " + f" || {_literal(SEPARATOR)} || ".join(
    f"translate(coalesce({c}, ''), {FROM}, {TO})" for c in FIELDS
)
# Revision `bulk_import`'s index expression (the four fields joined, then folded).
JOINED = " || ' ' || ".join(f"coalesce({c}, '')" for c in FIELDS)
OLD_INDEX_EXPRESSION = f"(' ' || translate({JOINED}, {FROM}, {TO}))"


# The leads guard of revision `merge_history` as it was, and ignoring the derived column
# (a rep's login may still change only the leads it may: tests/db/test_team_roles.py).
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
LEADS_GUARD_DERIVED = """
CREATE OR REPLACE FUNCTION leadgate_leads_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    me integer;
    automatic text[] := ARRAY['score', 'tier', 'fit', 'intent', 'authority', 'timing',
                              'scored_at', 'version', 'updated_at'];
    -- Derived by the server from the fields compared here; still NULL in NEW before the row
    -- is written, so it would always look changed.
    derived text[] := ARRAY['search_text'];
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
    automatic := automatic || derived;
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
        return  # SQLite's FTS5 table holds the folded text already
    op.execute(f"DROP INDEX IF EXISTS {INDEX}")
    op.execute(
        f"ALTER TABLE leads ADD COLUMN {COLUMN} text GENERATED ALWAYS AS ({COLUMN_EXPRESSION}) "
        "STORED"
    )
    op.execute(f"CREATE INDEX {INDEX} ON leads USING gin ({COLUMN} gin_trgm_ops)")
    op.execute(LEADS_GUARD_DERIVED)
    # The planner's estimates for LIKE on the column come from its statistics.
    op.execute("ANALYZE leads")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(LEADS_GUARD)
    op.execute(f"DROP INDEX IF EXISTS {INDEX}")
    op.execute(f"ALTER TABLE leads DROP COLUMN IF EXISTS {COLUMN}")
    op.execute(f"CREATE INDEX {INDEX} ON leads USING gin (({OLD_INDEX_EXPRESSION}) gin_trgm_ops)")
