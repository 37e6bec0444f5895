# cython: boundscheck=False, wraparound=False, language_level=3
"""The algorithm step's loops with C types: a typed memoryview, no bounds checks."""


def rows_of_s(float[:, ::1] xn, Py_ssize_t start, Py_ssize_t end, float[:, ::1] out):
    cdef Py_ssize_t n = xn.shape[0], d = xn.shape[1], i, j, k
    cdef float s
    for i in range(start, end):
        for j in range(n):
            s = 0
            for k in range(d):
                s += xn[i, k] * xn[j, k]
            out[i - start, j] = s
