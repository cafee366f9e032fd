"""PyTorch side of torch_agreement_test.cpp.

Reads the initial weights and the data the C++ test wrote (an .npz), trains the same
4-8-3 tanh MLP in float64 with each optimizer configuration, and writes each step's loss and
the final weights to another .npz. Run with Debian's /usr/bin/python3 (python3-torch).
Usage: torch_reference.py INPUT.npz OUTPUT.npz
"""
import sys

import numpy as np
import torch

CONFIGS = {
    "sgd": lambda params: torch.optim.SGD(params, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    "adam": lambda params: torch.optim.Adam(params, lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.001),
    "adamw": lambda params: torch.optim.AdamW(params, lr=0.01, weight_decay=0.05, amsgrad=True),
}


def main(inp, out):
    data = np.load(inp)
    x = torch.from_numpy(data["x"])
    y = torch.from_numpy(data["y"])
    batch = int(data["batch_size"])
    steps = int(data["steps"])
    per_epoch = x.shape[0] // batch
    results = {}
    for name, make_optimizer in CONFIGS.items():
        model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3)).double()
        with torch.no_grad():
            for key, p in model.named_parameters():
                p.copy_(torch.from_numpy(data[key]))
        optimizer = make_optimizer(model.parameters())
        loss_fn = torch.nn.CrossEntropyLoss()
        losses = []
        for step in range(steps):
            b = step % per_epoch
            xb, yb = x[b * batch:(b + 1) * batch], y[b * batch:(b + 1) * batch]
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        results[name + ".losses"] = np.array(losses)
        for key, p in model.named_parameters():
            results[name + "." + key] = p.detach().numpy()
    np.savez(out, **results)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
