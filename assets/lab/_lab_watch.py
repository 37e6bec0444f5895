"""What a lab step's call did, watched while it runs (shipped beside _lab_harness.py).

A file's text cannot tell everything a step is about: an index searched once for one row
beside NumPy's sort, or a NumPy expression in a row loop beside a do-nothing @njit, read like
the real thing. So the call that is timed is also watched: how many rows the index searches
were asked for, over how many vectors; how long the functions Numba compiled ran.
"""

import sys
import threading
import time
import types

# NumPy is imported where it is used: a pure-Python step is refused if it imports NumPy, so
# this module, imported first, must not.


def rows_of(x):
    """Query rows in a search's argument: a matrix's rows, or one vector."""
    import numpy as np

    shape = np.shape(x)
    return shape[0] if len(shape) == 2 else 1


def asked_k(args, kwargs, default=0):
    """The k a search was asked for: its first argument after the queries, or `k=`."""
    return args[0] if args else kwargs.get("k", default)


class Searches:
    """Counts, while installed, the rows every index search is asked for and the vectors of
    the indexes searched (faiss's index.search, its raw search_c, and faiss.knn; hnswlib's
    knn_query)."""

    def __init__(self):
        # Searches running now: faiss's search calls search_c, which must not count again.
        self.depth = threading.local()
        self.rows = 0
        self.sizes = {}
        self.calls = 0
        # The most neighbours any search asked for.
        self.k = 0
        # The smallest dimension of an index searched (None: none said).
        self.dim = None
        # Each search's answer (row numbers, a matrix) in call order; None once a search's
        # answer could not be read (faiss's raw search_c writes it through a pointer).
        self.found = []
        # faiss.swig_ptr's pointers, by id: the array each points into.
        self.arrays = {}
        self.swapped = []
        # Seconds inside the indexes' builds (faiss's add and train, hnswlib's add_items):
        # each call builds its index again, the whole workload once.
        self.building = 0.0
        self.bdepth = threading.local()

    def vectors(self):
        """Vectors held by the indexes searched, each counted once."""
        return sum(self.sizes.values())

    def _note(self, key, rows, size, k, dim=None):
        try:
            self.k = max(self.k, int(k))
        except (TypeError, ValueError):
            pass
        try:
            if dim is not None:
                self.dim = int(dim) if self.dim is None else min(self.dim, int(dim))
        except (TypeError, ValueError):
            pass
        self.calls += 1
        self.rows += rows
        self.sizes[key] = max(self.sizes.get(key, 0), size)

    def _keep(self, ids):
        """Keeps a search's answer (its row numbers) for the answer check."""
        if self.found is None:
            return
        try:
            import numpy as np

            a = np.asarray(ids)
            self.found.append(a.reshape(a.shape[0], -1).astype(np.int64) if a.ndim else None)
        except (TypeError, ValueError):
            self.found = None

    def _swap(self, owner, name, new):
        self.swapped.append((owner, name, getattr(owner, name)))
        setattr(owner, name, new)

    def install(self, modules, student):
        """Wraps the searches of the libraries (imported here when installed: a step may import
        one inside its function), and any the student's module took by name (`from faiss
        import knn`)."""
        import importlib

        def imported(name):
            if name not in modules:
                return None
            try:
                return importlib.import_module(name)
            except ImportError:
                return None

        faiss = imported("faiss")
        hnswlib = imported("hnswlib")
        if faiss is not None:
            # Each class once: faiss exports some under two names (IndexProxy, IndexReplicas),
            # and a search wrapped twice would count its rows twice.
            classes = {id(c): c for c in vars(faiss).values() if isinstance(c, type)}
            for cls in classes.values():
                for build in ("add", "add_c", "add_with_ids", "add_with_ids_c", "train",
                              "train_c"):
                    if build in vars(cls):
                        self._swap(cls, build, self._build(vars(cls)[build]))
                if "search" in vars(cls):
                    self._swap(cls, "search", self._index_search(vars(cls)["search"]))
                if "search_c" in vars(cls):
                    self._swap(cls, "search_c", self._index_search_c(vars(cls)["search_c"]))
            self._swap_function(faiss, "swig_ptr", self._ptr, student)
            self._swap_function(faiss, "knn", self._knn, student)
        if hnswlib is not None:
            for cls in (getattr(hnswlib, "Index", None), getattr(hnswlib, "BFIndex", None)):
                if cls is not None and hasattr(cls, "knn_query"):
                    self._swap(cls, "knn_query", self._knn_query(cls.knn_query))
                if cls is not None and hasattr(cls, "add_items"):
                    self._swap(cls, "add_items", self._build(cls.add_items))

    def _build(self, build):
        """Times a build (adding vectors to an index, training it), once where one calls
        another."""
        watch = self

        def built(*args, **kwargs):
            depth = getattr(watch.bdepth, "n", 0)
            watch.bdepth.n = depth + 1
            t = time.perf_counter()
            try:
                return build(*args, **kwargs)
            finally:
                watch.bdepth.n = depth
                if depth == 0:
                    watch.building += time.perf_counter() - t

        return built

    def _swap_function(self, module, name, wrap, student):
        """Wraps a module's function, and any name the student's module took it by
        (`from faiss import knn`)."""
        real = getattr(module, name, None)
        if not callable(real):
            return
        wrapped = wrap(real)
        self._swap(module, name, wrapped)
        for k, value in list(vars(student).items()):
            if value is real:
                self._swap(student, k, wrapped)

    def remove(self):
        for owner, name, old in reversed(self.swapped):
            setattr(owner, name, old)
        self.swapped = []

    def _outermost(self, note, call):
        """Notes a search unless it runs inside one already noted, then runs it."""
        depth = getattr(self.depth, "n", 0)
        if depth == 0:
            note()
        self.depth.n = depth + 1
        try:
            return call()
        finally:
            self.depth.n = depth

    def _index_search(self, search):
        watch = self

        def searched(index, x, *args, **kwargs):
            outermost = getattr(watch.depth, "n", 0) == 0
            result = watch._outermost(
                lambda: watch._note(id(index), rows_of(x), int(getattr(index, "ntotal", 0)),
                                    asked_k(args, kwargs), getattr(index, "d", None)),
                lambda: search(index, x, *args, **kwargs))
            if outermost and isinstance(result, tuple) and len(result) >= 2:
                watch._keep(result[1])
            return result

        return searched

    def _ptr(self, swig_ptr):
        """faiss.swig_ptr, keeping which array each pointer is of (and the pointer alive)."""
        watch = self

        def pointer(x):
            p = swig_ptr(x)
            watch.arrays[id(p)] = (p, x)
            return p

        return pointer

    def _index_search_c(self, search_c):
        """faiss's raw search, `search_c(n, swig_ptr(x), k, swig_ptr(D), swig_ptr(I))`: the
        rows are its first argument."""
        watch = self

        def searched(index, n, *args, **kwargs):
            def note():
                k = args[1] if len(args) > 1 else kwargs.get("k", 0)
                try:
                    rows = int(n)
                except (TypeError, ValueError):
                    rows = 0
                watch._note(id(index), rows, int(getattr(index, "ntotal", 0)), k,
                            getattr(index, "d", None))

            outermost = getattr(watch.depth, "n", 0) == 0
            result = watch._outermost(note, lambda: search_c(index, n, *args, **kwargs))
            if outermost:
                # Its answer is written through a pointer: read from the array behind it.
                labels = args[3] if len(args) > 3 else kwargs.get("labels")
                behind = watch.arrays.get(id(labels))
                if behind is None:
                    watch.found = None
                else:
                    try:
                        watch._keep(behind[1].reshape(int(n), -1))
                    except (TypeError, ValueError, AttributeError):
                        watch.found = None
            return result

        return searched

    def _knn(self, knn):
        watch = self

        def searched(xq, xb, *args, **kwargs):
            import numpy as np

            shape = np.shape(xb)
            watch._note(id(xb), rows_of(xq), rows_of(xb), asked_k(args, kwargs),
                        shape[1] if len(shape) == 2 else None)
            result = knn(xq, xb, *args, **kwargs)
            if isinstance(result, tuple) and len(result) >= 2:
                watch._keep(result[1])
            return result

        return searched

    def _knn_query(self, query):
        watch = self

        def searched(index, data, *args, **kwargs):
            try:
                size = int(index.get_current_count())
            except (AttributeError, RuntimeError, TypeError):
                size = int(getattr(index, "element_count", 0))
            watch._note(id(index), rows_of(data), size, asked_k(args, kwargs, 1),
                        getattr(index, "dim", None))
            result = query(index, data, *args, **kwargs)
            if isinstance(result, tuple) and len(result) >= 2:
                watch._keep(result[0])
            return result

        return searched


def from_search(ids, found, start):
    """The share of a top-k answer's row numbers (`ids`, rows × k, for rows start..) that the
    searches found for that row. Each answer row is matched with the search row that shares
    most with it among: the one asked in the same place (searches in order), those that found
    the row itself, and those that found its first or second neighbour. A search row counts
    for its best candidates only (4k + 16, in the index's order): a search asked for every
    vector found all of them, which says nothing of which are neighbours."""
    import numpy as np

    ids = np.asarray(ids)
    keep = 4 * (ids.shape[1] if ids.ndim == 2 else 1) + 16
    rows = [set(r[:keep].tolist()) for f in found if f is not None for r in f]
    where = {}
    for i, r in enumerate(rows):
        for v in r:
            where.setdefault(v, []).append(i)
    shared = 0
    for at, a in enumerate(ids):
        want = set(a.tolist())
        cands = [at] if at < len(rows) else []
        for v in [start + at] + a[:2].tolist():
            cands += where.get(int(v), [])[:32]
        shared += max((len(want & rows[c]) for c in cands), default=0)
    return shared / ids.size if ids.size else 1.0


def is_jitted(value):
    """A Numba dispatcher (an @njit function)."""
    return type(value).__module__.startswith("numba") and hasattr(value, "py_func")


def is_numba_ufunc(value):
    """A ufunc Numba compiled (@vectorize, @guvectorize): its loops are the student's own."""
    return type(value).__module__.startswith("numba.np.ufunc") and hasattr(value, "ufunc")


def is_compiled(value):
    return is_jitted(value) or is_numba_ufunc(value)


class Timed:
    """A compiled function as the module's name holds it while watched: called from Python it
    is timed; handed to another compiled function as a value (`table(kernel, U)`), Numba types
    it as the dispatcher it wraps, so the call runs compiled and untimed, inside the caller's
    time."""

    def __init__(self, dispatcher, watch):
        self.dispatcher = dispatcher
        self.watch = watch

    def __call__(self, *args, **kwargs):
        watch = self.watch
        with watch.lock:
            watch.active += 1
            if watch.active == 1:
                watch.remove()
        t = time.perf_counter()
        try:
            return self.dispatcher(*args, **kwargs)
        finally:
            spent = time.perf_counter() - t
            with watch.lock:
                watch.inside += spent
                watch.active -= 1
                if watch.active == 0:
                    watch.install()

    def __getitem__(self, key):
        # A CUDA launch, kernel[blocks, threads](...): timed like a call.
        return Timed(self.dispatcher[key], self.watch)

    def __getattr__(self, name):
        # py_func, signatures, parallel_diagnostics...: the dispatcher's own.
        return getattr(self.dispatcher, name)


_TYPED = []


def _type_as_dispatcher():
    """Teaches Numba (once) that a Timed is the dispatcher it wraps."""
    if _TYPED:
        return
    from numba.extending import typeof_impl

    @typeof_impl.register(Timed)
    def _typeof_timed(val, c):
        return typeof_impl(val.dispatcher, c)

    _TYPED.append(True)


class Compiled:
    """Times the calls from Python into the functions Numba compiled in the student's module.

    The module's names are swapped for timing wrappers between calls only: while a compiled
    function runs (and compiles, reading the module's names) it sees the real ones."""

    def __init__(self, modules):
        _type_as_dispatcher()
        self.real = [(m, k, v) for m in modules for k, v in vars(m).items() if is_compiled(v)]
        self.wrappers = [(m, k, Timed(v, self)) for m, k, v in self.real]
        self.inside = 0.0
        self.active = 0
        self.lock = threading.Lock()

    def _set(self, names):
        for m, k, v in names:
            setattr(m, k, v)

    def install(self):
        self._set(self.wrappers)

    def remove(self):
        self._set(self.real)


def one_pass(X):
    """Seconds for one pass of NumPy over the data, as a step's set-up makes it (the norms,
    then the rows divided by them): what a compiled step may spend outside its loops."""
    import numpy as np

    best = float("inf")
    for _ in range(2):
        t = time.perf_counter()
        norms = np.linalg.norm(np.asarray(X, dtype=np.float64), axis=1)
        norms[norms == 0] = 1.0
        _ = X / norms[:, None]
        best = min(best, time.perf_counter() - t)
    return best


def owner(fn):
    """The module a built-in (C) function or method belongs to: `hnswlib`, `faiss._swigfaiss`."""
    m = getattr(fn, "__module__", None)
    bound = getattr(fn, "__self__", None)
    if isinstance(bound, types.ModuleType):
        m = m or bound.__name__
    elif bound is not None:
        m = m or type(bound).__module__
    return m or ""


def calls_into(call, mods, names=None):
    """Runs call(), and returns whether any compiled code of one of `mods` ran in it (on this
    thread or one it started): an import alone is not using a library. With `names`, only a
    function whose name holds one of them counts (an index's search, not a helper)."""
    if sys.version_info < (3, 11):
        # Before 3.11 a pybind11 method (hnswlib's) reports no call to a profiler: imported
        # is all that can be told there.
        call()
        return any(m in sys.modules for m in mods)
    import threading

    hit = []

    def seen(frame, event, arg):
        # c_return too: some 3.12 releases report only the return of a wrapped method.
        if event in ("c_call", "c_return") and not hit:
            m = owner(arg)
            called = getattr(arg, "__name__", "") or ""
            if any(m == x or m.startswith(x + ".") for x in mods) and (
                    names is None or any(w in called for w in names)):
                hit.append(m)

    sys.setprofile(seen)
    threading.setprofile(seen)
    try:
        call()
    finally:
        sys.setprofile(None)
        threading.setprofile(None)
    return bool(hit)


def jitted(modules):
    """Whether a function of the student's modules was compiled by Numba (called with types,
    or a ufunc given them)."""
    for module in modules:
        for v in vars(module).values():
            if is_jitted(v) and getattr(v, "signatures", None):
                return True
            if is_numba_ufunc(v) and getattr(v, "ntypes", 0):
                return True
    return False
