/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Units and the arithmetic every layer does on sizes and times. Sizes are KiB
 * and times microseconds (STYLE: one unit per quantity); guest-reported sizes
 * reach 2^64 - 1, so sums and differences saturate instead of wrapping. */
#pragma once

#include <stdint.h>

#define KIB_PER_MIB 1024ULL
#define MIB KIB_PER_MIB                 /* one MiB, in KiB */
#define GIB (1024ULL * KIB_PER_MIB)     /* one GiB, in KiB */
#define USEC_PER_MSEC 1000ULL
#define USEC_PER_SEC 1000000ULL
#define NSEC_PER_USEC 1000ULL

static inline uint64_t sub_sat(uint64_t a, uint64_t b) {
        return a > b ? a - b : 0;
}

/* a + b, or UINT64_MAX where that does not fit. */
static inline uint64_t add_sat(uint64_t a, uint64_t b) {
        return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static inline uint64_t min_u64(uint64_t a, uint64_t b) {
        return a < b ? a : b;
}

static inline uint64_t max_u64(uint64_t a, uint64_t b) {
        return a > b ? a : b;
}

/* V within [LO, HI] (LO wins when LO > HI). */
static inline uint64_t clamp_u64(uint64_t v, uint64_t lo, uint64_t hi) {
        return v < lo ? lo : v > hi ? hi : v;
}

static inline uint64_t dist_u64(uint64_t a, uint64_t b) {
        return a > b ? a - b : b - a;
}

/* V truncated to an integer, UINT64_MAX where it does not fit: converting
 * 2^64 or more is undefined, and a size near 2^64 - 1 rounds up to 2^64 as a
 * double. */
static inline uint64_t u64_of(double v) {
        return v >= 18446744073709551615.0 ? UINT64_MAX : v > 0.0 ? (uint64_t)v : 0;
}

/* PCT % of KIB, truncated. */
static inline uint64_t pct_of(double pct, uint64_t kib) {
        return u64_of(pct / 100.0 * (double)kib);
}
