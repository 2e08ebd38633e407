"""Models of the WeChat API client: token cache, quotas, customer-service windows."""

from tortoise import fields  # noqa: F401
from tortoise.models import Model  # noqa: F401
