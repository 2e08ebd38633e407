from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('fawu', '0011_mp')]

    initial = False

    operations = [
        ops.CreateModel(
            name='BookingConsent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account_key', fields.CharField(max_length=32)),
                ('openid', fields.CharField(max_length=64)),
                ('kind', fields.CharField(default='', max_length=8)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'booking_consent', 'app': 'fawu', 'unique_together': (('account_key', 'openid'),), 'pk_attr': 'id', 'table_description': 'The answer of a resident to the subscription notification of booking reminders (订阅通知, official accounts).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='BookingReminder',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('booking_id', fields.IntField(db_index=True)),
                ('kind', fields.CharField(max_length=8)),
                ('starts_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('status', fields.CharField(default='sending', max_length=12)),
                ('via', fields.CharField(default='', max_length=12)),
                ('reason', fields.CharField(default='', max_length=200)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'booking_reminder', 'app': 'fawu', 'unique_together': (('booking_id', 'kind', 'starts_at'),), 'pk_attr': 'id', 'table_description': 'How one reminder went when a subscribe message was tried first (claimed, then sent or fallback).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SurveyPopulation',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('batch', fields.CharField(db_index=True, max_length=64)),
                ('surveyed_on', fields.DateField()),
                ('township_code', fields.CharField(max_length=32)),
                ('aware', fields.IntField()),
                ('unaware', fields.IntField()),
                ('imported_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'surveys_population', 'app': 'fawu', 'pk_attr': 'id', 'table_description': 'Answers to the awareness question of a population survey, per township and day (知晓率).'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='SurveyContact',
            name='last_rated_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
