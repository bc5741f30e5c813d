/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The one per-UUID index: a VM's UUID -> its position in the caller's
 * array. Used wherever balloond finds a VM by UUID (the cycle's per-VM
 * state, the libvirt backend's domain facts). Open addressing over copies of
 * the keys, so the caller's array may move; UUIDs compare without regard to
 * case. O(1) per look-up whatever the order domains come in. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "balloond/core/sample.h"

#define BD_UUID_NONE ((size_t)-1)

struct bd_uuid_slot {
        char uuid[BD_UUID_LEN + 1];
        bool used;
        size_t pos;
};

struct bd_uuid_index {
        struct bd_uuid_slot *slots;
        size_t size; /* a power of two, or 0 */
        size_t n;
};

/* Empty IX, with room for EXPECTED entries without growing. */
void bd_uuid_index_clear(struct bd_uuid_index *ix, size_t expected);
/* The position of UUID, or BD_UUID_NONE. */
size_t bd_uuid_index_find(const struct bd_uuid_index *ix, const char *uuid);
/* UUID at POS (a new entry, or a new position for an existing one). */
void bd_uuid_index_put(struct bd_uuid_index *ix, const char *uuid, size_t pos);
void bd_uuid_index_free(struct bd_uuid_index *ix);
