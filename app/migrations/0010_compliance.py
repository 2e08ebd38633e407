from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from app.core.actor import Role
from json import dumps, loads
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('fawu', '0009_booking')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AuditHead',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('seq', fields.BigIntField(default=0)),
                ('hash', fields.CharField(max_length=64)),
                ('key_id', fields.CharField(default='', max_length=8)),
            ],
            options={'table': 'staff_audit_head', 'app': 'fawu', 'pk_attr': 'id', 'table_description': 'The newest link of the chain (one row, locked while an entry is appended, so links never fork).'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='AuditLog',
            name='actor_role',
            field=fields.CharField(default='', db_default='', max_length=20),
        ),
        ops.AddField(
            model_name='AuditLog',
            name='hash',
            field=fields.CharField(default='', db_default='', max_length=64),
        ),
        ops.AddField(
            model_name='AuditLog',
            name='key_id',
            field=fields.CharField(default='', db_default='', max_length=8),
        ),
        ops.AddField(
            model_name='AuditLog',
            name='outcome',
            field=fields.CharField(default='ok', db_default='ok', max_length=16),
        ),
        ops.AddField(
            model_name='AuditLog',
            name='prev_hash',
            field=fields.CharField(default='', db_default='', max_length=64),
        ),
        ops.AddField(
            model_name='AuditLog',
            name='seq',
            field=fields.BigIntField(null=True, unique=True),
        ),
        ops.AlterField(
            model_name='StaffUser',
            name='role',
            field=fields.CharEnumField(description='DISTRICT_ADMIN: district_admin\nTOWNSHIP_STAFF: township_staff\nLAWYER: lawyer\nMEDIATOR: mediator\nSUPERVISOR: supervisor\nSYSTEM_ADMIN: system_admin\nSECURITY_ADMIN: security_admin\nAUDIT_ADMIN: audit_admin', enum_type=Role, max_length=20),
        ),
        ops.AddField(
            model_name='StaffUser',
            name='disabled_reason',
            field=fields.CharField(default='', db_default='', max_length=32),
        ),
        ops.AddField(
            model_name='StaffUser',
            name='password_changed_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='StaffUser',
            name='password_history',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='StaffUser',
            name='recovery_codes',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='StaffUser',
            name='totp_enabled_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='StaffUser',
            name='totp_last_step',
            field=fields.BigIntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='StaffUser',
            name='totp_secret_enc',
            field=fields.CharField(null=True, max_length=160),
        ),
    ]
