"""A small similarity service: each request brings a batch of embeddings and asks for every
row's nearest neighbours in the batch. This is the fixed twin of
`leak_service.py`: the cache that never hit is gone.

    python3 leak_service_fixed.py [--requests 3] [--rows 2000] [--dim 768] [--pause 0.3]

After each request it logs `request N done at T` (T: the time, seconds since the epoch) and pauses, so that its memory can be read from
outside while it is idle.
"""

import argparse
import sys
import time
import uuid

import numpy as np

def receive(rows, dim, seed):
    """One request: an id and its batch of float32 embeddings."""
    rng = np.random.default_rng(seed)
    return str(uuid.uuid4()), rng.standard_normal((rows, dim), dtype=np.float32)


def normalise_rows(request_id, x):
    """Unit-length rows. No cache: a request's id never repeats, so a cache keyed by it never
    hits, and the batch is freed when the request is answered."""
    del request_id
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1
    return x / norms


def similarity(xn):
    """Cosine similarities of every pair of rows."""
    return xn @ xn.T


def top_neighbours(s, k=5):
    """Each row's k most similar other rows."""
    np.fill_diagonal(s, -np.inf)
    return np.argpartition(-s, k, axis=1)[:, :k]


def handle(rows, dim, seed):
    request_id, x = receive(rows, dim, seed)
    xn = normalise_rows(request_id, x)
    s = similarity(xn)
    return top_neighbours(s)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--requests", type=int, default=3)
    p.add_argument("--rows", type=int, default=2000)
    p.add_argument("--dim", type=int, default=768)
    p.add_argument("--pause", type=float, default=0.3)
    a = p.parse_args()
    for i in range(1, a.requests + 1):
        handle(a.rows, a.dim, seed=i)
        print(f"request {i} done at {time.time():.3f}", flush=True)
        time.sleep(a.pause)
    return 0


if __name__ == "__main__":
    sys.exit(main())
