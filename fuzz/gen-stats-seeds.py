#!/usr/bin/env python3
# Write the seed corpus of fuzz_stats (fuzz/corpus/stats/) in the input
# format described at the top of fuzz_stats.c. Run from anywhere:
#   python3 fuzz/gen-stats-seeds.py
# The seeds are committed; rerun only when the format changes.
import os
import struct

FIELDS = ["state.state", "state.reason", "balloon.current", "balloon.maximum",
          "balloon.unused", "balloon.available", "balloon.usable", "balloon.last-update",
          "balloon.disk_caches", "balloon.swap_in", "balloon.swap_out", "balloon.major_fault",
          "balloon.minor_fault", "balloon.rss"]
INT, UINT, LLONG, ULLONG, DOUBLE, BOOLEAN, STRING = range(1, 8)
WALL = 1790000000
GIB = 1024 * 1024
U64_MAX = 2**64 - 1


def header(flags=0, period=2, wall_off=0, total=16 * GIB, avail=8 * GIB):
    return struct.pack("<BBhQQ", flags, period, wall_off, total, avail)


def value(ptype, v):
    if ptype == INT:
        return struct.pack("<i", v)
    if ptype == UINT:
        return struct.pack("<I", v)
    if ptype == LLONG:
        return struct.pack("<q", v)
    if ptype == DOUBLE:
        return struct.pack("<d", v)
    if ptype == BOOLEAN:
        return struct.pack("<b", v)
    if ptype == STRING:
        b = v.encode() if isinstance(v, str) else v
        return bytes([len(b)]) + b
    return struct.pack("<Q", v)  # ULLONG and the types libvirt does not have


def param(field, ptype, v):
    if field in FIELDS:
        head = bytes([FIELDS.index(field)])
    else:
        b = field.encode() if isinstance(field, str) else field
        head = bytes([len(FIELDS)]) + bytes([len(b)]) + b
    return head + bytes([ptype]) + value(ptype, v)


def memstat(tag, v):
    return bytes([0xf0]) + struct.pack("<bQ", tag, v)


NEXT_VM = bytes([0xf8])


def guest(actual, maximum, usable, total=None, unused=None, caches=0, swap_in=0, swap_out=0,
          faults=0, update=WALL, state=1, reason=1):
    total = maximum if total is None else total
    unused = usable // 2 if unused is None else unused
    return b"".join([
        param("state.state", INT, state), param("state.reason", INT, reason),
        param("balloon.current", ULLONG, actual), param("balloon.maximum", ULLONG, maximum),
        param("balloon.available", ULLONG, total), param("balloon.unused", ULLONG, unused),
        param("balloon.usable", ULLONG, usable), param("balloon.disk_caches", ULLONG, caches),
        param("balloon.swap_in", ULLONG, swap_in), param("balloon.swap_out", ULLONG, swap_out),
        param("balloon.major_fault", ULLONG, faults), param("balloon.minor_fault", ULLONG, 12345),
        param("balloon.rss", ULLONG, actual), param("balloon.last-update", ULLONG, update),
    ])


SEEDS = {
    # One healthy, mostly idle guest on a relaxed host.
    "healthy": header() + guest(4 * GIB, 4 * GIB, 3 * GIB),
    # The host under pressure: idle guests to reclaim from.
    "pressure": header(avail=1 * GIB) + guest(4 * GIB, 4 * GIB, 3 * GIB) + NEXT_VM +
                guest(8 * GIB, 8 * GIB, 6 * GIB) + NEXT_VM + guest(2 * GIB, 4 * GIB, 100 * 1024),
    # Critical, a guest swapping in and one with a burst of faults.
    "critical": header(avail=100 * 1024) + guest(4 * GIB, 4 * GIB, 50 * 1024, swap_in=4096) + NEXT_VM +
                guest(4 * GIB, 4 * GIB, 1 * GIB, faults=10**9),
    # Missing values: -1 and 2^64-1 in every width.
    "missing": header() + b"".join([
        param("state.state", INT, -1), param("balloon.current", ULLONG, U64_MAX),
        param("balloon.maximum", UINT, 2**32 - 1), param("balloon.usable", LLONG, -1),
        param("balloon.available", INT, -1), param("balloon.last-update", ULLONG, U64_MAX),
        param("balloon.unused", ULLONG, U64_MAX),
    ]),
    # Wrong types: strings, doubles, booleans, and types libvirt does not have.
    "wrong-types": header() + b"".join([
        param("state.state", STRING, "running"), param("state.reason", DOUBLE, 1.0),
        param("balloon.current", DOUBLE, 4194304.0), param("balloon.maximum", BOOLEAN, 1),
        param("balloon.usable", 0, 1024), param("balloon.available", 8, 1024),
        param("balloon.last-update", 9, WALL), param("balloon.unused", STRING, ""),
    ]),
    # Guest numbers that cannot be: free above total, total above maximum.
    "insane": header(avail=512 * 1024) + guest(4 * GIB, 4 * GIB, 5 * GIB, total=3 * GIB) + NEXT_VM +
              guest(4 * GIB, 2 * GIB, 1 * GIB, total=8 * GIB, caches=9 * GIB) + NEXT_VM +
              guest(U64_MAX - 1, U64_MAX - 1, U64_MAX - 2),
    # Stale and future stats, no stats period, blind_action deflate.
    "stale": header(flags=2, period=0, wall_off=-3000) + guest(2 * GIB, 4 * GIB, 1 * GIB) + NEXT_VM +
             guest(2 * GIB, 4 * GIB, 1 * GIB, update=WALL + 100000) + NEXT_VM +
             guest(2 * GIB, 4 * GIB, 1 * GIB, update=0),
    # Counters going backwards between the two cycles, stats age not checked.
    "backwards": header(flags=5, avail=1 * GIB) + guest(4 * GIB, 4 * GIB, 3 * GIB, swap_in=100),
    # Paused, migrating (post-copy), shut off, crashed, pmsuspended.
    "states": header(avail=1 * GIB) + guest(4 * GIB, 4 * GIB, 3 * GIB, state=3, reason=1) + NEXT_VM +
              guest(4 * GIB, 4 * GIB, 3 * GIB, state=1, reason=10) + NEXT_VM +
              guest(4 * GIB, 4 * GIB, 3 * GIB, state=3, reason=13) + NEXT_VM +
              guest(4 * GIB, 4 * GIB, 3 * GIB, state=5, reason=0),
    # No guest fields in the bulk record: the per-domain memory stats.
    "memstats": header(avail=2 * GIB) + param("state.state", INT, 1) +
                b"".join(memstat(t, v) for t, v in [
                    (0, 0), (1, 0), (2, 10), (3, 100), (4, 1 * GIB), (5, 4 * GIB), (6, 4 * GIB),
                    (7, 4 * GIB), (8, 2 * GIB), (9, WALL), (10, 512 * 1024), (11, 1), (12, 2),
                ]) + param("balloon.maximum", ULLONG, 4 * GIB),
    # Memory stats with odd tags and values.
    "memstats-odd": header() + b"".join(memstat(t, v) for t, v in [
        (-1, 5), (13, 5), (127, 5), (-128, 5), (6, U64_MAX), (9, 2**63), (8, U64_MAX - 1),
    ]),
    # Names of its own: near misses of libvirt's, empty, binary.
    "names": header() + b"".join([
        param("balloon.", ULLONG, 1), param("balloon.currentx", ULLONG, 1), param("", ULLONG, 1),
        param(b"balloon.usable\xff", ULLONG, 1), param("state.", INT, 1), param("balloon.swap_in", STRING, "x"),
        param("block.count", UINT, 3), param("balloon.usable", ULLONG, 1024),
    ]),
    # Host samples bd_host_parse_meminfo refuses (no MemTotal; more available
    # than total) and the largest it accepts.
    "host-empty": header(total=0, avail=0) + guest(4 * GIB, 4 * GIB, 3 * GIB),
    "host-refused": header(total=GIB, avail=2 * GIB) + guest(4 * GIB, 4 * GIB, 3 * GIB),
    "host-huge": header(total=U64_MAX // 1024, avail=U64_MAX // 1024) + guest(4 * GIB, 4 * GIB, 3 * GIB),
    # PSI: readable, full avg10 at 100 %.
    "psi": header(flags=0xf8) + guest(4 * GIB, 4 * GIB, 3 * GIB),
}

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "stats")
os.makedirs(out, exist_ok=True)
for name, data in SEEDS.items():
    with open(os.path.join(out, name + ".bin"), "wb") as f:
        f.write(data)
print(f"wrote {len(SEEDS)} seeds to {out}")
