// NumPy .npz archives of tensors (numpy.savez / numpy.load compatible).
#pragma once

#include <autograd/tensor.hpp>

#include <map>
#include <string>

namespace xg {

/// Writes `tensors` as `<key>.npy` entries of an uncompressed zip (what numpy.savez writes).
/// The archive is written to a temporary file beside `path` and renamed over it, so a crash
/// never leaves a half-written file. Throws IOError naming the path on failure.
void save_npz(const std::string& path, const std::map<std::string, Tensor>& tensors);

/// Reads every entry of an .npz archive: float32, float64 and int64 arrays as they are, int32,
/// uint32, int8, uint8 and bool arrays converted to int64; C or Fortran order. Other dtypes
/// (float16, int16, uint64, complex, big-endian) throw IOError. Throws IOError naming the path and
/// the entry for a missing, truncated or corrupt file.
std::map<std::string, Tensor> load_npz(const std::string& path);

}  // namespace xg
