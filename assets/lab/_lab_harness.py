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
import importlib.util
import json
import os
import shutil
import sys
import time
import traceback

# Exit codes: 3 the step could not be loaded, 4 it raised, 5 it returned the wrong thing.
LOAD, RAISED, WRONG = 3, 4, 5


def fail(code, line, detail=""):
    if detail:
        sys.stderr.write(detail.rstrip("\n") + "\n")
    sys.stderr.write(line + "\n")
    sys.stderr.flush()
    sys.exit(code)


# The copy of a .pyx file that Cython compiles: its frames are the student's file's.
COPIES = set()


def student_trace(exc, path):
    """The traceback of exc with only the frames in the student's file (and a SyntaxError's
    own lines); the one-line reason that ends it."""
    name = os.path.basename(path)
    mine = {path} | COPIES
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if os.path.abspath(f.filename) in mine]
    lines = ["Traceback (the frames in %s):" % name]
    for f in frames:
        lines.append('  File "%s", line %d, in %s' % (name, f.lineno, f.name))
        if f.line:
            lines.append("    " + f.line.strip())
    if isinstance(exc, SyntaxError):
        lines += [l.rstrip("\n") for l in traceback.format_exception_only(type(exc), exc)]
        where = "%s:%s" % (name, exc.lineno)
    else:
        lines.append("%s: %s" % (type(exc).__name__, exc))
        where = "%s:%d" % (name, frames[-1].lineno) if frames else name
    summary = "%s: %s: %s" % (where, type(exc).__name__, (exc.msg if isinstance(exc, SyntaxError) else exc))
    return "\n".join(lines), summary


def load(path):
    """The student's module. A .pyx file is compiled by Cython on first use (pyximport) into
    a build folder beside this harness, rebuilt only when its text changes."""
    base = os.path.splitext(os.path.basename(path))[0]
    mod_name = "lab_step_" + "".join(c if c.isalnum() else "_" for c in base)
    sys.path.insert(0, os.path.dirname(path))
    if path.endswith(".pyx"):
        import pyximport

        here = os.path.dirname(os.path.abspath(__file__))
        build = os.path.join(here, "_lab_build")
        os.makedirs(build, exist_ok=True)
        copy = os.path.join(build, mod_name + ".pyx")
        COPIES.add(os.path.abspath(copy))
        with open(path, "rb") as f:
            text = f.read()
        old = None
        if os.path.exists(copy):
            with open(copy, "rb") as f:
                old = f.read()
        if old != text:
            with open(copy, "wb") as f:
                f.write(text)
        sys.path.insert(0, build)
        pyximport.install(build_dir=os.path.join(build, "out"), language_level=3, inplace=False)
        return importlib.import_module(mod_name)
    spec = importlib.util.spec_from_file_location(mod_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[mod_name] = module
    spec.loader.exec_module(module)
    return module


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--step", required=True)
    p.add_argument("--function", required=True)
    p.add_argument("--input", required=True)
    p.add_argument("--rows", required=True)
    p.add_argument("--k", type=int, default=0)
    p.add_argument("--output", required=True)
    p.add_argument("--sims")
    p.add_argument("--as", dest="as_", choices=["lists", "numpy"], default="numpy",
                   help="hand X over as a list of lists of floats (pure-Python steps) or an array")
    a = p.parse_args()
    start, end = (int(v) for v in a.rows.split(":"))
    path = os.path.abspath(a.step)
    name = os.path.basename(path)
    t0 = time.perf_counter()
    try:
        module = load(path)
    except BaseException as e:  # the student's file: anything may come out of it
        if isinstance(e, SystemExit) and e.code in (0, None):
            fail(LOAD, "%s exited while being imported (sys.exit at the top level?)" % name)
        detail, summary = student_trace(e, path)
        fail(LOAD, summary, detail)
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
    compile_s = None
    if "numba" in sys.modules and end > start:
        # A JIT compiles on the first call: do it on one row, and report it apart.
        t = time.perf_counter()
        try:
            fn(*((X, a.k, start, start + 1) if a.function == "topk" else (X, start, start + 1)))
        except BaseException as e:
            detail, summary = student_trace(e, path)
            fail(RAISED, summary, detail)
        compile_s = time.perf_counter() - t
    mark = os.environ.get("LADDER_KERNEL_MARK")
    if mark:
        open(mark, "w").close()
    t1 = time.perf_counter()
    try:
        result = fn(*args)
    except BaseException as e:
        detail, summary = student_trace(e, path)
        fail(RAISED, summary, detail)
    t2 = time.perf_counter()
    rows = end - start
    if a.function == "topk":
        if not (isinstance(result, tuple) and len(result) == 2):
            fail(WRONG, "%s: topk returned %s; return (indices, similarities), each of shape (%d, %d)"
                 % (name, type(result).__name__, rows, a.k))
        ids, sims = (np.asarray(r) for r in result)
        for what, arr in (("indices", ids), ("similarities", sims)):
            if arr.shape != (rows, a.k):
                fail(WRONG, "%s: topk's %s have shape %s; expected (%d, %d): rows %d..%d, k = %d each"
                     % (name, what, arr.shape, rows, a.k, start, end, a.k))
        np.save(a.output, ids.astype(np.int64))
        np.save(a.sims, sims.astype(np.float32))
    else:
        if result is None:
            fail(WRONG, "%s: %s returned None; return rows %d..%d of S" % (name, a.function, start, end))
        try:
            S = np.asarray(result, dtype=np.float64)
        except (TypeError, ValueError) as e:
            fail(WRONG, "%s: %s returned something that is not a table of numbers (%s)" % (name, a.function, e))
        if S.shape != (rows, n):
            fail(WRONG, "%s: %s returned shape %s; expected (%d, %d): rows %d..%d of S, one column per vector"
                 % (name, a.function, S.shape, rows, n, start, end))
        bad = np.argwhere(~np.isfinite(S))
        if len(bad):
            r, c = bad[0]
            fail(WRONG, "%s: %s returned %s at row %d, column %d (and %d more): a zero norm divided by?"
                 % (name, a.function, S[r, c], start + r, c, len(bad) - 1))
        np.save(a.output, S.astype(np.float32))
    report = {"setup_s": t1 - t0, "kernel_s": t2 - t1}
    if compile_s is not None:
        report["compile_s"] = compile_s
    print(json.dumps(report), flush=True)


if __name__ == "__main__":
    main()
