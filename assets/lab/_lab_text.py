"""What a lab step's file says, read as Python tokens (shipped beside _lab_harness.py): where
it hands a product to a library, reaches a name its text does not spell, or has NumPy do each
row's work inside a Cython loop. Never a false alarm on a file that cannot be read.
"""

import os
import re
import sys
import tokenize


# A library's product by name: in a step whose products are its own loops, none may be called.
PRODUCTS = {"matmul", "einsum", "tensordot", "gemm", "dot", "inner", "vdot", "outer", "kron",
            "multi_dot", "einsum_path", "vecdot", "matvec", "vecmat", "__matmul__",
            "__rmatmul__", "__imatmul__", "sgemm", "dgemm", "sgemv", "dgemv", "sdot", "ddot",
            "cblas_sdot", "cblas_ddot", "cblas_sgemm", "cblas_dgemm", "pairwise_distances",
            "cdist", "corrcoef", "cov", "knn", "cosine_similarity", "cosine_distances",
            "linear_kernel", "pairwise_kernels", "asmatrix", "matrix", "mat", "bmat"}


# Names that reach code the file's text does not name (getattr(np, "mat" + "mul")), or run
# Python inside a compiled function (Numba's objmode): in a step of its own loops, none.
ESCAPES = {"getattr", "__getattribute__", "__import__", "import_module", "eval", "exec",
           "objmode", "forceobj", "globals", "vars", "__dict__", "methodcaller", "attrgetter",
           "ctypes", "CDLL", "cdll", "PyDLL", "LoadLibrary", "dlopen", "dlsym", "cffi",
           "cython_blas", "cython_lapack",
           # Code from a file outside the lab folder, which these checks do not read.
           "sys.path", "spec_from_file_location", "SourceFileLoader", "exec_module",
           "load_module", "run_path", "run_module"}

# Modules a step of its own loops may import besides Python's own and its folder's: NumPy,
# Numba and Cython, and what Cython cimports from C. A module from elsewhere (one installed
# with pip) is code these checks do not read.
ALLOWED_MODULES = {"numpy", "numba", "cython", "Cython", "libc", "libcpp", "cpython", "openmp",
                   "__future__"}

# NumPy's reductions (and norms: |u - v|² is 2 - 2 u·v): called inside a Cython loop, they are
# NumPy doing each row's products.
REDUCTIONS = {"sum", "reduce", "reduceat", "accumulate", "mean", "prod", "nansum", "nanmean",
              "cumsum", "average", "norm"}


def imported(tokens, i):
    """Whether token i is named in an import statement (`from numpy import dot as d`)."""
    j = i
    while j > 0 and tokens[j - 1].type not in (tokenize.NEWLINE, tokenize.INDENT,
                                                tokenize.DEDENT, tokenize.ENCODING):
        j -= 1
    return tokens[j].string in ("from", "import", "cimport")


def imported_modules(tokens, i):
    """The top-level modules an import statement starting at token i names (`import a.b as c,
    d` → a, d; `from a.b import x` → a; `from . import x` → none: the step's folder)."""
    names = []
    if tokens[i].string == "from":
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if nxt is not None and nxt.type == tokenize.NAME:
            names.append(nxt.string)
        return names
    j, expect = i + 1, True
    while j < len(tokens) and tokens[j].type != tokenize.NEWLINE:
        t = tokens[j]
        if expect and t.type == tokenize.NAME:
            names.append(t.string)
            expect = False
        elif t.string == ",":
            expect = True
        j += 1
    return names


def foreign(module, folder):
    """Whether a step may not import `module`: not Python's own, not allowed, and not a file
    or package of the step's folder. None where Python cannot list its own modules."""
    own = getattr(sys, "stdlib_module_names", None)
    if own is None or module in own or module in ALLOWED_MODULES:
        return False
    try:
        local = any(f == module or f.startswith(module + ".") for f in os.listdir(folder))
    except OSError:
        local = False
    return not local


def over_rows(tokens, open_at):
    """Whether the call whose "(" is token `open_at` is given an axis (`axis=1`, or a second
    argument): a norm over many rows at once, not one row's."""
    depth = 0
    for t in tokens[open_at:]:
        if t.type == tokenize.OP and t.string in ("(", "[", "{"):
            depth += 1
        elif t.type == tokenize.OP and t.string in (")", "]", "}"):
            depth -= 1
            if depth == 0:
                return False
        elif depth == 1 and (t.string == "," or t.string == "axis"):
            return True
    return False


def read_tokens(path):
    """The file's Python tokens less comments, or None when it cannot be read as Python."""
    try:
        with open(path, "rb") as f:
            return [t for t in tokenize.tokenize(f.readline)
                    if t.type not in (tokenize.COMMENT, tokenize.NL, tokenize.ENCODING)]
    except (OSError, SyntaxError, tokenize.TokenError, UnicodeDecodeError):
        return None


def defined(tokens):
    """The functions a file defines (`def dot(`, `cdef double dot(`)."""
    own = set()
    for i, t in enumerate(tokens[:-1]):
        if t.type == tokenize.NAME and t.string in ("def", "cdef", "cpdef"):
            # The defined name is the last name before the first "(" (cdef double dot(...));
            # an "=" first makes it a variable (`cdef object S = dot(...)`), not a definition.
            j = i + 1
            while (j < len(tokens) - 1 and tokens[j + 1].string != "("
                   and tokens[j].type != tokenize.NEWLINE and tokens[j].string != "="):
                j += 1
            if tokens[j].type == tokenize.NAME and tokens[j + 1].string == "(":
                own.add(tokens[j].string)
    return own


def numpy_names(tokens):
    """The names the file gives NumPy (`np` from `import numpy as np`)."""
    names = set()
    for i, t in enumerate(tokens[:-1]):
        if t.string == "import" and tokens[i + 1].string == "numpy":
            k = i + 2
            if k + 1 < len(tokens) and tokens[k].string == "as":
                names.add(tokens[k + 1].string)
            elif i == 0 or tokens[i - 1].string != ".":
                names.add("numpy")
    return names


def library_product(path, also_own=()):
    """Where the file hands a product to a library: (line, what) for the first call of a
    library's product (`np.dot`, `np.inner`, `U.dot`, `matmul`, ...) or use of the `@`
    operator, ("no loop", None) when the file has no loop at all, or None when its products
    are its own loops, or the file cannot be read as Python tokens (never a false alarm). A
    function the file (or a helper of the step's, `also_own`) defines is its own."""
    tokens = read_tokens(path)
    if tokens is None:
        return None
    own = defined(tokens) | set(also_own)
    numpy = numpy_names(tokens)
    seen_loop = False
    starts = (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT)
    cython = path.endswith(".pyx")
    folder = os.path.dirname(os.path.abspath(path))
    # Loops open here: the depth of each loop's header line, and whether this line is a
    # loop's header after its colon (a one-line body).
    depth, loops, header, after_colon, brackets = 0, [], False, False, 0
    for i, t in enumerate(tokens):
        prev = tokens[i - 1] if i > 0 else None
        if t.type == tokenize.INDENT:
            depth += 1
        elif t.type == tokenize.DEDENT:
            depth -= 1
            while loops and loops[-1] >= depth:
                loops.pop()
        elif t.type == tokenize.NEWLINE:
            header = after_colon = False
        elif t.type == tokenize.OP and t.string in "([{":
            brackets += 1
        elif t.type == tokenize.OP and t.string in ")]}":
            brackets = max(0, brackets - 1)
        if t.type == tokenize.NAME and t.string in ("for", "while"):
            seen_loop = True
            # A loop statement starts its line; a comprehension's `for` opens no block.
            if prev is None or prev.type in starts:
                loops.append(depth)
                header = True
        elif header and t.type == tokenize.OP and t.string == ":" and brackets == 0:
            after_colon = True
        if (t.type == tokenize.NAME and t.string in ("import", "cimport", "from")
                and (prev is None or prev.type in starts)):
            for m in imported_modules(tokens, i):
                if foreign(m, folder):
                    return (t.start[0], "module " + m)
        if t.type == tokenize.NAME and t.string in ESCAPES and not (
                prev is not None and prev.string in ("def", "cdef", "cpdef")):
            return (t.start[0], t.string)
        if (t.type == tokenize.NAME and t.string == "path" and prev is not None
                and prev.string == "." and i > 1 and tokens[i - 2].string == "sys"):
            return (t.start[0], "sys.path")
        in_loop = bool(loops) and (depth > loops[-1] or after_colon)
        nxt = tokens[i + 1].string if i + 1 < len(tokens) else ""
        if (cython and t.type == tokenize.NAME and t.string in REDUCTIONS and t.string not in own
                and prev is not None and prev.string == "." and nxt != "("
                and not nxt.endswith("=") and nxt != "["
                and (t.string in ("reduce", "reduceat", "accumulate")
                     or (i > 1 and tokens[i - 2].string in numpy))):
            # Taken as a value (`red = np.add.reduce`), it is called in a loop by another name;
            # a field of the file's own (`acc.sum += x`) is not NumPy's.
            return (t.start[0], "." + t.string + " taken as a value")
        if (cython and in_loop and t.type == tokenize.NAME and t.string in REDUCTIONS
                and t.string not in own and prev is not None and prev.string == "."
                and i + 1 < len(tokens) and tokens[i + 1].string == "("
                and (t.string != "norm" or over_rows(tokens, i + 1))):
            return (t.start[0], "." + t.string + "() in a loop")
        if t.type == tokenize.OP and t.string == "@":
            # At the start of a line it is a decorator, not a product.
            if prev is not None and prev.type not in starts:
                return (t.start[0], "the @ operator")
        if t.type == tokenize.NAME and t.string in PRODUCTS:
            attribute = prev is not None and prev.string == "."
            on_self = attribute and i > 1 and tokens[i - 2].string == "self"
            defining = prev is not None and prev.string in ("def", "cdef", "cpdef")
            called = i + 1 < len(tokens) and tokens[i + 1].string == "("
            # Imported under any name (`from numpy import dot as d`), reached as an attribute
            # (`np.dot`, `U.dot`, `mm = np.matmul`), or called when the file does not define it.
            if (not defining and not on_self
                    and (imported(tokens, i) or attribute or (called and t.string not in own))):
                return (t.start[0], t.string)
        if t.type == tokenize.OP and t.string == "@=":
            return (t.start[0], "the @= operator")
    return None if seen_loop else ("no loop", None)


HERE = os.path.dirname(os.path.abspath(__file__))


def helpers(path):
    """The other files of the step's folder its code runs: modules imported from there (by the
    step or by each other, so far) and a Cython file's `include`d files."""
    folder = os.path.dirname(os.path.abspath(path))
    found = []
    for m in list(sys.modules.values()):
        f = getattr(m, "__file__", None)
        if not f:
            continue
        f = os.path.abspath(f)
        if os.path.dirname(f) == HERE and os.path.basename(f).startswith("_lab_"):
            continue  # the harness itself
        if (os.path.dirname(f) == folder and f != os.path.abspath(path)
                and f.endswith((".py", ".pyx")) and f not in found):
            found.append(f)
    if path.endswith(".pyx"):
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                text = fh.read()
        except OSError:
            text = ""
        for inc in re.findall(r"""^\s*include\s+["']([^"']+)["']""", text, re.M):
            f = os.path.abspath(os.path.join(folder, inc))
            if f not in found:
                found.append(f)
    return found


def step_product(path):
    """library_product over the step's file and its helpers: (file, where) for the first
    product or escape in any of them, (path, ("no loop", None)) when none of them has a loop,
    or None. A loop in a helper (a kernel kept in its own module) is the step's loop."""
    found = helpers(path)
    own = set()
    for f in [path] + found:
        tokens = read_tokens(f)
        if tokens is not None:
            own |= defined(tokens)
    where = library_product(path, own)
    if where is not None and where != ("no loop", None):
        return (path, where)
    looped = where is None
    for f in found:
        w = library_product(f, own)
        if w is None:
            looped = True
        elif w != ("no loop", None):
            return (f, w)
    return None if looped else (path, ("no loop", None))


def refusal(where, name, at, products):
    """Why a step of its own loops does not count, from what step_product found in file `at`
    (None: it may): what reaches code the text does not name, NumPy's reductions in or for a
    loop; with `products` (once the function has run), a library's product, or no loop."""
    if where == ("no loop", None):
        if products:
            return ("%s has no loop (nor do the modules of its folder it imports): this step "
                    "is your own loops, compiled (NumPy's matrix product answers it, but it is "
                    "not this step)" % name)
        return None
    if where[1].startswith("module "):
        return ("%s:%d imports %s, a module from outside the lab (neither Python's own, NumPy, "
                "Numba nor Cython), whose code these checks cannot read: in this step the code is "
                "yours; keep a helper in the step's folder, where it is read too"
                % (at, where[0], where[1][len("module "):]))
    if where[1] in ESCAPES:
        return ("%s:%d uses %s, which reaches code the file's text does not name (or runs "
                "Python inside compiled code): in this step write the names you use, and the "
                "products as your own loops" % (at, where[0], where[1]))
    if where[1].endswith("taken as a value"):
        return ("%s:%d has NumPy's %s: a reduction kept under another name to call in a loop; "
                "compute the norms once before the loops (NumPy is fine there, called by its "
                "name) and write the products as your own loops over k, typed and compiled"
                % (at, where[0], where[1]))
    if where[1].endswith("in a loop"):
        return ("%s:%d calls NumPy's %s: a loop handing each row to NumPy; compute the norms "
                "once before the loops (NumPy is fine there) and write the products as your "
                "own loops over k, typed and compiled" % (at, where[0], where[1]))
    if products:
        return ("%s:%d uses %s, a library's product: in this step the products are your own "
                "loops (the sum over k of U[i, k] * U[j, k], written out and compiled)"
                % (at, where[0], where[1]))
    return None

