from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('fawu', '0015_signing')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Case',
            name='security_level',
            field=fields.SmallIntField(default=1, db_default=1),
        ),
        ops.AddField(
            model_name='StaffUser',
            name='clearance',
            field=fields.SmallIntField(default=2, db_default=2),
        ),
    ]
