# Warnings for xgrad's own targets. maybe-uninitialized fires inside GCC's AVX-512
# intrinsics headers with XSIMD (docs/toolchain.md, "AVX-512 intrinsics and uninitialized warnings"), not in our code; GCC 12 flags every
# designated initialiser that leaves a member at its default (`{.lr = 0.1}`), which is how
# xgrad's option structs are meant to be used.
function(xgrad_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wno-missing-field-initializers
                                           $<$<CXX_COMPILER_ID:GNU>:-Wno-maybe-uninitialized>)
endfunction()
