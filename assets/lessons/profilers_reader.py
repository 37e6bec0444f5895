"""Reads a cProfile capture (pstats) and prints, as one JSON line, the function with the most
self time and its share of all self time: {"top": "dot (prog.py)", "share": 0.8}."""

import json
import os
import pstats
import sys

stats = pstats.Stats(sys.argv[1]).stats
total = sum(v[2] for v in stats.values())
(filename, _line, func), best = max(stats.items(), key=lambda kv: kv[1][2])
name = f"{func} ({os.path.basename(filename)})" if filename != "~" else func
print(json.dumps({"top": name, "share": best[2] / total if total > 0 else 0.0}))
