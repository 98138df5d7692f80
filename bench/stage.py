"""Run one `wmin` command in this process and print its wall time and peak memory as JSON.

    python bench/stage.py synth --start 2026-01-01 --end 2026-12-31 --scale 1

Peak memory is this process's maximum resident set (ru_maxrss) plus its children's, the same
figure `/usr/bin/time -v` prints as "Maximum resident set size".
"""

from __future__ import annotations

import json
import resource
import sys
import time


def main(argv: list[str]) -> int:
    from pipeline.cli import app

    t0 = time.perf_counter()
    code = 0
    try:
        app(argv, standalone_mode=False)
    except SystemExit as e:
        code = int(e.code or 0)
    seconds = time.perf_counter() - t0
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({"command": argv[0], "exit_code": code, "seconds": round(seconds, 3),
                      "peak_rss_mb": round(max(own, children) / 1024, 1)}))
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
