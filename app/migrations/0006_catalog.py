from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('fawu', '0005_cases_front_desk')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CaseStudy',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('slug', fields.CharField(unique=True, max_length=64)),
                ('title', fields.CharField(max_length=64)),
                ('category', fields.CharField(db_index=True, max_length=24)),
                ('tags', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('laws', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('author', fields.CharField(default='', max_length=32)),
                ('pseudonyms', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('facts', fields.TextField(unique=False)),
                ('dispute', fields.TextField(unique=False)),
                ('resolution', fields.TextField(unique=False)),
                ('law_text', fields.TextField(unique=False)),
                ('lesson', fields.TextField(unique=False)),
                ('status', fields.CharField(default='draft', db_index=True, max_length=16)),
                ('source', fields.CharField(default='', max_length=200)),
                ('author_id', fields.IntField(null=True)),
                ('reviewer_id', fields.IntField(null=True)),
                ('review_comment', fields.TextField(default='', unique=False)),
                ('published_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('search_text', fields.TextField(default='', unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'catalog_case_study', 'app': 'fawu', 'pk_attr': 'id', 'table_description': 'A typical case (典型案例) of the case library: anonymised, reviewed before it is published.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CatalogService',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=40)),
                ('name', fields.CharField(max_length=64)),
                ('group', fields.CharField(default='', max_length=32)),
                ('position', fields.IntField(default=0)),
                ('time_limit', fields.CharField(default='', max_length=8)),
                ('data', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('refs', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('search_text', fields.TextField(default='', unique=False)),
                ('active', fields.BooleanField(default=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'catalog_service', 'app': 'fawu', 'pk_attr': 'id', 'table_description': 'One basic public legal service (基本项目) with its commitment, cost, materials and legal basis.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PracticeRecord',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=32)),
                ('provider_code', fields.CharField(db_index=True, max_length=32)),
                ('type', fields.CharField(max_length=24)),
                ('authority', fields.CharField(max_length=64)),
                ('decision_date', fields.DateField()),
                ('display_until', fields.DateField()),
                ('summary', fields.TextField(unique=False)),
                ('source_ref', fields.CharField(default='', max_length=64)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoked_reason', fields.CharField(default='', max_length=200)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'catalog_practice_record', 'app': 'fawu', 'pk_attr': 'id', 'table_description': 'A sanction or bad-practice record (不良执业信息) of a provider, shown while in its display period.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Provider',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=32)),
                ('kind', fields.CharField(db_index=True, max_length=24)),
                ('name', fields.CharField(max_length=64)),
                ('parent_code', fields.CharField(default='', max_length=32)),
                ('townships', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('specialities', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('duty_hours', fields.CharField(default='', max_length=100)),
                ('dialects', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('phone', fields.CharField(default='', max_length=20)),
                ('address', fields.CharField(default='', max_length=200)),
                ('licence_no', fields.CharField(default='', max_length=32)),
                ('advisor_code', fields.CharField(default='', db_index=True, max_length=32)),
                ('intro', fields.CharField(default='', max_length=300)),
                ('search_text', fields.TextField(default='', unique=False)),
                ('active', fields.BooleanField(default=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'catalog_provider', 'app': 'fawu', 'pk_attr': 'id', 'table_description': 'A legal service provider of the directory: a unit (firm, notary office, committee) or a person.'},
            bases=['Model'],
        ),
    ]
