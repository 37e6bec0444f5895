"""Runs one step of a ladder lab: imports the student's file and calls its function on rows
START..END, then hands the result back by the peer protocol (see the README's "Peers").

ladder runs it as: _lab_harness.py --step FILE --function NAME --input X.npy --rows START:END
[--k K] --output OUT.npy [--sims SIMS.npy]. The student's file holds only the function:
`similarity(X, start, end)` returning rows start..end of S (shape (end - start, n)), or
`topk(X, k, start, end)` returning (indices, similarities), each of shape (end - start, k).
Errors are reported as the student's own: the traceback keeps only the frames of their file,
and the last line of standard error says what went wrong in one line.
"""

import argparse
import contextlib
import faulthandler
import json
import os
import re
import sys
import time
import traceback

# Beside this file; imported before the student's folder joins the path, so no file of theirs
# can stand in for it.
import _lab_native
import _lab_watch
from _lab_text import helpers, refusal, step_product
from _lab_load import ANSI, COPIES, LOAD, RAISED, WRONG, Reported, fail, load, one_line, shown


def student_trace(exc, path):
    """The traceback of exc with only the frames in the student's file (and a SyntaxError's
    own lines); the one-line reason that ends it."""
    name = shown(path)
    # Cython names its frames by the compiled copy's file name, sometimes without a folder.
    mine = {path} | COPIES | {os.path.basename(c) for c in COPIES}
    frames = [
        f
        for f in traceback.extract_tb(exc.__traceback__)
        if os.path.abspath(f.filename) in mine or f.filename in mine
    ]
    lines = ["Traceback (the frames in %s):" % name]
    for f in frames:
        lines.append('  File "%s", line %d, in %s' % (name, f.lineno, f.name))
        if f.line:
            lines.append("    " + f.line.strip())
    message = ANSI.sub("", str(exc))
    if isinstance(exc, SyntaxError):
        lines += [l.rstrip("\n") for l in traceback.format_exception_only(type(exc), exc)]
        # The file the error is in (the student's, or one it imports).
        where = "%s:%s" % (os.path.basename(exc.filename or name), exc.lineno)
        message = exc.msg
    else:
        lines.append("%s: %s" % (type(exc).__name__, message))
        where = "%s:%d" % (name, frames[-1].lineno) if frames else name
        # A JIT's error (Numba's) names the line in the student's file inside its message.
        said = re.search(r'File "([^"]*)", line (\d+)', message)
        if said and os.path.basename(said.group(1)) == name:
            where = "%s:%s" % (name, said.group(2))
        # Numba ends with "During: ..." lines: the cause is the first line that is not one.
        said_lines = [l.strip() for l in message.splitlines() if l.strip()]
        meaningful = [
            l
            for l in said_lines
            if not l.startswith(("During:", "File ", ">", "^", "Failed in nopython"))
        ]
        first = meaningful[0] if meaningful else one_line(message)
        # "No implementation of function ... found for signature:" names it on a ">>>" line.
        if first.endswith(":"):
            sig = [l[3:].strip() for l in said_lines if l.startswith(">>>")]
            if sig:
                first = "%s %s" % (first, sig[0])
        message = first
    summary = "%s: %s: %s" % (where, type(exc).__name__, message)
    # Cython's messages may name the compiled copy's module too.
    inner = re.compile(r"\blab_step_\w+?_[0-9a-f]{10}\.")
    return inner.sub("", "\n".join(lines)), one_line(inner.sub("", summary))


# The calls that are searching with an index library (faiss's index.search, faiss.knn,
# hnswlib's knn_query), not a helper such as faiss.normalize_L2 beside NumPy's sort.
SEARCHES = {"faiss": ("search", "knn"), "hnswlib": ("knn_query",)}

# What each library asks of a step that must use it, said when it was not used.
USE_HINTS = {
    "numba": "decorate the loop with @numba.njit and call it from your function, on the X "
             "each call is given (an answer from elsewhere, NumPy's or one kept on disk, is not "
             "this step)",
    "faiss": "build an index and search it (NumPy's sort, or an answer kept from before, is "
             "not this step)",
    "hnswlib": "build an index and search it (NumPy's sort, or an answer kept from before, is "
               "not this step)",
}


def timed_call(fn, args):
    """The timed call, a frame of its own: in a profile, a sample with nothing of the step's
    file under this frame is in the step's compiled code (see focus_folded in src/lab)."""
    return fn(*args)


def folder_modules(path):
    """The modules of the step's folder imported so far (its helpers)."""
    files = set(helpers(path))
    return [m for m in list(sys.modules.values())
            if getattr(m, "__file__", None) and os.path.abspath(m.__file__) in files]


def refuse_text(judged, name, products):
    """Fails for what the step's text (or a helper's) shows (see _lab_text.refusal)."""
    if judged:
        why = refusal(judged[1], name, shown(judged[0]), products)
        if why:
            fail(WRONG, why)


def kept_from_decoy(first, X, decoy, row):
    """Whether a result's first row is the decoy's row `row` of S and not X's: a step that
    kept what its first call worked out. O(n d): two rows of S."""
    import numpy as np

    def row_of(M):
        M = np.asarray(M, dtype=np.float64)
        norms = np.linalg.norm(M, axis=1)
        norms[norms == 0] = 1.0
        U = M / norms[:, None]
        return U @ U[row]

    got = np.asarray(first, dtype=np.float64)
    close = lambda want: np.allclose(got, want, atol=1e-3)  # noqa: E731
    return not close(row_of(X)) and close(row_of(decoy))


def span(start, end):
    """Rows start..end (end excluded) in words: one row is named as one."""
    if end - start == 1:
        return "row %d" % start
    return "rows %d..%d (end excluded)" % (start, end)


def main():
    # A crash in compiled code (a Cython index out of range with boundscheck off) shows the
    # Python line that called it.
    faulthandler.enable()
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--step", required=True)
    p.add_argument("--function", required=True)
    p.add_argument("--input", required=True)
    p.add_argument("--rows", required=True)
    p.add_argument("--k", type=int, default=0)
    p.add_argument("--output", required=True)
    p.add_argument("--sims")
    p.add_argument("--uses", default="",
                   help="modules of which the step must use one, separated by commas")
    p.add_argument("--own-loops", action="store_true",
                   help="the product must be the file's own loops, not a library's matrix product")
    p.add_argument("--as", dest="as_", choices=["lists", "numpy"], default="numpy",
                   help="hand X over as a list of lists of floats (pure-Python steps) or an array")
    p.add_argument("--native-spy", metavar="PY_SPY",
                   help="with --own-loops: profile the step once more with native frames "
                        "(its last call, at 500 rows or more) and refuse a library's products")
    a = p.parse_args()
    # The native probe's process (see _lab_native): asked for in the environment, cleared
    # before the step loads, so the step sees the arguments and environment of a run's call.
    probe_output = os.environ.pop("LADDER_PROBE_NATIVE", None)
    probe_data = os.environ.pop("LADDER_PROBE_DATA", None)
    start, end = (int(v) for v in a.rows.split(":"))
    path = os.path.abspath(a.step)
    name = shown(path)
    t0 = time.perf_counter()
    try:
        # The student's prints go to standard error: shown with a failure, and never in the
        # way of the result line on standard output.
        with contextlib.redirect_stdout(sys.stderr):
            module = load(path)
    except Reported:
        raise
    except BaseException as e:  # the student's file: anything may come out of it
        if isinstance(e, SystemExit) and e.code in (0, None):
            fail(LOAD, "%s exited while being imported (sys.exit at the top level?)" % name)
        detail, summary = student_trace(e, path)
        fail(LOAD, summary, detail)
    if a.as_ == "lists" and "numpy" in sys.modules:
        fail(LOAD, "%s imports NumPy: this step is pure Python (NumPy is a later step)" % name)
    fn = getattr(module, a.function, None)
    if not callable(fn):
        others = sorted(k for k, v in vars(module).items() if callable(v) and not k.startswith("_"))
        fail(
            LOAD,
            "%s has no function %s(%s): define it (functions found: %s)"
            % (name, a.function, "X, k, start, end" if a.function == "topk" else "X, start, end",
               ", ".join(others) or "none"),
        )
    import numpy as np

    X = np.load(a.input)
    n = X.shape[0]
    if a.as_ == "lists":
        X = X.astype(np.float64).tolist()
    args = (X, a.k, start, end) if a.function == "topk" else (X, start, end)
    if probe_output:
        # The process py-spy profiles for _lab_native: the call and nothing else.
        try:
            with contextlib.redirect_stdout(sys.stderr):
                _lab_native.probed_call(fn, X, probe_data, probe_output)
        except BaseException as e:
            detail, summary = student_trace(e, path)
            fail(RAISED, summary, detail)
        return
    compile_s = None
    uses = [m for m in a.uses.split(",") if m]
    # The JIT's first call compiles, untimed: on other data of the same kind (type, layout),
    # so nothing it works out can be kept for the timed call on X.
    # Of X's shape too: code that picks a kernel by size compiles it here, not in the timed
    # call (a step that keeps results across calls without looking at X gets them wrong).
    decoy = X
    if a.as_ == "numpy":
        decoy = np.ascontiguousarray(
            np.random.default_rng(12345).standard_normal(X.shape), dtype=X.dtype)
    one_row = (decoy, a.k, 0, 1) if a.function == "topk" else (decoy, 0, 1)
    # What the file reaches that its text does not name is judged before it runs: its own
    # error (a typing error inside objmode) would hide the reason. A product is judged once
    # it has run, after whether it used the library at all.
    # The step's text, and its helpers' (modules of its folder it imports, files a Cython
    # file includes): a product kept in a helper is still the step's.
    if a.own_loops:
        refuse_text(step_product(path), name, products=False)
    used = False
    if "numba" in sys.modules and end > start:
        # A JIT compiles on the first call: do it on one row, and report it apart.
        t = time.perf_counter()
        try:
            with contextlib.redirect_stdout(sys.stderr):
                fn(*one_row)
        except BaseException as e:
            detail, summary = student_trace(e, path)
            fail(RAISED, summary, detail)
        compile_s = time.perf_counter() - t
    probed_row_s = None
    if (a.own_loops and a.native_spy and a.function == "similarity" and a.as_ == "numpy"
            and end == n and n >= _lab_native.MIN_N):
        # Once a run, in its last call (past the quick check's size), before the timed part
        # (within the set-up's time limit): what the step's process runs.
        why, probed_row_s = _lab_native.probe(a.native_spy, sys.argv[1:], X, name)
        if why:
            fail(WRONG, why)
    # The timed call is watched too (see _lab_watch): an index's searches counted, the
    # compiled functions timed, each by a wrapper that costs a Python call per call.
    searches = compiled = None
    if any(m in SEARCHES for m in uses):
        searches = _lab_watch.Searches()
        searches.install(uses, module)
    if "numba" in uses and not _lab_watch.is_jitted(fn):
        compiled = _lab_watch.Compiled([module] + folder_modules(path))
        one_pass = _lab_watch.one_pass(X)
        compiled.install()
    mark = os.environ.get("LADDER_KERNEL_MARK")
    if mark:
        open(mark, "w").close()
    t1 = time.perf_counter()
    try:
        with contextlib.redirect_stdout(sys.stderr):
            result = timed_call(fn, args)
    except BaseException as e:
        for watch in (searches, compiled):
            if watch is not None:
                watch.remove()
        detail, summary = student_trace(e, path)
        fail(RAISED, summary, detail)
    finally:
        for watch in (searches, compiled):
            if watch is not None:
                watch.remove()
    t2 = time.perf_counter()
    rows = end - start
    # The timed call against what the same function cost the probe on new data: an answer
    # kept from an earlier call or run (keyed on X), or a step that knows when it is profiled,
    # is many times faster here than computing.
    why = _lab_native.faster_than_probed(name, probed_row_s, t2 - t1, rows)
    if why:
        fail(WRONG, why)
    if searches is not None:
        used = searches.calls > 0
    if uses and end > start and not used and searches is None:
        # Imported is not used: the same rows once more, untimed, watched for a call into the
        # library (the same rows: a step that searched only when asked for one row would pass
        # a one-row watch).
        if "numba" in uses and _lab_watch.jitted([module] + folder_modules(path)):
            used = True
        else:
            try:
                with contextlib.redirect_stdout(sys.stderr):
                    names = [w for m in uses for w in SEARCHES.get(m, ())]
                    used = _lab_watch.calls_into(lambda: fn(*args), uses, names or None)
            except BaseException as e:
                detail, summary = student_trace(e, path)
                fail(RAISED, summary, detail)
            used = used or ("numba" in uses and _lab_watch.jitted([module] + folder_modules(path)))
    if uses and end > start and not used:
        hint = USE_HINTS.get(uses[0], "call it from your function")
        what = "searched with" if any(m in SEARCHES for m in uses) else "called"
        fail(WRONG, "%s: nothing in it %s %s, which this step is about: %s"
             % (name, what, " or ".join(uses), hint))
    if searches is not None and end > start:
        if searches.rows < rows:
            fail(WRONG, "%s: its index searches were asked for %d row%s, but %s was asked for "
                 "%s: search every row asked for with the index (a search on the side of "
                 "NumPy's sort answers it, but it is not this step)"
                 % (name, searches.rows, "" if searches.rows == 1 else "s", a.function,
                    span(start, end)))
        if searches.k < a.k:
            fail(WRONG, "%s: its index searches asked for %d neighbour%s a row, but topk asks "
                 "for k = %d: ask the index for them (the answer comes from the index here, not "
                 "from NumPy's sort)" % (name, searches.k, "" if searches.k == 1 else "s", a.k))
        if searches.vectors() < n - 1:
            fail(WRONG, "%s: the index%s searched hold%s %d vector%s, but each row's top-k is "
                 "over all %d: add every vector to the index"
                 % (name, "" if len(searches.sizes) == 1 else "es",
                    "s" if len(searches.sizes) == 1 else "",
                    searches.vectors(), "" if searches.vectors() == 1 else "s", n))
    # Judged once the function has run: a template still raising its TODO says that first.
    if a.own_loops:
        # Again, with the products: a helper the function imported as it ran is judged too.
        refuse_text(step_product(path), name, products=True)
    if compiled is not None and end > start:
        # Outside the compiled functions a step may prepare the data (a few passes of NumPy
        # over it), or spend less than its compiled loops do; NumPy doing the products in a
        # Python loop spends a pass per row.
        outside = (t2 - t1) - compiled.inside
        if outside > max(5 * one_pass + 0.01, compiled.inside):
            fail(WRONG, "%s: %.3f s of the call ran outside the functions Numba compiled, and "
                 "%.3f s in them: in this step the products are your own loops, compiled "
                 "(NumPy's arithmetic outside them answers it, but it is not this step)"
                 % (name, outside, compiled.inside))
    if a.function == "topk":
        if not (isinstance(result, tuple) and len(result) == 2):
            fail(WRONG, "%s: topk returned %s; return (indices, similarities), each of shape (%d, %d)"
                 % (name, type(result).__name__, rows, a.k))
        ids, sims = (np.asarray(r) for r in result)
        for what, arr in (("indices", ids), ("similarities", sims)):
            if arr.shape != (rows, a.k):
                fail(WRONG, "%s: topk's %s have shape %s; expected (%d, %d): %s, k = %d each"
                     % (name, what, arr.shape, rows, a.k, span(start, end), a.k))
        if not np.issubdtype(ids.dtype, np.integer):
            fail(WRONG, "%s: topk's indices are %s, not row numbers: return (indices, similarities), in that order"
                 % (name, ids.dtype))
        if searches is not None and end > start:
            d = X.shape[1]
            if searches.dim is not None and searches.dim < d:
                fail(WRONG, "%s: the index searched holds vectors of %d dimension%s, but X's rows "
                     "have %d: add the rows themselves (normalised), and search with them"
                     % (name, searches.dim, "" if searches.dim == 1 else "s", d))
            if searches.found:
                share = _lab_watch.from_search(ids, searches.found, start)
                if share < 0.5:
                    fail(WRONG, "%s: only %.0f%% of the neighbours topk returned are ones its "
                         "index searches found: return the index's answer (each row's own "
                         "index left out), not another computed beside it"
                         % (name, 100 * share))
        own = np.nonzero(ids == np.arange(start, end)[:, None])[0]
        if len(own):
            fail(WRONG, "%s: row %d lists itself among its neighbours: leave each row itself out"
                 % (name, start + own[0]))
        worse = np.nonzero(np.diff(sims.astype(np.float64), axis=1) > 1e-6)[0]
        if len(worse):
            fail(WRONG, "%s: row %d's neighbours are not best first (similarities must not increase along a row)"
                 % (name, start + worse[0]))
        np.save(a.output, ids.astype(np.int64))
        np.save(a.sims, sims.astype(np.float32))
    else:
        if result is None:
            fail(WRONG, "%s: %s(X, %d, %d) returned None; return %s of S"
                 % (name, a.function, start, end, span(start, end)))
        try:
            S = np.asarray(result, dtype=np.float64)
        except (TypeError, ValueError) as e:
            fail(WRONG, "%s: %s returned something that is not a table of numbers (%s)" % (name, a.function, e))
        if S.shape != (rows, n):
            fail(WRONG, "%s: %s returned shape %s; expected (%d, %d): %s of S, one column per vector"
                 % (name, a.function, S.shape, rows, n, span(start, end)))
        bad = np.argwhere(~np.isfinite(S))
        if len(bad):
            r, c = bad[0]
            more = ""
            if len(bad) > 1:
                bad_rows = len(np.unique(bad[:, 0]))
                more = " (one of %d such entries, in %d row%s)" % (
                    len(bad), bad_rows, "" if bad_rows == 1 else "s")
            fail(WRONG, "%s: %s returned %s at row %d, column %d%s: a division by a zero vector's norm?"
                 % (name, a.function, S[r, c], start + r, c, more))
        if decoy is not X and rows > 0 and kept_from_decoy(S[0], X, decoy, start):
            fail(WRONG, "%s: %s returned rows of the data its first call was given (the call "
                 "that compiles, on other data), not of X: keep nothing across calls that does "
                 "not come from the X each call is given" % (name, a.function))
        np.save(a.output, S.astype(np.float32))
    report = {"setup_s": t1 - t0, "kernel_s": t2 - t1}
    if searches is not None and start > 0:
        # Each call is a process of its own and builds its index again; the whole workload
        # builds it once. The first call's build (rows from 0) is timed; a later call's, the
        # time inside the index's add and train, is set-up.
        build = min(searches.building, t2 - t1)
        report = {"setup_s": t1 - t0 + build, "kernel_s": t2 - t1 - build}
    # On a line of its own, whatever the student's code left unfinished on the last one.
    print()
    if compile_s is not None:
        report["compile_s"] = compile_s
    print(json.dumps(report), flush=True)


if __name__ == "__main__":
    main()
