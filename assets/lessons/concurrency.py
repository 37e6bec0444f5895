"""The concurrency lesson's measurements: four workloads, each run sequentially, with threads,
with processes and with asyncio. Prints one JSON object: the Python it ran on and, per
workload, the seconds of each way of running it (null where a way does not apply).

    python3 concurrency.py [--quick]
"""

import os

# One BLAS thread per product: the parallelism measured is the one chosen here, not BLAS's own.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import asyncio  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import sysconfig  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor  # noqa: E402

QUICK = "--quick" in sys.argv
CHUNKS = 4


def cpu_chunk(n):
    s = 0
    for i in range(n):
        s += (i * i) % 7
    return s


def numpy_chunk(_):
    import numpy as np
    a = np.ones((900, 900), dtype=np.float64)
    return float((a @ a).sum())


def io_wait(_):
    time.sleep(0.02)
    return 0


COUNTER = {}
LOCK = threading.Lock()


def tiny_task(i):
    with LOCK:
        COUNTER[i % 16] = COUNTER.get(i % 16, 0) + 1
    return 0


def timed(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def run(work, items, ways):
    out = {}
    if "sequential" in ways:
        out["sequential"] = timed(lambda: [work(x) for x in items])
    if "threads" in ways:
        with ThreadPoolExecutor(CHUNKS) as ex:
            out["threads"] = timed(lambda: list(ex.map(work, items)))
    if "processes" in ways:
        with ProcessPoolExecutor(CHUNKS) as ex:
            list(ex.map(cpu_chunk, [1] * CHUNKS))  # start the workers outside the timing
            out["processes"] = timed(lambda: list(ex.map(work, items)))
    if "asyncio" in ways:
        async def main():
            loop = asyncio.get_running_loop()
            if work is io_wait:
                await asyncio.gather(*(asyncio.sleep(0.02) for _ in items))
            else:
                for x in items:
                    work(x)
        out["asyncio"] = timed(lambda: asyncio.run(main()))
    return out


def main():
    n = 300_000 if QUICK else 2_000_000
    all_ways = ["sequential", "threads", "processes", "asyncio"]
    try:
        import numpy  # noqa: F401
        has_numpy = True
    except ImportError:
        has_numpy = False
    results = {
        "cpu": run(cpu_chunk, [n] * CHUNKS, all_ways),
        "numpy": run(numpy_chunk, [0] * CHUNKS, ["sequential", "threads", "processes"]) if has_numpy else {},
        "io": run(io_wait, list(range(40 if QUICK else 100)), all_ways),
        "shared": run(tiny_task, list(range(2_000 if QUICK else 20_000)), ["sequential", "threads", "processes"]),
    }
    gil = getattr(sys, "_is_gil_enabled", lambda: True)()
    print(json.dumps({
        "python": platform.python_version(),
        "free_threaded": bool(sysconfig.get_config_var("Py_GIL_DISABLED")) and not gil,
        "cores": os.cpu_count(),
        "results": results,
    }))


if __name__ == "__main__":
    main()
