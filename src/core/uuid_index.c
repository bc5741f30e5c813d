/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The per-UUID index (include/balloond/core/uuid_index.h): linear probing in
 * a table at most half full, FNV-1a of the lower-cased UUID. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "balloond/core/alloc.h"
#include "balloond/core/uuid_index.h"

static size_t uuid_hash(const char *u) {
        uint64_t h = 14695981039346656037ULL;

        for (; *u; u++) {
                h ^= (unsigned char)(*u | 0x20);
                h *= 1099511628211ULL;
        }
        return (size_t)h;
}

static size_t size_for(size_t entries) {
        size_t want = 16;

        while (want < 2 * entries)
                want *= 2;
        return want;
}

void bd_uuid_index_clear(struct bd_uuid_index *ix, size_t expected) {
        size_t want = size_for(expected);

        if (want > ix->size) {
                free(ix->slots);
                ix->slots = bd_resize_array(NULL, want, sizeof(*ix->slots));
                ix->size = want;
        }
        memset(ix->slots, 0, ix->size * sizeof(*ix->slots));
        ix->n = 0;
}

static size_t slot_of(const struct bd_uuid_index *ix, const char *uuid) {
        size_t slot = uuid_hash(uuid) & (ix->size - 1);

        while (ix->slots[slot].used && strcasecmp(ix->slots[slot].uuid, uuid) != 0)
                slot = (slot + 1) & (ix->size - 1);
        return slot;
}

size_t bd_uuid_index_find(const struct bd_uuid_index *ix, const char *uuid) {
        size_t slot;

        if (!ix->size)
                return BD_UUID_NONE;
        slot = slot_of(ix, uuid);
        return ix->slots[slot].used ? ix->slots[slot].pos : BD_UUID_NONE;
}

static void grow(struct bd_uuid_index *ix) {
        struct bd_uuid_index bigger = { 0 };

        bd_uuid_index_clear(&bigger, ix->n + 1 > ix->size ? ix->n + 1 : ix->size);
        for (size_t i = 0; i < ix->size; i++)
                if (ix->slots[i].used)
                        bd_uuid_index_put(&bigger, ix->slots[i].uuid, ix->slots[i].pos);
        free(ix->slots);
        *ix = bigger;
}

void bd_uuid_index_put(struct bd_uuid_index *ix, const char *uuid, size_t pos) {
        struct bd_uuid_slot *s;

        if (2 * (ix->n + 1) > ix->size)
                grow(ix);
        s = &ix->slots[slot_of(ix, uuid)];
        if (!s->used) {
                size_t len = strnlen(uuid, BD_UUID_LEN);

                s->used = true;
                memcpy(s->uuid, uuid, len);
                s->uuid[len] = '\0';
                ix->n++;
        }
        s->pos = pos;
}

void bd_uuid_index_free(struct bd_uuid_index *ix) {
        free(ix->slots);
        memset(ix, 0, sizeof(*ix));
}
