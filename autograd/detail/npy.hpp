// .npy arrays (numpy's format for one array), the members of an .npz archive: autograd/npy.cpp
// writes and reads them, autograd/npz.cpp puts them in and takes them out of the zip.
#pragma once

#include <autograd/tensor.hpp>

#include <string>

namespace xg::detail {

/// The .npy bytes of `t` (what numpy.save writes), dtype and shape as they are.
std::string dump_npy(const Tensor& t);

/// The tensor the .npy bytes of `entry` in the archive `path` hold: float32, float64 and int64
/// as they are, the other integer and bool types as int64. The header is checked against the
/// bytes before anything is allocated; IOError naming the entry and the path for anything that
/// is not a valid .npy array of a readable dtype.
Tensor parse_npy(const std::string& bytes, const std::string& path, const std::string& entry);

}  // namespace xg::detail
