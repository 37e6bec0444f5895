"""The concurrency lesson's measurements: four workloads, each run sequentially, with threads,
with processes and with asyncio, in several rounds whose order rotates (so no way always runs
first, on a cold cache, or last, on a hot machine). Prints one JSON object: the Python it ran
on, the pool sizes, and per workload and way the median seconds and the fastest and slowest
round.

Every timing includes everything that way costs: making its pool (starting the worker
processes, for processes), sending the work and the data, and collecting the results.

    python3 concurrency.py [--quick]
"""

import os

# One BLAS thread per product: the parallelism measured is the one chosen here, not BLAS's own.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import asyncio  # noqa: E402
import json  # noqa: E402
import multiprocessing  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import sysconfig  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor  # noqa: E402

QUICK = "--quick" in sys.argv
ROUNDS = 2 if QUICK else 3
WAYS = ["sequential", "threads", "processes", "asyncio"]


def cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


# One worker per core for the CPU-bound workloads (more cannot run at once); at least two, so
# a one-core machine still shows what a pool costs.
WORKERS = max(2, cores())
# Waits need no core: a pool of threads overlaps as many waits as it has threads.
IO_THREADS = 20


# --- cpu: pure-Python arithmetic, one chunk per worker --------------------------------------

def cpu_chunk(n):
    s = 0
    for i in range(n):
        s += (i * i) % 7
    return s


# --- numpy: products of one shared matrix (BLAS releases the GIL) ---------------------------

def numpy_product(ab):
    a, b = ab
    return float((a @ b).sum())


# --- io: waits (a sleep stands for a network round trip) -------------------------------------

WAIT_S = 0.01


def io_wait(_):
    time.sleep(WAIT_S)
    return 0


# --- shared: tiny tasks updating one counter table -------------------------------------------

COUNTER = {}
LOCK = threading.Lock()


def tiny_locked(i):
    with LOCK:
        COUNTER[i % 16] = COUNTER.get(i % 16, 0) + 1


def tiny_key(i):
    # In a worker process: the key it counted, for the parent to merge into its table.
    return i % 16


def timed(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def sizes():
    if QUICK:
        return {"cpu": 150_000, "io": 40, "shared": 1_000, "n": 600, "m": 60}
    return {"cpu": 8_000_000, "io": 100, "shared": 5_000, "n": 1500, "m": 150}


def workloads(np):
    """Per workload: the ways to run it, each a function that runs it all and is timed."""
    z = sizes()
    chunk = z["cpu"] // WORKERS
    cpu_items = [chunk] * WORKERS

    def cpu_seq():
        [cpu_chunk(n) for n in cpu_items]

    def cpu_threads():
        with ThreadPoolExecutor(WORKERS) as ex:
            list(ex.map(cpu_chunk, cpu_items))

    def cpu_processes():
        with ProcessPoolExecutor(WORKERS) as ex:
            list(ex.map(cpu_chunk, cpu_items))

    def cpu_asyncio():
        async def main():
            for n in cpu_items:
                cpu_chunk(n)  # nothing awaits: each runs to its end before the next
        asyncio.run(main())

    io_items = list(range(z["io"]))

    def io_seq():
        [io_wait(x) for x in io_items]

    def io_threads():
        with ThreadPoolExecutor(IO_THREADS) as ex:
            list(ex.map(io_wait, io_items))

    def io_processes():
        with ProcessPoolExecutor(WORKERS) as ex:
            list(ex.map(io_wait, io_items))

    def io_asyncio():
        async def main():
            await asyncio.gather(*(asyncio.sleep(WAIT_S) for _ in io_items))
        asyncio.run(main())

    tasks = list(range(z["shared"]))

    def shared_seq():
        table = {}
        for i in tasks:
            table[i % 16] = table.get(i % 16, 0) + 1

    def shared_threads():
        COUNTER.clear()
        with ThreadPoolExecutor(WORKERS) as ex:
            list(ex.map(tiny_locked, tasks))

    def shared_processes():
        table = {}
        with ProcessPoolExecutor(WORKERS) as ex:
            for k in ex.map(tiny_key, tasks):
                table[k] = table.get(k, 0) + 1

    def shared_asyncio():
        table = {}

        async def update(i):
            table[i % 16] = table.get(i % 16, 0) + 1

        async def main():
            await asyncio.gather(*(update(i) for i in tasks))
        asyncio.run(main())

    out = {
        "cpu": {"sequential": cpu_seq, "threads": cpu_threads,
                "processes": cpu_processes, "asyncio": cpu_asyncio},
        "io": {"sequential": io_seq, "threads": io_threads,
               "processes": io_processes, "asyncio": io_asyncio},
        "shared": {"sequential": shared_seq, "threads": shared_threads,
                   "processes": shared_processes, "asyncio": shared_asyncio},
    }
    pools = {
        "cpu": {"threads": WORKERS, "processes": WORKERS},
        "io": {"threads": IO_THREADS, "processes": WORKERS},
        "shared": {"threads": WORKERS, "processes": WORKERS},
    }
    if np is not None:
        n, m = z["n"], z["m"]
        rng = np.random.default_rng(1)
        a = rng.standard_normal((n, n))
        bs = [rng.standard_normal((n, m)) for _ in range(2 * WORKERS)]

        # Threads share `a`; a worker process receives it, pickled, with each task.
        pairs = [(a, b) for b in bs]

        def np_seq():
            [numpy_product(p) for p in pairs]

        def np_threads():
            with ThreadPoolExecutor(WORKERS) as ex:
                list(ex.map(numpy_product, pairs))

        def np_processes():
            with ProcessPoolExecutor(WORKERS) as ex:
                list(ex.map(numpy_product, pairs))

        def np_asyncio():
            async def main():
                for p in pairs:
                    numpy_product(p)
            asyncio.run(main())

        out["numpy"] = {"sequential": np_seq, "threads": np_threads,
                        "processes": np_processes, "asyncio": np_asyncio}
        pools["numpy"] = {"threads": WORKERS, "processes": WORKERS}
    return out, pools


def main():
    try:
        import numpy as np
    except ImportError:
        np = None
    # How busy the machine was with other work: parallel ways cannot win on cores in use.
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    work, pools = workloads(np)
    samples = {w: {way: [] for way in ways} for w, ways in work.items()}
    for w, ways in work.items():
        # One untimed run of the plain loop: imports, first-touch page faults and caches are
        # then not charged to whichever way happens to run first.
        ways["sequential"]()
        for r in range(ROUNDS):
            for k in range(len(WAYS)):
                way = WAYS[(r + k) % len(WAYS)]
                samples[w][way].append(timed(ways[way]))
    results = {w: {way: statistics.median(v) for way, v in ws.items()} for w, ws in samples.items()}
    spread = {w: {way: [min(v), max(v)] for way, v in ws.items()} for w, ws in samples.items()}
    gil = getattr(sys, "_is_gil_enabled", lambda: True)()
    z = sizes()
    method = multiprocessing.get_start_method()
    about = {
        "cpu": f"{WORKERS} chunks of a pure-Python loop, {z['cpu']:,} steps in all; "
               f"{WORKERS} threads or {WORKERS} processes, one per core",
        "io": f"{z['io']} waits of {WAIT_S * 1000:.0f} ms; {IO_THREADS} threads, "
              f"{WORKERS} processes, asyncio all at once",
        "shared": f"{z['shared']:,} tiny updates of one table, each a task of its own; "
                  f"threads take a lock, processes send each result back",
    }
    if np is not None:
        about["numpy"] = (
            f"{2 * WORKERS} products of one {z['n']}x{z['n']} matrix (BLAS, one thread each); "
            f"threads share it, processes receive it pickled with each task")
    print(json.dumps({
        "load": load,
        "includes": "every time includes making the pool (worker processes started by "
                    f"{method}), handing out the work and collecting the results",
        "about": about,
        "python": platform.python_version(),
        "executable": sys.executable,
        # None before 3.13, which cannot run without its GIL.
        "gil_enabled": getattr(sys, "_is_gil_enabled", lambda: None)(),
        "free_threaded": bool(sysconfig.get_config_var("Py_GIL_DISABLED")) and not gil,
        "cores": cores(),
        "rounds": ROUNDS,
        "start_method": multiprocessing.get_start_method(),
        "pools": pools,
        "results": results,
        "spread": spread,
        "numpy": None if np is None else np.__version__,
    }))


if __name__ == "__main__":
    main()
