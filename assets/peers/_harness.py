"""The peer protocol, shared by the shipped peers (see the README's "Peers" section).

ladder runs a peer with --input X.npy --rows START:END --k K --threads T --output OUT.npy
[--sims SIMS.npy]. The peer computes rows START..END (END excluded) of the cosine-similarity
matrix of X (or each of those rows' K nearest other rows), writes them as .npy, and prints one
JSON line with its own set-up and kernel seconds. Everything here works without NumPy, so the
pure-Python peers need nothing installed.
"""

import argparse
import array
import json
import os
import struct
import sys
import time


def args():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--input", required=True)
    p.add_argument("--rows", required=True, help="START:END")
    p.add_argument("--k", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--output", required=True)
    p.add_argument("--sims")
    p.add_argument("--param", action="append", default=[], help="NAME=VALUE")
    a = p.parse_args()
    start, end = (int(v) for v in a.rows.split(":"))
    a.start, a.end = start, end
    a.params = dict(kv.split("=", 1) for kv in a.param)
    return a


def read_npy_lists(path):
    """The float32 C-order (n, d) array at path, as a list of rows of Python floats."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:6] != b"\x93NUMPY":
        sys.exit(f"{path}: not a .npy file")
    hlen = struct.unpack("<H", data[8:10])[0]
    header = data[10 : 10 + hlen].decode("latin1")
    if "'<f4'" not in header:
        sys.exit(f"{path}: expected float32 data, header {header}")
    shape = header.split("'shape': (")[1].split(")")[0]
    n, d = (int(v) for v in shape.split(",") if v.strip())
    flat = array.array("f")
    flat.frombytes(data[10 + hlen :])
    if sys.byteorder != "little":
        flat.byteswap()
    return [flat[i * d : (i + 1) * d].tolist() for i in range(n)]


def write_npy(path, typecode, descr, rows, cols, values):
    """Writes a flat sequence as a C-order (rows, cols) .npy of the given dtype."""
    header = "{'descr': '%s', 'fortran_order': False, 'shape': (%d, %d), }" % (descr, rows, cols)
    pad = (-(10 + len(header) + 1)) % 64
    header = header + " " * pad + "\n"
    body = array.array(typecode, values)
    if sys.byteorder != "little":
        body.byteswap()
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1"))
        f.write(body.tobytes())


def without_self(ids, sims, start, k):
    """Each query row's k best neighbours from an index that also finds the row itself: drop
    it (or the last one when it is missing). NumPy arrays in, (ids, sims) arrays out."""
    import numpy as np

    out_i = np.empty((len(ids), k), np.int64)
    out_s = np.empty((len(ids), k), np.float32)
    for r in range(len(ids)):
        keep = ids[r] != start + r
        if keep.all():
            keep[-1] = False
        out_i[r] = ids[r][keep][:k]
        out_s[r] = sims[r][keep][:k]
    return out_i, out_s


def report(setup_s, kernel_s, **extra):
    print(json.dumps({"setup_s": setup_s, "kernel_s": kernel_s, **extra}), flush=True)


class Clock:
    """Set-up from here to `kernel()`; kernel from there to `stop()` (before the result is
    written: writing it is the protocol's cost, not the kernel's)."""

    def __init__(self):
        self.t0 = time.perf_counter()
        self.t1 = self.t2 = None

    def kernel(self):
        # Tell ladder the set-up is over: its hang limit counts from here, so a slow first
        # compile is not taken for a hung kernel. (Before the clock starts: not kernel time.)
        mark = os.environ.get("LADDER_KERNEL_MARK")
        if mark:
            open(mark, "w").close()
        self.t1 = time.perf_counter()

    def stop(self):
        self.t2 = time.perf_counter()

    def done(self, **extra):
        if self.t2 is None:
            self.stop()
        report(self.t1 - self.t0, self.t2 - self.t1, **extra)
