"""The catalog domain's service: the catalogue (基本项目清单), the provider directory with practice
records (执业信息披露), the case library (典型案例); import and check of content/catalog/.

Other domains read it here: ``service_for_ref(code)`` (a case type, a KB next step, a booking service →
the catalogue entry, with its version ``code@vN``), ``services_for_refs(codes)`` (many at once),
``get_version(ref)`` (the entry as it was), ``advisor_links(codes)``, ``cases_for_category(category)``, ``search_cases(q)``.
"""

from __future__ import annotations

from app.catalog.content import CASE_SECTIONS, KIND_ZH, SPECIALITIES, time_limit_zh
from app.catalog.service.catalogue import (
    ServiceInfo,
    get_service,
    groups,
    known_refs,
    list_services,
    related_services,
    service_for_ref,
    service_info,
    services_for_refs,
)
from app.catalog.service.directory import (
    ProviderPage,
    add_record,
    advisor_links,
    filters,
    get_provider,
    get_record,
    is_visible,
    provider_page,
    record_history,
    revoke_record,
    search_providers,
    set_display_until,
    visible_records,
)
from app.catalog.service.editing import (
    ProviderInput,
    ServiceInput,
    console_providers,
    create_provider,
    create_service,
    get_any_service,
    get_provider_for,
    list_all_services,
    provider_input,
    service_input,
    set_provider_published,
    set_service_published,
    update_provider,
    update_service,
)
from app.catalog.service.errors import (
    BadCase,
    BadRecord,
    BadService,
    CaseNotFound,
    CatalogImportError,
    NotAnonymous,
    ProviderNotFound,
    RecordNotFound,
    ReviewNotAllowed,
    ServiceNotFound,
)
from app.catalog.service.importing import ImportReport, check, folder, import_folder, record_types, validate
from app.catalog.service.library import (
    STATUS_ZH,
    CaseInput,
    anonymity_problems,
    approve_case,
    as_input,
    can_edit,
    can_see,
    console_cases,
    create_case,
    for_category,
    get_case,
    get_case_by_id,
    get_case_for,
    list_cases,
    related_cases,
    return_case,
    submit_case,
    update_case,
)
from app.catalog.service.versions import get_version, history, record_version
from app.core.clock import local_today

cases_for_category = for_category
search_cases = list_cases

__all__ = [
    "BadService", "ProviderInput", "ServiceInput", "console_providers", "create_provider", "create_service",
    "get_any_service", "get_provider_for", "list_all_services", "provider_input", "service_input",
    "set_provider_published", "set_service_published", "update_provider", "update_service",
    "CASE_SECTIONS", "KIND_ZH", "SPECIALITIES", "STATUS_ZH", "BadCase", "BadRecord", "CaseInput", "CaseNotFound",
    "CatalogImportError", "ImportReport", "NotAnonymous", "ProviderNotFound", "ProviderPage", "RecordNotFound",
    "ReviewNotAllowed", "ServiceInfo", "ServiceNotFound", "add_record", "advisor_links", "anonymity_problems",
    "approve_case", "as_input", "can_edit", "can_see", "cases_for_category", "check", "console_cases", "create_case", "filters",
    "folder", "for_category", "get_case", "get_case_by_id", "get_case_for", "get_provider", "get_record", "get_service", "groups",
    "import_folder", "is_visible", "known_refs", "local_today", "list_cases", "list_services", "provider_page", "record_history",
    "record_types", "related_cases", "related_services", "return_case", "revoke_record", "search_cases", "search_providers", "service_for_ref",
    "service_info", "services_for_refs", "get_version", "history", "record_version", "set_display_until", "submit_case", "time_limit_zh", "update_case", "validate",
    "visible_records",
]
