from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('fawu', '0014_sqlite_indexes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='SigningKey',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('staff_id', fields.IntField(db_index=True)),
                ('fingerprint', fields.CharField(unique=True, max_length=16)),
                ('public_key', fields.CharField(max_length=130)),
                ('private_enc', fields.TextField(unique=False)),
                ('active', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('retired_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'staff_signing_key', 'app': 'fawu', 'pk_attr': 'id', 'table_description': 'The personal SM2 key of a staff member (个人签名密钥) for signing significant actions.'},
            bases=['Model'],
        ),
    ]
