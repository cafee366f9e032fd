#!/usr/bin/python3
"""Writes tiny synthetic MNIST-format IDX files for mnist_mlp's reader test (standard library only).

    make_idx.py OUT_DIR [--train 300] [--test 100] [--seed 0]

OUT_DIR gets train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and
t10k-labels-idx1-ubyte, laid out as the IDX spec (yann.lecun.com/exdb/mnist) says: a big-endian
int32 magic number 0x00000803 (unsigned bytes, 3 dimensions) or 0x00000801 (1 dimension), one
big-endian int32 per dimension, then the bytes row-major. Digit d is a bright 5x5 square in cell
(d // 5, d % 5) of a 2 x 5 grid, moved by up to one pixel, on faint noise: a pattern per class
that a network learns in one epoch.
"""
import argparse
import os
import random
import struct

ROWS = COLS = 28


def image(digit, rng):
    pixels = bytearray(rng.randrange(0, 40) for _ in range(ROWS * COLS))
    top = 6 + 10 * (digit // 5) + rng.randint(-1, 1)
    left = 2 + 5 * (digit % 5) + rng.randint(-1, 1)
    for r in range(top, top + 5):
        for c in range(left, left + 5):
            if 0 <= r < ROWS and 0 <= c < COLS:
                pixels[r * COLS + c] = rng.randrange(200, 256)
    return bytes(pixels)


def write_set(out_dir, prefix, count, rng):
    labels = [i % 10 for i in range(count)]  # every digit equally often
    rng.shuffle(labels)
    with open(os.path.join(out_dir, f"{prefix}-images-idx3-ubyte"), "wb") as f:
        f.write(struct.pack(">iiii", 0x00000803, count, ROWS, COLS))
        for label in labels:
            f.write(image(label, rng))
    with open(os.path.join(out_dir, f"{prefix}-labels-idx1-ubyte"), "wb") as f:
        f.write(struct.pack(">ii", 0x00000801, count))
        f.write(bytes(labels))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir")
    parser.add_argument("--train", type=int, default=300, help="training images (default 300)")
    parser.add_argument("--test", type=int, default=100, help="test images (default 100)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    rng = random.Random(args.seed)
    write_set(args.out_dir, "train", args.train, rng)
    write_set(args.out_dir, "t10k", args.test, rng)
    print(f"wrote {args.train} train and {args.test} test images (IDX) to {args.out_dir}")


if __name__ == "__main__":
    main()
