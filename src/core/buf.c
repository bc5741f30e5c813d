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

/* Two digits at a time: "00" to "99". */
static const char digit_pairs[201] = "0001020304050607080910111213141516171819202122232425262728293031323334353637383940414243444546474849"
                                     "5051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899";

void bd_buf_u64(struct bd_buf *b, uint64_t v) {
        char digits[20];
        size_t i = sizeof(digits);

        while (v >= 100) {
                i -= 2;
                memcpy(digits + i, digit_pairs + 2 * (v % 100), 2);
                v /= 100;
        }
        if (v >= 10) {
                i -= 2;
                memcpy(digits + i, digit_pairs + 2 * v, 2);
        } else {
                digits[--i] = (char)('0' + v);
        }
        bd_buf_put(b, digits + i, sizeof(digits) - i);
}

void bd_buf_i64(struct bd_buf *b, int64_t v) {
        if (v < 0) {
                bd_buf_putc(b, '-');
                bd_buf_u64(b, (uint64_t)0 - (uint64_t)v);
        } else {
                bd_buf_u64(b, (uint64_t)v);
        }
}
