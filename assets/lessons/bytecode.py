"""The bytecode lesson's two pairs: their source, their dis.dis output, and their timings.

    python3 bytecode.py PAIR          # prints one JSON object

PAIR is "dot" (an index loop against sum(map(operator.mul, a, b))) or "build" (an append loop
against a list comprehension). "ratio" is how many times faster b is than a.
"""

import dis
import io
import json
import operator
import platform
import sys
import timeit

DOT_A = '''def dot_loop(a, b):
    s = 0.0
    for i in range(len(a)):
        s += a[i] * b[i]
    return s
'''
DOT_B = '''def dot_map(a, b):
    return sum(map(operator.mul, a, b))
'''
BUILD_A = '''def build_append(xs):
    out = []
    for x in xs:
        out.append(x * 2)
    return out
'''
BUILD_B = '''def build_comprehension(xs):
    return [x * 2 for x in xs]
'''
PAIRS = {"dot": (DOT_A, DOT_B), "build": (BUILD_A, BUILD_B)}


def disassemble(src):
    ns = {"operator": operator}
    exec(src, ns)
    fn = next(v for k, v in ns.items() if callable(v) and k != "operator")
    out = io.StringIO()
    dis.dis(fn, file=out)
    return fn, out.getvalue()


def main():
    pair = sys.argv[1]
    a_src, b_src = PAIRS[pair]
    fa, a_dis = disassemble(a_src)
    fb, b_dis = disassemble(b_src)
    if pair == "dot":
        x = [float(i % 7) for i in range(768)]
        args = (x, x)
    else:
        args = (list(range(10_000)),)
    # Best of 5 repeats: the least disturbed by anything else on the machine.
    number = 200
    ta = min(timeit.repeat(lambda: fa(*args), number=number, repeat=5)) / number
    tb = min(timeit.repeat(lambda: fb(*args), number=number, repeat=5)) / number
    print(json.dumps({
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "machine": platform.processor() or platform.machine(),
        "a_src": a_src, "a_dis": a_dis, "b_src": b_src, "b_dis": b_dis,
        "a_s": ta, "b_s": tb, "ratio": ta / tb,
    }))


if __name__ == "__main__":
    main()
