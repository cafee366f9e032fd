// Checkpoints: a module's parameters as a NumPy .npz archive keyed by their dotted names.
#pragma once

#include <nn/module.hpp>

#include <map>
#include <string>

namespace xg::nn {

/// The parameters, detached (sharing their storage, as torch's: clone() them for a snapshot),
/// keyed by dotted name ("0.weight").
std::map<std::string, Tensor> state_dict(const Module& module);
/// Copies `state` into the module's parameters. Every name, shape and dtype is checked first
/// (missing or unexpected keys, as torch's strict loading): on any mismatch it throws naming
/// it, and the module is left untouched.
void load_state_dict(Module& module, const std::map<std::string, Tensor>& state);

/// Writes the state dict as .npz (readable by numpy.load), atomically: a temporary file is
/// renamed over `path`, so a crash never leaves a half-written checkpoint.
void save(const Module& module, const std::string& path);
/// Reads an .npz written by save() (or numpy.savez with the same keys) into the module; a
/// corrupt file or any mismatch throws and leaves the module untouched.
void load(Module& module, const std::string& path);

}  // namespace xg::nn
