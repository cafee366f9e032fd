#!/usr/bin/python3
"""PyTorch's side of bench/compare: the workloads of xgrad_bench.cpp, same shapes, float32.

    torch_bench.py WORKLOAD [--seconds S] [--repetitions R] [--warmup W] [--threads N]

prints one line of JSON: {"workload", "median_s", "repetitions", "iterations", "rep_means_s", ...}.
Also the teaching baseline of workload 6: the 2-4-1 net in a micrograd-style scalar engine
written here. Debian's torch imports only with /usr/bin/python3.

The statistic is xgrad_bench's under bench/compare (Google Benchmark 1.7 with
--benchmark_min_warmup_time=W --benchmark_min_time=S/R --benchmark_repetitions=R), by the same
rules, reproduced in measure() below (as libtorch_bench.cpp does): a warm-up of batches growing until
one lasts W; then R repetitions, each one batch of N iterations timed as a whole, N found once
before the first repetition by Google Benchmark's rule (grow the batch until it lasts at least S/R
of the calling thread's CPU time, or 5 * S/R of wall time); median_s is the median of the R
repetition means (wall seconds per iteration). As Google Benchmark calls a benchmark's function
afresh for every batch, the workload is built afresh (untimed) for every batch.
"""
import argparse
import json
import math
import random
import resource
import statistics
import time

import torch
import torch.nn.functional as F


def mlp(batch, hidden=256, sigmoid=False):
    torch.manual_seed(0)
    act = torch.nn.Sigmoid() if sigmoid else torch.nn.ReLU()
    net = torch.nn.Sequential(torch.nn.Linear(784, hidden), act, torch.nn.Linear(hidden, 10))
    sgd = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(batch, 784)
    labels = torch.randint(0, 10, (batch,))

    def step():
        sgd.zero_grad(set_to_none=True)  # as xgrad's default (torch 1.13's default zeroes in place)
        loss = F.cross_entropy(net(x), labels)
        loss.backward()
        sgd.step()
        return loss.item()

    return step


def scalar_chain():
    x = torch.tensor(0.5, requires_grad=True)

    def run():
        y = x
        for _ in range(333):
            y = torch.tanh(y * 1.01 + 0.1)
        y.backward()
        x.grad = None

    return run


def linear1024():
    torch.manual_seed(0)
    layer = torch.nn.Linear(1024, 1024)
    x = torch.randn(1024, 1024, requires_grad=True)  # so that backward computes all three products
    g = torch.ones(1024, 1024)

    def run():
        layer.zero_grad(set_to_none=True)
        x.grad = None
        layer(x).backward(g)

    return run


def mnist_epoch():
    torch.manual_seed(0)
    n, batch = 8000, 64
    images = torch.rand(n, 784)
    labels = torch.randint(0, 10, (n,))
    net = torch.nn.Sequential(torch.nn.Linear(784, 16), torch.nn.Sigmoid(), torch.nn.Linear(16, 10))
    sgd = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    xs, ys = images.split(batch), labels.split(batch)

    def run():
        for xb, yb in zip(xs, ys):
            sgd.zero_grad(set_to_none=True)
            F.cross_entropy(net(xb), yb).backward()
            sgd.step()

    return run


def xor_step():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.Sigmoid(), torch.nn.Linear(4, 1), torch.nn.Sigmoid())
    sgd = torch.optim.SGD(net.parameters(), lr=0.5, momentum=0.9)
    x = torch.tensor([[0.0, 0], [0, 1], [1, 0], [1, 1]])
    y = torch.tensor([[0.0], [1], [1], [0]])

    def run():
        sgd.zero_grad(set_to_none=True)
        loss = F.mse_loss(net(x), y)
        loss.backward()
        sgd.step()

    return run


def views():
    x = torch.randn(1024, 1024)

    def run():
        return (x.reshape(1024 * 1024), x.t(), x[10:500], x[3])

    return run


# ---- micrograd-style scalar engine: the teaching baseline ----

class Value:
    __slots__ = ("data", "grad", "_backward", "_prev")

    def __init__(self, data, children=()):
        self.data = data
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = children

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other))

        def _backward():
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other))

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __sub__(self, other):
        return self + (other * -1.0 if isinstance(other, Value) else -other)

    def sigmoid(self):
        s = 1.0 / (1.0 + math.exp(-self.data))
        out = Value(s, (self,))

        def _backward():
            self.grad += s * (1.0 - s) * out.grad

        out._backward = _backward
        return out

    def backward(self):
        topo, visited, stack = [], set(), [(self, False)]
        while stack:  # iterative, as xgrad's engine
            node, expanded = stack.pop()
            if expanded:
                topo.append(node)
                continue
            if id(node) in visited:
                continue
            visited.add(id(node))
            stack.append((node, True))
            stack.extend((child, False) for child in node._prev)
        self.grad = 1.0
        for node in reversed(topo):
            node._backward()


def micrograd_xor_step():
    rng = random.Random(0)
    w1 = [[Value(rng.uniform(-0.7, 0.7)) for _ in range(2)] for _ in range(4)]
    b1 = [Value(rng.uniform(-0.7, 0.7)) for _ in range(4)]
    w2 = [Value(rng.uniform(-0.5, 0.5)) for _ in range(4)]
    b2 = Value(rng.uniform(-0.5, 0.5))
    params = [p for row in w1 for p in row] + b1 + w2 + [b2]  # 17 parameters
    velocity = [0.0] * len(params)
    cases = [((0.0, 0.0), 0.0), ((0.0, 1.0), 1.0), ((1.0, 0.0), 1.0), ((1.0, 1.0), 0.0)]

    def run():
        for p in params:
            p.grad = 0.0
        loss = Value(0.0)
        for (x1, x2), target in cases:
            h = [(w1[j][0] * x1 + w1[j][1] * x2 + b1[j]).sigmoid() for j in range(4)]
            out = b2
            for j in range(4):
                out = out + w2[j] * h[j]
            d = out.sigmoid() - target
            loss = loss + d * d
        loss = loss * 0.25
        loss.backward()
        for k, p in enumerate(params):  # SGD lr 0.5 momentum 0.9, torch's rule
            velocity[k] = 0.9 * velocity[k] + p.grad  # buf = g on the first step, as 0.9 * 0 + g
            p.data -= 0.5 * velocity[k]

    return run


def memory(steps):
    step = mlp(64)
    rss = []
    for s in range(1, steps + 1):
        step()
        if s in (steps // 10, steps):
            with open("/proc/self/status") as f:
                rss.append(next(int(line.split()[1]) for line in f if line.startswith("VmRSS:")))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"steps": steps, "rss_kib_at_10pct": rss[0], "rss_kib_at_end": rss[1], "peak_kib": peak}


WORKLOADS = {
    "mlp_b64": lambda: mlp(64),
    "mlp_b512": lambda: mlp(512),
    "sigmoid_b1": lambda: mlp(1, 16, True),
    "scalar_chain": scalar_chain,
    "linear1024": linear1024,
    "mnist_epoch": mnist_epoch,
    "xor_step": xor_step,
    "views": views,
    "micrograd_xor_step": micrograd_xor_step,
}


MAX_ITERATIONS = 1_000_000_000  # Google Benchmark's kMaxIterations


def run_batch(make, iters):
    """One batch: a freshly built workload run iters times, timed as a whole; (wall s, thread CPU s)."""
    run = make()
    w0, c0 = time.perf_counter(), time.thread_time()
    for _ in range(iters):
        run()
    c1, w1 = time.thread_time(), time.perf_counter()
    return w1 - w0, c1 - c0


def long_enough(iters, wall, cpu, min_time):
    """Google Benchmark 1.7's ShouldReportIterationResults (CPU time decides, real time caps)."""
    return iters >= MAX_ITERATIONS or cpu >= min_time or wall >= 5 * min_time


def next_iters(iters, cpu, min_time):
    """Google Benchmark 1.7's PredictNumItersNeeded."""
    multiplier = min_time * 1.4 / max(cpu, 1e-9) if cpu / min_time > 0.1 else 10.0
    return min(math.floor(max(multiplier * iters, iters + 1.0) + 0.5), MAX_ITERATIONS)  # lround


def grow(make, min_time):
    """Batches from one iteration up, each longer, until one lasts min_time: (iters, its wall s)."""
    iters = 1
    while True:
        wall, cpu = run_batch(make, iters)
        if long_enough(iters, wall, cpu, min_time):
            return iters, wall
        iters = next_iters(iters, cpu, min_time)


def measure(make, seconds, repetitions, warmup):
    """The repetition means (wall s per iteration) and the batch size, as Google Benchmark measures."""
    if warmup > 0:
        grow(make, warmup)
    min_time = seconds / repetitions
    iters, wall = grow(make, min_time)  # its last batch is the first repetition
    means = [wall / iters]
    for _ in range(repetitions - 1):
        means.append(run_batch(make, iters)[0] / iters)
    return means, iters


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workload", choices=sorted(WORKLOADS) + ["memory"])
    parser.add_argument("--seconds", type=float, default=1.0,
                        help="measuring time, split over the repetitions (after warm-up)")
    parser.add_argument("--repetitions", type=int, default=3, help="repetitions; median_s is their median")
    parser.add_argument("--warmup", type=float, default=None,
                        help="warm-up time before measuring (default min(0.2, S/4))")
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    parser.add_argument("--steps", type=int, default=1000, help="steps of the memory workload")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.workload == "memory":
        print(json.dumps({"workload": "memory", **memory(args.steps)}))
        return
    warmup = min(0.2, args.seconds / 4) if args.warmup is None else args.warmup
    means, iters = measure(WORKLOADS[args.workload], args.seconds, max(1, args.repetitions), warmup)
    print(json.dumps({"workload": args.workload, "median_s": statistics.median(means), "repetitions": len(means),
                      "iterations": iters, "rep_means_s": means, "threads": torch.get_num_threads()}))

if __name__ == "__main__":
    main()
