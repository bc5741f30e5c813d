/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The growing text buffer (buf.h). */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "balloond/core/alloc.h"
#include "balloond/core/buf.h"

void bd_buf_init(struct bd_buf *b) {
        b->p = NULL;
        b->len = 0;
        b->cap = 0;
}

void bd_buf_free(struct bd_buf *b) {
        free(b->p);
        bd_buf_init(b);
}

/* The capacity doubles: a document of N bytes is copied at most about N
 * bytes' worth by the reallocations that grew it. */
void bd_buf_reserve(struct bd_buf *b, size_t n) {
        size_t need = b->len + n + 1, cap = b->cap ? b->cap : 4096;

        if (need <= b->cap)
                return;
        while (cap < need)
                cap = cap > SIZE_MAX / 2 ? need : cap * 2;
        b->p = bd_resize_array(b->p, cap, 1);
        b->cap = cap;
}

char *bd_buf_take(struct bd_buf *b, size_t *len) {
        char *p;

        bd_buf_reserve(b, 0);
        p = b->p;
        p[b->len] = '\0';
        if (len)
                *len = b->len;
        bd_buf_init(b);
        return p;
}

void bd_buf_printf(struct bd_buf *b, const char *fmt, ...) {
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(b->p ? b->p + b->len : NULL, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0)
                return;
        if ((size_t)n >= b->cap - b->len) {
                bd_buf_reserve(b, (size_t)n);
                va_start(ap, fmt);
                vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
                va_end(ap);
        }
        b->len += (size_t)n;
}

void bd_buf_u64(struct bd_buf *b, uint64_t v) {
        char digits[24];
        int i = sizeof(digits);

        do {
                digits[--i] = (char)('0' + v % 10);
                v /= 10;
        } while (v);
        bd_buf_put(b, digits + i, sizeof(digits) - (size_t)i);
}

void bd_buf_i64(struct bd_buf *b, int64_t v) {
        if (v < 0) {
                bd_buf_putc(b, '-');
                bd_buf_u64(b, (uint64_t)0 - (uint64_t)v);
        } else {
                bd_buf_u64(b, (uint64_t)v);
        }
}
