"""Reads what a run of a lesson's program left behind, as folded stacks (root first, frames
joined by `;`, then the bytes): the allocations made after the first request ended and never
freed, by the Python stack that made them. The first request's own one-offs (imports, BLAS's
buffers, first-use caches) are summed apart, on a `# one-off` line, so that what grows with each
request stands alone.

    python3 leak_reader.py memray CAPTURE.bin AFTER_MS PROGRAM.py
        reads a `memray run` capture with memray's own reader (memray.FileReader): its
        temporal records say when each still-live allocation was made.
    python3 leak_reader.py tracemalloc PROGRAM.py [ARGS...]
        runs PROGRAM's requests itself under the standard library's tracemalloc, takes a
        snapshot after each request, and compares the last with the first.

Frames are `function (file:line)`; the program's `<module>` frame is the root, and frames
below it (runpy, memray, this reader) are left out.
"""

import os
import sys


def frame_name(function, filename, line):
    return f"{function} ({os.path.basename(filename)}:{line})"


def folded(stack, program):
    """`stack` is leaf first, as both tools give it; the result is root first: the program's
    name, then its outermost function. Frames of this reader and of the tools are left out."""
    base = os.path.basename(program)
    frames = [
        f
        for f in reversed(stack)
        if os.path.basename(f[1]) not in ("leak_reader.py", "tracemalloc.py")
    ]
    start = next(
        (
            i
            for i, f in enumerate(frames)
            if os.path.basename(f[1]) == base and f[0] != "<module>"
        ),
        None,
    )
    if start is None:
        return None
    return ";".join([base] + [frame_name(*f) for f in frames[start:]])


def emit(per_stack, one_off, tool):
    print(f"# tool {tool}")
    print(f"# one-off {one_off}")
    for stack, size in sorted(per_stack.items(), key=lambda kv: -kv[1]):
        if size > 0:
            print(f"{stack} {size}")


def read_memray(capture, after_ms, program):
    import memray

    reader = memray.FileReader(capture)
    times = [s.time for s in reader.get_memory_snapshots()]
    # The first snapshot taken after the first request ended: an allocation made before
    # it belongs to the first request or to start-up.
    first = next((i for i, t in enumerate(times) if t >= after_ms), len(times))
    per_stack, one_off = {}, 0
    for rec in reader.get_temporal_allocation_records(merge_threads=True):
        live = [iv for iv in rec.intervals if iv.deallocated_before_snapshot is None]
        if not live:
            continue
        stack = folded(rec.stack_trace(), program)
        for iv in live:
            if iv.allocated_before_snapshot > first and stack is not None:
                per_stack[stack] = per_stack.get(stack, 0) + iv.n_bytes
            else:
                one_off += iv.n_bytes
    emit(per_stack, one_off, "memray")


def function_at(filename, line, cache={}):
    """The name of the function defining `line` of `filename` (tracemalloc's frames carry only
    the file and the line)."""
    import ast

    if filename not in cache:
        spans = []
        try:
            with open(filename, encoding="utf-8") as f:
                tree = ast.parse(f.read())
            for node in ast.walk(tree):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    spans.append((node.lineno, node.end_lineno, node.name))
        except (OSError, SyntaxError, ValueError):
            pass
        cache[filename] = spans
    inner = [s for s in cache[filename] if s[0] <= line <= s[1]]
    # The innermost definition holding the line; none: the module's own code.
    return min(inner, key=lambda s: s[1] - s[0])[2] if inner else "<module>"


def run_tracemalloc(program, args):
    import importlib.util
    import tracemalloc

    sys.argv = [program, *args]
    spec = importlib.util.spec_from_file_location("lesson_program", program)
    module = importlib.util.module_from_spec(spec)
    tracemalloc.start(32)
    spec.loader.exec_module(module)
    snapshots = []
    handle = module.handle

    def handle_then_snapshot(*a, **k):
        out = handle(*a, **k)
        # The first snapshot and the latest: keeping every one would itself grow memory. Two
        # are held from the first request on, so the process's memory measured from outside
        # grows by what the program keeps, not by the snapshots.
        del snapshots[1:]
        snapshots.append(tracemalloc.take_snapshot())
        if len(snapshots) == 1:
            snapshots.append(tracemalloc.take_snapshot())
        return out

    # main() looks `handle` up in the module when it calls it: each request is followed by a
    # snapshot.
    module.handle = handle_then_snapshot
    module.main()
    tracemalloc.stop()
    if len(snapshots) < 2:
        emit({}, 0, "tracemalloc")
        return
    per_stack = {}
    # The snapshots' own bookkeeping is not the program's.
    ours = [tracemalloc.Filter(False, tracemalloc.__file__)]
    snapshots = [s.filter_traces(ours) for s in snapshots]
    for diff in snapshots[-1].compare_to(snapshots[0], "traceback"):
        if diff.size_diff <= 0:
            continue
        # Frames oldest first; `folded` takes them leaf first, as memray gives them.
        leaf_first = [
            (function_at(f.filename, f.lineno), f.filename, f.lineno)
            for f in reversed(list(diff.traceback))
        ]
        stack = folded(leaf_first, program)
        if stack is not None:
            per_stack[stack] = per_stack.get(stack, 0) + diff.size_diff
    first = sum(s.size for s in snapshots[0].statistics("filename"))
    emit(per_stack, first, "tracemalloc")


if __name__ == "__main__":
    if len(sys.argv) >= 5 and sys.argv[1] == "memray":
        read_memray(sys.argv[2], float(sys.argv[3]), sys.argv[4])
    elif len(sys.argv) >= 3 and sys.argv[1] == "tracemalloc":
        run_tracemalloc(sys.argv[2], sys.argv[3:])
    else:
        sys.exit(__doc__)
