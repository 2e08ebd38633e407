from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('fawu', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='LoginAttempt',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account_key', fields.CharField(max_length=64)),
                ('client', fields.CharField(max_length=64)),
                ('failures', fields.IntField(default=0)),
                ('locked_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'staff_login_attempt', 'app': 'fawu', 'unique_together': (('account_key', 'client'),), 'pk_attr': 'id', 'table_description': 'Failed logins counted per (typed account name, client): a lock keeps that client out of that'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='BoardScan',
            name='client',
            field=fields.CharField(default='', db_default='', db_index=True, max_length=24),
        ),
        ops.AddField(
            model_name='Case',
            name='summary_enc',
            field=fields.TextField(null=True, unique=False),
        ),
        ops.AddField(
            model_name='CaseMessage',
            name='text_enc',
            field=fields.TextField(null=True, unique=False),
        ),
        ops.AddField(
            model_name='Consultation',
            name='client',
            field=fields.CharField(default='', db_default='', max_length=24),
        ),
        ops.AddField(
            model_name='Consultation',
            name='question_enc',
            field=fields.TextField(null=True, unique=False),
        ),
        ops.AddField(
            model_name='InboundMessage',
            name='fields_enc',
            field=fields.TextField(null=True, unique=False),
        ),
        ops.AddField(
            model_name='InboundMessage',
            name='text_enc',
            field=fields.TextField(null=True, unique=False),
        ),
    ]
