"""`make bench`: run every benchmark in turn (each prints its figures and updates docs/benchmarks.md)."""

from __future__ import annotations

import importlib
import sys

BENCHES = ["bench.callback", "bench.sustained", "bench.token_storm", "bench.jobs", "bench.consult", "bench.posters", "bench.wechat_tokens", "bench.push", "bench.analytics",
           "bench.booking"]


def main() -> int:
    status = 0
    for name in BENCHES:
        print(f"== {name}", flush=True)
        try:
            mod = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            print(f"skipped: {exc}")
            continue
        rc = mod.main(sys.argv[1:])
        status = status or int(rc or 0)
    return status


if __name__ == "__main__":
    sys.exit(main())
