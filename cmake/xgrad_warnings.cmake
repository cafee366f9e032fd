# Warnings for xgrad's own targets. maybe-uninitialized fires inside GCC's AVX-512
# intrinsics headers with XSIMD (TOOLCHAIN.md pitfall 3), not in our code.
function(xgrad_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wno-maybe-uninitialized)
endfunction()
