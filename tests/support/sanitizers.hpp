// Whether this test program was built with a sanitizer (scripts/test --asan / --tsan), for the
// few tests that cannot run under one: capping the address space with setrlimit, say, which
// fails at once when the sanitizer has reserved terabytes of shadow memory.
#pragma once

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define XGRAD_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define XGRAD_TEST_SANITIZED 1
#endif
#endif
#ifndef XGRAD_TEST_SANITIZED
#define XGRAD_TEST_SANITIZED 0
#endif
