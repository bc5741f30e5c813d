/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Growing arrays. Out of memory is fatal (the house rule for allocations): these never return NULL. */
#pragma once

#include <stddef.h>

/* P resized to N elements of SIZE bytes. */
void *bd_resize_array(void *p, size_t n, size_t size);
/* P with room for at least NEED elements; *CAP, its capacity, grows by half
 * again (plus 8) when it must. */
void *bd_grow_array(void *p, size_t *cap, size_t need, size_t size);
