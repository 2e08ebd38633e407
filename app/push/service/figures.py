"""Figures for the console: delivery counts (MASSSENDJOBFINISH) and H5 reads per article, account and
township, and which topics residents read after asking about them."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import timedelta
from typing import Any

from app.consult import service as consult_service
from app.core.actor import Actor
from app.core.clock import utcnow
from app.matrix.service import get_matrix
from app.push.models import PushArticle, PushDelivery, PushRead
from app.push.service import articles


async def overview(*, actor: Actor, weeks: int = 8) -> dict[str, Any]:
    scope = actor.scope
    arts = {a.id: a for a in await PushArticle.filter(published_at__isnull=False)
            if a.township_code is None or scope.allows(a.township_code)}
    deliveries = [d for d in await PushDelivery.filter(article_id__in=list(arts) or [0])
                  if scope.all_units or scope.allows(d.township_code)]
    reads = [r for r in await PushRead.filter(article_id__in=list(arts) or [0])
             if scope.all_units or scope.allows(r.township_code)]
    names = {a.key: a.display_name for a in get_matrix().official_accounts()}

    per_article: dict[int, dict[str, Any]] = {i: {"article": a, "planned": 0, "sent": 0, "reads": 0,
                                                  "accounts": set()} for i, a in arts.items()}
    per_account: dict[str, dict[str, Any]] = defaultdict(lambda: {"planned": 0, "sent": 0, "reads": 0, "sends": 0})
    per_township: dict[str, dict[str, Any]] = defaultdict(lambda: {"sent": 0, "reads": 0})
    for d in deliveries:
        row = per_article[d.article_id]
        row["planned"] += d.planned
        row["sent"] += d.sent_count or 0
        row["accounts"].add(names.get(d.account_key, d.account_key))
        per_account[d.account_key]["planned"] += d.planned
        per_account[d.account_key]["sent"] += d.sent_count or 0
        per_account[d.account_key]["sends"] += 1
        per_township[d.township_code or "district"]["sent"] += d.sent_count or 0
    for r in reads:
        per_article[r.article_id]["reads"] += 1
        if r.account_key:
            per_account[r.account_key]["reads"] += 1
        per_township[r.township_code or "district"]["reads"] += 1

    # asked, then read: consultations by category against reads of articles of that category
    since = utcnow() - timedelta(weeks=weeks)
    asked: Counter[str] = Counter()
    for row in await consult_service.hot_topics(scope=scope, weeks=weeks):
        asked[row["category"]] += int(row["count"])
    read_by_cat: Counter[str] = Counter()
    for r in reads:
        if r.at >= since:
            for c in arts[r.article_id].categories:
                read_by_cat[c] += 1
    labels = articles.categories()
    topics = [{"category": c, "name": labels.get(c, c), "asked": asked.get(c, 0), "read": read_by_cat.get(c, 0),
               "articles": sum(1 for a in arts.values() if c in a.categories)}
              for c in sorted(set(asked) | set(read_by_cat), key=lambda c: -asked.get(c, 0))]
    return {
        "articles": sorted(({**v, "accounts": sorted(v["accounts"])} for v in per_article.values()),
                           key=lambda v: -v["reads"]),
        "accounts": [{"key": k, "name": names.get(k, k), **v} for k, v in sorted(per_account.items())],
        "townships": dict(per_township),
        "topics": topics,
        "weeks": weeks,
    }
