from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('fawu', '0006_catalog')]

    initial = False

    operations = [
        ops.CreateModel(
            name='EarlyWarning',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharField(default='surge', max_length=12)),
                ('source', fields.CharField(default='consult', max_length=12)),
                ('township_code', fields.CharField(db_index=True, max_length=32)),
                ('community_code', fields.CharField(default='', max_length=32)),
                ('category', fields.CharField(max_length=32)),
                ('subject', fields.CharField(default='', max_length=64)),
                ('week_start', fields.DateField()),
                ('observed', fields.IntField()),
                ('expected', fields.FloatField()),
                ('baseline', fields.IntField()),
                ('p_value', fields.FloatField()),
                ('rule', fields.CharField(max_length=200)),
                ('evidence', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('status', fields.CharField(default='open', db_index=True, max_length=12)),
                ('assignee_id', fields.IntField(null=True)),
                ('assignee_name', fields.CharField(default='', max_length=32)),
                ('outcome', fields.TextField(default='', unique=False)),
                ('history', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'analytics_early_warning', 'app': 'fawu', 'unique_together': (('kind', 'source', 'township_code', 'community_code', 'category', 'subject', 'week_start'),), 'pk_attr': 'id', 'table_description': 'A surge of one topic in one place above its own baseline (矛盾排查预警), handled like a case:'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RollupCell',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('source', fields.CharField(max_length=24)),
                ('period', fields.CharField(max_length=6)),
                ('period_start', fields.DateField()),
                ('grain', fields.CharField(max_length=24)),
                ('township_code', fields.CharField(default='', max_length=32)),
                ('community_code', fields.CharField(default='', max_length=32)),
                ('dim', fields.CharField(default='', max_length=32)),
                ('count', fields.IntField(default=0)),
                ('residents', fields.IntField(default=0)),
            ],
            options={'table': 'analytics_rollup_cell', 'app': 'fawu', 'indexes': [Index(fields=['source', 'period', 'grain', 'period_start']), Index(fields=['period', 'period_start'])], 'pk_attr': 'id', 'table_description': 'One figure of one period: a count and its distinct residents, for a place and one dimension value.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RollupRun',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('period', fields.CharField(max_length=6)),
                ('period_start', fields.DateField()),
                ('computed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('cells', fields.IntField(default=0)),
            ],
            options={'table': 'analytics_rollup_run', 'app': 'fawu', 'unique_together': (('period', 'period_start'),), 'pk_attr': 'id', 'table_description': 'When one period was last computed (the rollup refreshes open periods and fills missing ones).'},
            bases=['Model'],
        ),
    ]
