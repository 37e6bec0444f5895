"""The bytecode lesson's two pairs: their source, their dis.dis output, and their timings.

    python3 bytecode.py PAIR          # prints one JSON object

PAIR is "dot" (an index loop against sum(map(operator.mul, a, b))) or "build" (an append loop
against a list comprehension). "ratio" is how many times faster b is than a: the median of
rounds that time a and b alternately, with "ratio_low" and "ratio_high" its quartiles.
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


def median(xs):
    q = sorted(xs)
    n = len(q)
    return q[n // 2] if n % 2 else (q[n // 2 - 1] + q[n // 2]) / 2


def calibrate(fa, fb):
    """Calls per timing so that the slower version takes about 20 ms a round."""
    number = 1
    while True:
        t = max(timeit.timeit(fa, number=number), timeit.timeit(fb, number=number))
        if t >= 0.02 or number >= 1 << 20:
            return number
        number *= 2


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
    # The two versions alternate, round after round, so that anything else on the machine
    # (another build, a frequency change) slows both alike; each round's ratio is paired and the
    # median of the rounds is reported, with the quartiles as its spread.
    number = calibrate(lambda: fa(*args), lambda: fb(*args))
    rounds = 3 if "--quick" in sys.argv else 11
    ta_all, tb_all, ratios = [], [], []
    for r in range(rounds):
        order = [(fa, ta_all), (fb, tb_all)] if r % 2 == 0 else [(fb, tb_all), (fa, ta_all)]
        for fn, out in order:
            out.append(timeit.timeit(lambda: fn(*args), number=number) / number)
        ratios.append(ta_all[-1] / tb_all[-1])
    ta, tb, ratio = median(ta_all), median(tb_all), median(ratios)
    q = sorted(ratios)
    low, high = q[len(q) // 4], q[(3 * len(q)) // 4]
    print(json.dumps({
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "machine": platform.processor() or platform.machine(),
        "a_src": a_src, "a_dis": a_dis, "b_src": b_src, "b_dis": b_dis,
        "a_s": ta, "b_s": tb, "ratio": ratio,
        "ratio_low": low, "ratio_high": high, "rounds": rounds,
    }))


if __name__ == "__main__":
    main()
