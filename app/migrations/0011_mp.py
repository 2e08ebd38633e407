from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('fawu', '0010_compliance')]

    initial = False

    operations = [
        ops.CreateModel(
            name='MpSession',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('resident_id', fields.IntField(db_index=True)),
                ('openid', fields.CharField(db_index=True, max_length=64)),
                ('unionid', fields.CharField(null=True, max_length=64)),
                ('client', fields.CharField(default='', max_length=24)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_seen_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'mp_session', 'app': 'fawu', 'pk_attr': 'id', 'table_description': 'One login of the mini-program: the hash of its token, bound to a resident and an openid, with expiry.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MpSubscription',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('resident_id', fields.IntField(db_index=True)),
                ('openid', fields.CharField(max_length=64)),
                ('template_id', fields.CharField(max_length=64)),
                ('scene', fields.CharField(max_length=24)),
                ('status', fields.CharField(max_length=8)),
                ('remaining', fields.IntField(default=0)),
                ('sent', fields.IntField(default=0)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'mp_subscription', 'app': 'fawu', 'unique_together': (('openid', 'template_id'),), 'pk_attr': 'id', 'table_description': 'What a resident answered to wx.requestSubscribeMessage for one template, and messages left to send.'},
            bases=['Model'],
        ),
    ]
