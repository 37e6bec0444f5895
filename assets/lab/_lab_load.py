"""Loads a lab step for the harness: a Python file as it reads now, a .pyx file compiled by
Cython, a PyO3 crate built by cargo. Holds the exit codes and the one-line reason every
failure ends with.
"""

import contextlib
import hashlib
import importlib
import importlib.machinery
import importlib.util
import io
import os
import re
import shutil
import subprocess
import sys

# Exit codes: 3 the step could not be loaded, 4 it raised, 5 it returned the wrong thing.
LOAD, RAISED, WRONG = 3, 4, 5


ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# A reason is one line a person reads at a glance.
MAX_LINE = 300


def one_line(text):
    """The first meaningful line of text, without terminal colours, at most MAX_LINE long."""
    for line in ANSI.sub("", str(text)).splitlines():
        line = line.strip()
        if line:
            return line if len(line) <= MAX_LINE else line[: MAX_LINE - 1] + "…"
    return ""


class Reported(SystemExit):
    """An exit whose reason is already written: never taken for the student's own."""


def fail(code, line, detail=""):
    # On a line of its own whatever the step left unfinished ("working..." with no newline),
    # and last: the process ends here, so no exit handler or thread of the step's writes
    # after it.
    sys.stdout.flush()
    sys.stderr.write("\n")
    if detail:
        sys.stderr.write(detail.rstrip("\n") + "\n")
    # Marked as the harness's own (see SUMMARY_MARK in ladder's peers): a line the step
    # printed before its process ended is never taken for the reason.
    sys.stderr.write("why: " + one_line(line) + "\n")
    sys.stderr.flush()
    os._exit(code)


# The copy of a .pyx file that Cython compiles: its frames are the student's file's.
COPIES = set()


def shown(path):
    """The step's file as the student knows it: its name, or for a Rust crate's src/lib.rs,
    the path from the crate's folder (06_pyo3/src/lib.rs)."""
    if path.endswith(".rs"):
        crate = os.path.dirname(os.path.dirname(path))
        return os.path.relpath(path, os.path.dirname(crate))
    return os.path.basename(path)


def crate_names(manifest):
    """The package's name and its library's in a Cargo.toml ([lib] name, else the package's
    name with '_')."""
    with open(manifest, encoding="utf-8") as f:
        text = f.read()
    section, names = None, {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        head = re.fullmatch(r"\[([^\]]+)\]", line)
        if head:
            section = head.group(1).strip()
            continue
        said = re.fullmatch(r'name\s*=\s*"([^"]+)"', line)
        if said and section in ("lib", "package"):
            names[section] = said.group(1)
    package = names.get("package", "")
    return package, names.get("lib") or package.replace("-", "_")


def forget_other_crate(target, package, lib, crate):
    """Every lab's crate has the same names, and a library's file is not named by its crate:
    when another crate built them last in the shared folder, its outputs and fingerprints go,
    so cargo builds this one (its dependencies stay built)."""
    owner = os.path.join(target, "owner-%s" % lib)
    try:
        with open(owner, encoding="utf-8") as f:
            last = f.read()
    except OSError:
        last = None
    if last == crate:
        return owner
    release = os.path.join(target, "release")
    fingerprints = os.path.join(release, ".fingerprint")
    if os.path.isdir(fingerprints):
        for d in os.listdir(fingerprints):
            if d.rsplit("-", 1)[0] == package:
                shutil.rmtree(os.path.join(fingerprints, d), ignore_errors=True)
    for folder in (release, os.path.join(release, "deps")):
        for leaf in ("lib%s.so" % lib, "lib%s.dylib" % lib, "%s.dll" % lib):
            with contextlib.suppress(OSError):
                os.remove(os.path.join(folder, leaf))
    return owner


def build_rust(path):
    """A step written in Rust: path is a PyO3 crate's src/lib.rs. cargo builds the crate (on
    first use, and again when its sources change: cargo decides) into a folder beside this
    harness, shared by every lab so the dependencies are compiled once; the module is loaded
    from a copy of its own."""
    src = os.path.dirname(path)
    crate = os.path.dirname(src)
    name = shown(path)
    folder = os.path.basename(crate)
    manifest = os.path.join(crate, "Cargo.toml")
    if os.path.basename(src) != "src" or not os.path.isfile(manifest):
        fail(LOAD, "%s: a Rust step is a crate's src/lib.rs, with Cargo.toml in the folder above" % name)
    cargo = shutil.which("cargo")
    if not cargo:
        fail(LOAD, "%s: cargo is not on PATH: install Rust (https://rustup.rs) to build this step" % name)
    package, lib = crate_names(manifest)
    if not lib:
        fail(LOAD, "%s/Cargo.toml names no [lib] (name = \"...\", the #[pymodule]'s name)" % folder)
    here = os.path.dirname(os.path.abspath(__file__))
    build = os.path.join(here, "_lab_build")
    target = os.path.join(build, "rust-target")
    # The target folder too: cargo makes it only once it runs, and a cargo that cannot start
    # (rustup with no toolchain chosen) must be told, not the missing folder.
    os.makedirs(target, exist_ok=True)
    tag = hashlib.sha256(crate.encode()).hexdigest()[:10]
    mine = os.path.join(build, "rust-%s" % tag)
    os.makedirs(mine, exist_ok=True)
    # PyO3 builds for the interpreter that will load it: this one.
    env = dict(os.environ, PYO3_PYTHON=sys.executable)
    command = [cargo, "build", "--release", "--lib", "--quiet", "--message-format", "short",
               "--manifest-path", manifest, "--target-dir", target]
    # One build at a time in the shared folder, and the library copied out before another
    # lab's build can replace it.
    with open(os.path.join(build, "rust.lock"), "a") as lock:
        try:
            import fcntl

            fcntl.flock(lock, fcntl.LOCK_EX)
        except ImportError:  # not a POSIX system: builds are not shared safely, but work
            pass
        owner = forget_other_crate(target, package, lib, crate)
        done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=crate)
        said = done.stderr.replace(crate + os.sep, "")
        with open(owner, "w", encoding="utf-8") as f:
            f.write(crate if done.returncode == 0 else "")
        if done.returncode != 0:
            # rustc's short form: "src/lib.rs:LINE:COL: error[E0425]: message".
            errors = re.findall(r"^(\S+?):(\d+):(\d+): error(?:\[\w+\])?: (.*)$", said, re.M)
            if errors:
                file, line, col, what = errors[0]
                more = " (and %d more)" % (len(errors) - 1) if len(errors) > 1 else ""
                fail(LOAD, "%s/%s:%s:%s: rustc: %s%s" % (folder, file, line, col, what, more), said)
            first = next((l for l in said.splitlines() if l.startswith("error")), "") or one_line(said)
            # A rustup with no toolchain chosen (or none installed) is not the student's code.
            if re.search(r"rustup could not choose|no default toolchain|toolchain '.*' is not "
                         r"installed|is not installed", said):
                fail(LOAD, "%s needs a Rust toolchain, and cargo has none to run (%s): install "
                     "one with `rustup default stable` (or from https://rustup.rs), then save "
                     "again; this step is optional" % (folder, first.removeprefix("error: ").rstrip(".")),
                     "")
            fail(LOAD, "%s did not build: %s" % (folder, first or "see cargo's output"), said)
        built = None
        for leaf in ("lib%s.so" % lib, "lib%s.dylib" % lib, "%s.dll" % lib):
            candidate = os.path.join(target, "release", leaf)
            if os.path.isfile(candidate):
                built = candidate
                break
        if built is None:
            fail(LOAD, "%s built, but no library %s came out: is crate-type = [\"cdylib\"] in its [lib]?"
                 % (folder, lib))
        # The extension's file name ends as Python expects one to on this system.
        suffix = ".pyd" if os.name == "nt" else ".so"
        copy = os.path.join(mine, lib + suffix)
        tmp = "%s.%d.tmp" % (copy, os.getpid())
        shutil.copyfile(built, tmp)
        os.replace(tmp, copy)
    loader = importlib.machinery.ExtensionFileLoader(lib, copy)
    spec = importlib.util.spec_from_file_location(lib, copy, loader=loader)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except ImportError as e:
        fail(LOAD, "%s built, but Python cannot load it: %s (is the #[pymodule] named %s?)"
             % (folder, one_line(e), lib))
    return module


def load(path):
    """The student's module. A .pyx file is compiled by Cython on first use (pyximport) into
    a build folder beside this harness, rebuilt only when its text changes."""
    base = os.path.splitext(os.path.basename(path))[0]
    # Named by the file's full path, so two labs never share a compiled module.
    tag = hashlib.sha256(path.encode()).hexdigest()[:10]
    mod_name = "lab_step_%s_%s" % ("".join(c if c.isalnum() else "_" for c in base), tag)
    if path.endswith(".rs"):
        return build_rust(path)
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
        # The files it includes are part of it: a change to one compiles it again (the copy
        # differs by a last comment line, so no line number moves).
        included = hashlib.sha256()
        for inc in re.findall(rb"""^\s*include\s+["']([^"']+)["']""", text, re.M):
            try:
                with open(os.path.join(os.path.dirname(path), inc.decode("utf-8", "replace")), "rb") as f:
                    included.update(f.read())
            except OSError:
                pass
        text += b"\n# included: " + included.hexdigest().encode() + b"\n"
        old = None
        if os.path.exists(copy):
            with open(copy, "rb") as f:
                old = f.read()
        if old != text:
            # Whole or not at all: another check may be compiling it now.
            tmp = "%s.%d.tmp" % (copy, os.getpid())
            with open(tmp, "wb") as f:
                f.write(text)
            os.replace(tmp, copy)
        sys.path.insert(0, build)
        import numpy

        # NumPy's headers, for a step that does `cimport numpy`; the step's folder, for a
        # file it `include`s (compiled from a copy elsewhere, it would not be found).
        pyximport.install(
            build_dir=os.path.join(build, "out"),
            setup_args={"include_dirs": [numpy.get_include(),
                                         os.path.dirname(os.path.abspath(path))]},
            language_level=3,
            inplace=False,
        )
        said = io.StringIO()
        try:
            with contextlib.redirect_stderr(said):
                return importlib.import_module(mod_name)
        except ImportError as e:
            # Cython's own words: "COPY.pyx:LINE:COL: message", said on stderr while compiling.
            errors = re.findall(r"%s:(\d+):(\d+): (.*)" % re.escape(os.path.basename(copy)), said.getvalue())
            if errors:
                line, col, what = errors[0]
                more = " (and %d more)" % (len(errors) - 1) if len(errors) > 1 else ""
                fail(LOAD, "%s:%s:%s: Cython: %s%s" % (base + ".pyx", line, col, what, more),
                     said.getvalue().replace(copy, path))
            if "Building module" in str(e):
                # Cython and the C compiler may say it on stderr, or only in the error.
                why = one_line(said.getvalue()) or one_line(
                    str(e).replace(copy, base + ".pyx").replace(mod_name, base))
                fail(LOAD, "%s.pyx did not compile: %s" % (base, why or "see the compiler's output"),
                     said.getvalue().replace(copy, path))
            raise
    spec = importlib.util.spec_from_file_location(mod_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[mod_name] = module
    if path.endswith(".py"):
        # Compiled from the text checked, never from a cached .pyc: a stale one with the
        # file's size and time would run other code than the file shows.
        with open(path, "rb") as f:
            code = compile(f.read(), path, "exec", dont_inherit=True)
        exec(code, module.__dict__)
    else:
        spec.loader.exec_module(module)
    return module
