"""Where a step of its own loops spends its time, seen from outside: the step called once more
under py-spy with native frames, and the samples in a library's products counted.

The text checks read what a file names; this reads what its process ran. A product hidden from
the text (a name the checks do not know, a library reached some other way) still runs in
OpenBLAS's gemm or NumPy's einsum loops, and py-spy sees it there, whatever else the step does
around it to pass the time checks. An honest step's loops are its own compiled code: no sample
of it is in a library's product.
"""

import contextlib
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

# Samples a second: past a few hundred, unwinding native stacks takes longer than the gap
# between samples (a probe of one second took seven at 1000).
RATE = 250
# Samples in a library's products that refuse a step: an honest step's loops leave none (its
# norms, computed once, are NumPy's element-wise arithmetic, not a product); three are 12 ms.
REFUSE_AT = 3
# Multiply-adds each of the probe's calls asks for (rows × n × d): a BLAS does them in 10 to
# 20 ms on two cores, honest compiled loops in a fraction of a second. The call is repeated
# for REPEAT_S (at most REPEATS times), so a product the step pads with other work to pass
# the time checks still leaves its samples.
PROBE_WORK = 5e8
REPEAT_S = 2.0
REPEATS = 8
# The probe's whole run, start-up and a JIT's compile included: it runs in the call's set-up,
# which ladder gives 30 s for a .py step.
TIMEOUT_S = 20
# Rows below which a run is not probed: the app's quick check (200 rows) answers in a second
# or two; the timed run at the lab's size is probed.
MIN_N = 500
# How much faster a row the timed call may be than the probe's first call on new data: py-spy
# pauses every thread for each sample, which cost an honest Numba prange kernel up to 2.4x here
# (an honest Cython loop 1.0x), and a busy machine varies; a step that answers the run's X
# fifty times faster than other data of its shape (a cache of answers keyed on X) did not
# compute it.
SLACK = 6.0
# ...and by how much time at least, so a step of a few milliseconds is not judged on noise.
SLACK_MIN_S = 0.05
# Printed by the probed call when it returned: a probe that never gets there failed.
DONE = "probe: returned"

# A native frame of a library's products: the index libraries, whatever they run; in a BLAS
# (OpenBLAS, MKL, Accelerate, a reference BLAS), its products (gemm and its threads' driver,
# gemv, syrk, dot; not nrm2, a norm Numba may call for np.linalg.norm of a row); and NumPy's own
# product loops (matmul, dot, einsum's sums of products).
INDEXES = re.compile(r"faiss|hnswlib", re.I)
BLAS = re.compile(r"openblas|libblas|libcblas|mkl|accelerate|veclib", re.I)
BLAS_PRODUCTS = re.compile(r"gemm|gemv|syrk|syr2k|symm|symv|trmm|trmv|dot|inner_thread", re.I)
NUMPY_PRODUCTS = re.compile(r"matmul|_dot|dot_|gemm|gemv|sum_of_products", re.I)
# NumPy's element-wise arithmetic (multiply, add, their reductions): an honest step spends a
# pass of it over X on its norms; most of the probed calls' time there is NumPy doing the
# products a row at a time (np.add.reduce(np.multiply(U, U[i]), axis=1), however reached).
NUMPY_ARITHMETIC = re.compile(
    r"_(multiply|add|subtract|square)\b|_(multiply|add|subtract|square)_|pairwise_sum|reduce_loop",
    re.I)
# The share of the probed calls' samples in it that refuses a step.
ARITHMETIC_SHARE = 0.3
# py-spy's native frame: "symbol (library)", no line number.
NATIVE = re.compile(r"^(.*) \(([^():]*)\)$")


# Entries of S the probe's answer may hold (rows × n): its memory stays small at a small d.
MAX_ENTRIES = 4_000_000


def rows_for(n, d):
    """The probe's rows: enough work for a product to show, at most all of them."""
    return max(1, min(n, int(PROBE_WORK / max(1, n * d)), MAX_ENTRIES // max(1, n)))


def probed_call(fn, X, data, output):
    """In the probe's process: the step's function on the probe's rows of the run's X, then
    of other data of its shape (`data`, new each run), each repeated (a JIT compiles on one
    row first, as in the timed run); the last answer on the new data saved to output, then
    the line that says it returned. The run's X shows what the step does with it when it is
    profiled; the new data, that it computes what it returns."""
    import numpy as np

    n, d = X.shape
    m = rows_for(n, d)
    fn(X, 0, 1)
    fresh = np.load(data)
    first = None
    for rows in (X, fresh):
        t = time.perf_counter()
        for _ in range(REPEATS):
            result = fn(rows, 0, m)
            if rows is fresh and first is None:
                first = time.perf_counter() - t
            if time.perf_counter() - t >= REPEAT_S / 2:
                break
    np.save(output, np.asarray(result, dtype=np.float64))
    # The first call's time a row on the new data (warm: the run's X went first), what the
    # step costs when it computes: a later call on the same data may answer from a cache.
    sys.__stdout__.write("%s %.9g\n" % (DONE, first / m))
    sys.__stdout__.flush()


def wrong_answer(X, output):
    """Why the probe's answer is not rows 0..m of S for X, or None."""
    import numpy as np

    n, d = X.shape
    m = rows_for(n, d)
    try:
        got = np.load(output)
    except Exception as e:  # an empty or cut file: whatever NumPy raises for it
        return "its answer could not be read (%s)" % e
    if got.shape != (m, n):
        return "it returned shape %s where (%d, %d) was asked" % (got.shape, m, n)
    norms = np.linalg.norm(X.astype(np.float64), axis=1)
    U = X / norms[:, None]
    want = U[:m] @ U.T
    err = np.abs(got - want)
    # The verification's own tolerance (ladder's reference.rs): float32 sums over d terms.
    if not np.all(np.isfinite(got)) or err.max() > max(1e-4, 8 * d ** 0.5 * 1.1920929e-07):
        r, c = np.unravel_index(np.nanargmax(np.where(np.isfinite(err), err, np.inf)), err.shape)
        return "S[%d][%d] was %.6f where it should be %.6f" % (r, c, got[r, c], want[r, c])
    return None


def product_frame(stack):
    """The first frame of a stack in a library's products (its symbol and library), if any."""
    for frame in stack.split(";"):
        m = NATIVE.match(frame.strip())
        if not m:
            continue
        symbol, library = m.group(1), os.path.basename(m.group(2))
        if (INDEXES.search(library)
                or (BLAS.search(library) and BLAS_PRODUCTS.search(symbol))
                or ("multiarray" in library and NUMPY_PRODUCTS.search(symbol))):
            return symbol, library
    return None


def arithmetic_frame(stack):
    """Whether a stack ends in NumPy's element-wise arithmetic."""
    for frame in reversed(stack.split(";")):
        m = NATIVE.match(frame.strip())
        if m and "multiarray" in m.group(2):
            return bool(NUMPY_ARITHMETIC.search(m.group(1)))
    return False


def count(raw):
    """Samples in py-spy's raw output; those in a library's products, with the commonest such
    frame; and, of the samples inside the probed calls, how many and how many in NumPy's
    element-wise arithmetic."""
    total = products = in_calls = arithmetic = 0
    frames = {}
    for line in raw.splitlines():
        stack, _, n = line.rstrip().rpartition(" ")
        try:
            n = int(n)
        except ValueError:
            continue
        total += n
        hit = product_frame(stack)
        if hit:
            products += n
            frames[hit] = frames.get(hit, 0) + n
        if re.search(r"(^|;)probed_call \(", stack):
            in_calls += n
            if arithmetic_frame(stack):
                arithmetic += n
    top = max(frames, key=frames.get) if frames else None
    return total, products, top, (in_calls, arithmetic)


def library_name(library):
    """A library as people know it: libscipy_openblas64_-32a4b2a6.so is OpenBLAS."""
    for pattern, name in (("openblas", "OpenBLAS"), ("mkl", "MKL"), ("faiss", "faiss"),
                          ("hnswlib", "hnswlib"), ("multiarray", "NumPy"),
                          ("accelerate", "Accelerate"), ("blas", "a BLAS")):
        if pattern in library.lower():
            return name
    return library


def did_not_return(name, how):
    """The reason a step that fails only when profiled is refused."""
    return ("%s: profiled once more to see where its time goes (py-spy, native frames), "
            "it did not return %s: a step must behave the same when profiled" % (name, how))


def probe(spy, harness_args, X, name):
    """Runs the step once more under py-spy (native frames), on other data of X's shape and
    type; returns why it does not count, or None (it computes S from the data it is given
    without a library's products, or it could not be profiled here: py-spy refused, which
    says nothing of the step), and the seconds a row it took on that data (None if not
    measured)."""
    import numpy as np

    try:
        tmp_dir = tempfile.TemporaryDirectory(prefix="ladder-native-")
    except OSError:
        return None, None
    with tmp_dir as tmp:
        raw_file = os.path.join(tmp, "native.txt")
        data = os.path.join(tmp, "X.npy")
        output = os.path.join(tmp, "S.npy")
        # Unseen data (a seed of its own each run): nothing computed for the run's X, or
        # cached on disk before, answers it.
        fresh = np.random.default_rng(int.from_bytes(os.urandom(8), "little"))
        np.save(data, fresh.standard_normal(X.shape).astype(X.dtype))
        harness = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_lab_harness.py")
        # The same arguments as the run's call: the probe is asked for in the environment,
        # which the harness clears before the step loads.
        command = [spy, "record", "--native", "--subprocesses", "--rate", str(RATE),
                   "--format", "raw", "-o", raw_file, "--", sys.executable, harness]
        command += harness_args
        env = dict(os.environ, LADDER_PROBE_NATIVE=output, LADDER_PROBE_DATA=data)
        try:
            child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=env, start_new_session=True)
        except OSError:
            return None, None
        try:
            out, err = child.communicate(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            # py-spy and the program it runs, together.
            with contextlib.suppress(OSError):
                os.killpg(child.pid, signal.SIGKILL)
            child.communicate()
            return did_not_return(name, "within %d s" % TIMEOUT_S), None
        stdout = out.decode("utf-8", "replace")
        stderr = err.decode("utf-8", "replace")
        try:
            with open(raw_file, encoding="utf-8", errors="replace") as f:
                raw = f.read()
        except OSError:
            raw = ""
        total, products, top, (in_calls, arithmetic) = count(raw)
        said_done = [l for l in stdout.splitlines() if l.startswith(DONE)]
        try:
            row_s = float(said_done[-1].split()[-1]) if said_done else None
        except ValueError:
            row_s = None
        if DONE not in stdout:
            if total == 0:
                # py-spy could not sample it (no permission to read another process here).
                return None, None
            said = [l for l in stderr.splitlines() if l.strip() and not l.startswith("py-spy>")]
            return did_not_return(
                name, "(%s)" % (said[-1].removeprefix("why: ") if said else "no message")), None
        if products >= REFUSE_AT and top:
            symbol, library = top
            return ("%s: profiled (py-spy, native frames), %d ms of its time was in %s's %s, a "
                    "library's product: in this step the products are your own loops, compiled"
                    % (name, round(1000 * products / RATE), library_name(library), symbol)), None
        if arithmetic >= REFUSE_AT and arithmetic >= ARITHMETIC_SHARE * in_calls:
            return ("%s: profiled (py-spy, native frames), %.0f%% of its time was NumPy's "
                    "element-wise arithmetic (multiply, add and their reductions, NumPy's loops "
                    "rather than yours): in this step the products are your own loops, compiled"
                    % (name, 100.0 * arithmetic / max(1, in_calls))), None
        wrong = wrong_answer(np.load(data), output)
        if wrong:
            return ("%s: called again on other data of X's shape (profiled), %s: a step "
                    "must be right on any data of this shape (no answer kept from an earlier "
                    "call, no precision that only this data forgives)"
                    % (name, wrong)), None
    return None, row_s


def faster_than_probed(name, row_s, timed_s, rows):
    """Why a timed call of `rows` rows in `timed_s` is not the step the probe measured at
    `row_s` seconds a row on new data (a cache of answers, or a step that behaves otherwise
    when profiled), or None."""
    if row_s is None or rows <= 0:
        return None
    expected = row_s * rows
    if expected <= SLACK * timed_s or expected - timed_s < SLACK_MIN_S:
        return None
    return ("%s: its timed call took %s for %d rows, %.0fx faster than the same function "
            "computing other data of X's shape when profiled (%s a row against %s): compute S "
            "from the X each call is given, never from what an earlier call or run kept"
            % (name, human_s(timed_s), rows, expected / timed_s, human_s(timed_s / rows),
               human_s(row_s)))


def human_s(s):
    """Seconds in the unit that reads best: 2.6 ms, 13 µs, 1.2 s."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if s >= scale:
            return "%.3g %s" % (s / scale, unit)
    return "%.3g ns" % (s / 1e-9)
