"""The catalog domain's errors (FawuError subclasses with Chinese messages)."""

from __future__ import annotations

from app.errors import Forbidden, InvalidInput, NotFound


class CatalogImportError(InvalidInput):
    code = "catalog_import_invalid"
    message_zh = "服务清单数据有误，未导入任何内容。"


class ServiceNotFound(NotFound):
    code = "catalog_service_not_found"
    message_zh = "服务清单中没有这项服务。"


class ProviderNotFound(NotFound):
    code = "catalog_provider_not_found"
    message_zh = "服务机构名录中没有找到该机构或人员。"


class RecordNotFound(NotFound):
    code = "catalog_record_not_found"
    message_zh = "没有找到这条执业信息记录。"


class CaseNotFound(NotFound):
    code = "catalog_case_not_found"
    message_zh = "没有找到这个案例。"


class NotAnonymous(InvalidInput):
    code = "catalog_case_not_anonymous"
    message_zh = "案例中含有个人信息，不能发布。"


class BadCase(InvalidInput):
    code = "catalog_case_invalid"
    message_zh = "案例填写有误。"


class BadRecord(InvalidInput):
    code = "catalog_record_invalid"
    message_zh = "执业信息记录填写有误。"


class ReviewNotAllowed(Forbidden):
    code = "catalog_review_forbidden"
    message_zh = "您不能审核这个案例。"


class BadService(InvalidInput):
    code = "catalog_service_invalid"
    message_zh = "服务事项填写有误。"
