from tortoise import migrations
from tortoise.migrations import operations as ops
from app.cases.states import CaseStatus
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('fawu', '0004_push')]

    initial = False

    operations = [
        ops.CreateModel(
            name='BindCode',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=8)),
                ('purpose', fields.CharField(max_length=8)),
                ('target_id', fields.IntField()),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'cases_bind_code', 'app': 'fawu', 'pk_attr': 'id', 'table_description': 'A short code the clerk reads out (or a staff member gets) to link a WeChat follower.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CannedReply',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('unit_code', fields.CharField(db_index=True, max_length=32)),
                ('title', fields.CharField(max_length=40)),
                ('text', fields.TextField(unique=False)),
                ('created_by', fields.IntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'cases_canned_reply', 'app': 'fawu', 'pk_attr': 'id', 'table_description': 'A ready-made reply of one unit (常用回复) that its staff insert into the reply box.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CaseNotice',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('case', fields.ForeignKeyField('fawu.Case', source_field='case_id', db_constraint=True, to_field='id', related_name='notices', on_delete=OnDelete.CASCADE)),
                ('staff_id', fields.IntField(db_index=True)),
                ('kind', fields.CharField(max_length=16)),
                ('key', fields.CharField(max_length=64)),
                ('text', fields.CharField(default='', max_length=200)),
                ('at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('read_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('acked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'cases_notice', 'app': 'fawu', 'unique_together': (('staff_id', 'key'),), 'pk_attr': 'id', 'table_description': 'One alert for one staff member about a case (new, urgent, a message, a deadline, an escalation).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StaffAlertChannel',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('staff_id', fields.IntField(unique=True)),
                ('account_key', fields.CharField(max_length=32)),
                ('openid', fields.CharField(max_length=64)),
                ('allowed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'cases_staff_alert', 'app': 'fawu', 'pk_attr': 'id', 'table_description': 'A staff member who allowed WeChat alerts (template messages) on a service account.'},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='Case',
            name='result_delivery',
            field=fields.CharField(null=True, max_length=12),
        ),
        ops.AlterField(
            model_name='Case',
            name='status',
            field=fields.CharEnumField(default=CaseStatus.ACCEPTED, db_index=True, description='ACCEPTED: accepted\nASSIGNED: assigned\nIN_PROGRESS: in_progress\nWAITING_INFO: waiting_info\nRESULT_GIVEN: result_given\nRATED: rated\nCLOSED: closed\nARCHIVED: archived', enum_type=CaseStatus, max_length=16),
        ),
        ops.AddField(
            model_name='Case',
            name='contact_consent',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name='Case',
            name='first_owner_id',
            field=fields.IntField(null=True, db_index=True),
        ),
        ops.AddField(
            model_name='Case',
            name='first_unit_code',
            field=fields.CharField(null=True, max_length=32),
        ),
        ops.AddField(
            model_name='Case',
            name='result_delivery_reason',
            field=fields.CharField(default='', db_default='', max_length=200),
        ),
        ops.AlterField(
            model_name='CaseMessage',
            name='delivery',
            field=fields.CharField(null=True, max_length=12),
        ),
        ops.AddField(
            model_name='CaseMessage',
            name='delivery_reason',
            field=fields.CharField(default='', db_default='', max_length=200),
        ),
    ]
