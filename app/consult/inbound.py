"""What the consult domain answers on WeChat (registers on app.wechat.router.router)."""

from app.wechat.router import router  # noqa: F401
