"""The analytics domain's public face: the rollup, topic statistics (scoped, suppressed), early
warnings and the three rates. Callers use ``analytics_service.*`` only."""

from app.analytics.service.cluster import find_clusters, subjects  # noqa: F401
from app.analytics.service.errors import (  # noqa: F401  re-exported
    AnalyticsError,
    BadFilter,
    NoteRequired,
    PlaceNotFound,
    WarningNotFound,
    WarningStateError,
)
from app.analytics.service.figures import (  # noqa: F401
    DIMS_ZH,
    SOURCES_ZH,
    Figure,
    Place,
    Table,
    by_dimension,
    by_place,
    dim_labels,
    export_rows,
    min_residents,
    places_for,
    resolve_place,
    suppress,
    topic_stats,
    trend,
)
from app.analytics.service.periods import PERIODS, bounds, label, start_of  # noqa: F401
from app.analytics.service.rates import RATES, SATISFIED, coverage, three_rates  # noqa: F401
from app.analytics.service.report import monthly_pdf  # noqa: F401
from app.analytics.service.rollup import HOOK, compute_period, last_run, run_rollup  # noqa: F401
from app.analytics.service.surge import Rule, Verdict, binom_sf, judge, season_factor  # noqa: F401
from app.analytics.service.warnings import (  # noqa: F401
    KIND_ZH,
    SOURCE_ZH,
    STATUS_ZH,
    assignable_staff,
    baseline_weeks,
    cluster_rule,
    count_active,
    find_cluster_warnings,
    find_surges,
    get_warning,
    list_warnings,
    unit_names,
)
from app.analytics.service.warnings import acknowledge as acknowledge_warning  # noqa: F401
from app.analytics.service.warnings import assign as assign_warning  # noqa: F401
from app.analytics.service.warnings import check as check_warnings  # noqa: F401
from app.analytics.service.warnings import close as close_warning  # noqa: F401
from app.analytics.service.warnings import rule as surge_rule  # noqa: F401
