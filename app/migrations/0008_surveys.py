from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('fawu', '0007_analytics')]

    initial = False

    operations = [
        ops.CreateModel(
            name='SurveyContact',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('contact_key', fields.CharField(unique=True, max_length=100)),
                ('last_invited_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('opted_out_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('subscribe_consent', fields.CharField(default='', max_length=8)),
            ],
            options={'table': 'surveys_contact', 'app': 'fawu', 'pk_attr': 'id', 'table_description': 'The survey contact of one resident: the last invitation (at most one per 24 h), opt-out, consent to'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SurveyDefinition',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key', fields.CharField(max_length=32)),
                ('version', fields.IntField()),
                ('digest', fields.CharField(max_length=64)),
                ('body', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'surveys_definition', 'app': 'fawu', 'unique_together': (('key', 'version'),), 'pk_attr': 'id', 'table_description': 'One version of a survey as first used (a copy of content/surveys), never changed afterwards.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SurveyInvitation',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('service_key', fields.CharField(unique=True, max_length=96)),
                ('service_type', fields.CharField(max_length=16)),
                ('service', fields.CharField(default='other', max_length=24)),
                ('case_id', fields.IntField(null=True, db_index=True)),
                ('case_number', fields.CharField(default='', max_length=24)),
                ('resident_id', fields.IntField(null=True, db_index=True)),
                ('account_key', fields.CharField(null=True, max_length=32)),
                ('openid', fields.CharField(null=True, db_index=True, max_length=64)),
                ('township_code', fields.CharField(null=True, db_index=True, max_length=32)),
                ('community_code', fields.CharField(null=True, max_length=32)),
                ('provider', fields.CharField(default='', max_length=32)),
                ('provider_id', fields.IntField(null=True)),
                ('channel', fields.CharField(default='wechat', max_length=16)),
                ('survey_key', fields.CharField(max_length=32)),
                ('survey_version', fields.IntField()),
                ('status', fields.CharField(default='pending', db_index=True, max_length=12)),
                ('via', fields.CharField(default='', max_length=12)),
                ('reason', fields.CharField(default='', max_length=200)),
                ('receipt_code', fields.CharField(unique=True, max_length=12)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'surveys_invitation', 'app': 'fawu', 'pk_attr': 'id', 'table_description': 'The one invitation to rate one service instance (一事一评): case, consultation, appointment.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SurveyResponse',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('invitation', fields.OneToOneField('fawu.SurveyInvitation', source_field='invitation_id', db_constraint=True, to_field='id', related_name='response', on_delete=OnDelete.RESTRICT)),
                ('level', fields.IntField()),
                ('answers', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('history', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('answered_via', fields.CharField(max_length=12)),
                ('first_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('township_code', fields.CharField(null=True, db_index=True, max_length=32)),
                ('community_code', fields.CharField(null=True, max_length=32)),
                ('service', fields.CharField(default='other', max_length=24)),
                ('provider', fields.CharField(default='', max_length=32)),
                ('channel', fields.CharField(default='wechat', max_length=16)),
                ('bad_case_id', fields.IntField(null=True)),
                ('callback_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('callback_note', fields.TextField(default='', unique=False)),
                ('verified_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('finding', fields.CharField(default='', max_length=8)),
                ('verify_note', fields.TextField(default='', unique=False)),
                ('rectified_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('rectify_note', fields.TextField(default='', unique=False)),
                ('answered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('answer_text', fields.TextField(default='', unique=False)),
                ('followup_level', fields.IntField(null=True)),
                ('followup_text', fields.TextField(default='', unique=False)),
                ('followup_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('appeal', fields.CharField(default='', max_length=10)),
                ('appeal_reason', fields.TextField(default='', unique=False)),
                ('appeal_decision', fields.TextField(default='', unique=False)),
                ('appeal_decided_by', fields.CharField(default='', max_length=32)),
                ('counted', fields.BooleanField(default=True)),
            ],
            options={'table': 'surveys_response', 'app': 'fawu', 'pk_attr': 'id', 'table_description': 'The one response to an invitation, with the first value kept when a mis-tap was corrected,'},
            bases=['Model'],
        ),
    ]
