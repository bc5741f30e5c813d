/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>

#include "balloond/core/alloc.h"

void *bd_resize_array(void *p, size_t n, size_t size) {
        void *q = reallocarray(p, n ? n : 1, size);

        if (!q)
                abort(); /* out of memory is fatal */
        return q;
}

void *bd_grow_array(void *p, size_t *cap, size_t need, size_t size) {
        if (need <= *cap)
                return p;
        *cap = need + need / 2 + 8;
        return bd_resize_array(p, *cap, size);
}
