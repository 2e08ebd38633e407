"""Issue 27/23 (WeChat): MsgId as text, delivery outcomes, shared token failures, one case per source."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('fawu', '0002_auto_20261205_0743')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Case',
            name='source_ref',
            field=fields.CharField(null=True, unique=True, max_length=64),
        ),
        # MsgId as text (19-20 digit ids overflow BIGINT); tortoise cannot alter a column's type, so the
        # column is dropped and added again (the id is informational: de-duplication uses dedup_key)
        ops.RemoveField(model_name='InboundMessage', name='msg_id'),
        ops.AddField(
            model_name='InboundMessage',
            name='msg_id',
            field=fields.CharField(null=True, max_length=20),
        ),
        ops.AddField(
            model_name='PendingDelivery',
            name='attempts',
            field=fields.IntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='PendingDelivery',
            name='reason',
            field=fields.CharField(null=True, max_length=200),
        ),
        ops.AddField(
            model_name='PendingDelivery',
            name='ref',
            field=fields.CharField(null=True, db_index=True, max_length=64),
        ),
        ops.AddField(
            model_name='PendingDelivery',
            name='status',
            field=fields.CharField(default='pending', db_default='pending', max_length=8),
        ),
        ops.AddField(
            model_name='WechatToken',
            name='failed_until',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='WechatToken',
            name='failure',
            field=fields.CharField(default='', db_default='', max_length=200),
        ),
        ops.AddField(
            model_name='WechatToken',
            name='failures',
            field=fields.IntField(default=0, db_default=0),
        ),
        # answers that already left the queue before delivery outcomes existed
        ops.RunSQL("UPDATE wechat_pending SET status = 'sent' WHERE delivered_at IS NOT NULL"),
    ]
