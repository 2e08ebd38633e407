"""Issue 24: the indexes SQLite lost when earlier migrations rebuilt tables.

On SQLite, tortoise drops or alters a column by copying the table, and the copy kept neither the unique
constraints nor the indexes: a database made by `fawu migrate` (the embedded default) had no unique
(account_key, dedup_key) on wechat_inbound, so WeChat's retry of a message was stored and answered again
(found by two `fawu serve` workers; tests build their schema from the models, which has them). This puts
every lost index back (IF NOT EXISTS: a database built from the models has them already). Messages stored
twice meanwhile keep their rows: the later copies get a dedup_key/sig_key of their own first, so the unique
indexes can be built. MySQL/MariaDB alter in place and lost nothing: nothing to do there.
"""

from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops

# (table, unique, columns): what the models declare and a migrated SQLite database was missing
LOST = [
    ("wechat_inbound", True, ("account_key", "dedup_key")),
    ("wechat_inbound", True, ("account_key", "sig_key")),
    ("wechat_inbound", False, ("account_key", "openid", "created_at")),
    ("wechat_inbound", False, ("openid",)),
    ("wechat_pending", False, ("ref",)),
    ("boards_scan", False, ("client",)),
    ("cases_message", False, ("at",)),
    ("cases_case", False, ("type",)),
    ("cases_case", False, ("status",)),
    ("cases_case", False, ("resident_id",)),
    ("cases_case", False, ("township_code",)),
    ("cases_case", False, ("community_code",)),
    ("cases_case", False, ("owner_id",)),
    ("cases_case", False, ("first_owner_id",)),
    ("cases_case", False, ("deadline_at",)),
]

SEPARATE_DUPLICATES = [
    # the first copy keeps the key; later copies get one of their own (dedup_key is at most 48 characters)
    "UPDATE wechat_inbound SET dedup_key = substr(dedup_key, 1, 26) || ':dup' || id "
    "WHERE id NOT IN (SELECT MIN(id) FROM wechat_inbound GROUP BY account_key, dedup_key)",
    "UPDATE wechat_inbound SET sig_key = NULL WHERE sig_key IS NOT NULL "
    "AND id NOT IN (SELECT MIN(id) FROM wechat_inbound WHERE sig_key IS NOT NULL GROUP BY account_key, sig_key)",
]


async def restore(apps: Any, editor: Any) -> None:
    client = editor.client
    if client.capabilities.dialect != "sqlite":
        return
    for sql in SEPARATE_DUPLICATES:
        await client.execute_script(sql)
    for table, unique, cols in LOST:
        name = f"fawu12_{table}_{'_'.join(cols)}"[:60]
        columns = ", ".join(f'"{c}"' for c in cols)
        await client.execute_script(
            f'CREATE {"UNIQUE " if unique else ""}INDEX IF NOT EXISTS "{name}" ON "{table}" ({columns})')


async def nothing(apps: Any, editor: Any) -> None:
    return None


class Migration(migrations.Migration):
    dependencies = [('fawu', '0013_catalog_versions')]

    initial = False

    operations = [
        ops.RunPython(restore, reverse_code=nothing),
    ]
