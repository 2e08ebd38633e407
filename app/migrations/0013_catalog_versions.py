from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('fawu', '0012_booksurv')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CatalogServiceVersion',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('service_code', fields.CharField(db_index=True, max_length=40)),
                ('version', fields.IntField()),
                ('name', fields.CharField(max_length=64)),
                ('group', fields.CharField(default='', max_length=32)),
                ('time_limit', fields.CharField(default='', max_length=8)),
                ('data', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('refs', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('active', fields.BooleanField(default=True)),
                ('changed_by', fields.CharField(default='', max_length=32)),
                ('reason', fields.CharField(default='', max_length=200)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'catalog_service_version', 'app': 'fawu', 'unique_together': (('service_code', 'version'),), 'pk_attr': 'id', 'table_description': 'One version of a service as it was published, what cases, bookings and surveys opened under it'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Case',
            name='service_limit',
            field=fields.CharField(default='', db_default='', max_length=8),
        ),
        ops.AddField(
            model_name='Case',
            name='service_name',
            field=fields.CharField(default='', db_default='', max_length=64),
        ),
        ops.AddField(
            model_name='Case',
            name='service_ref',
            field=fields.CharField(null=True, max_length=48),
        ),
        ops.AddField(
            model_name='CatalogService',
            name='version',
            field=fields.IntField(default=1, db_default=1),
        ),
    ]
