/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A growing text buffer: the status file, --json and the metrics are built
 * in memory and written once. Appending is a copy into the buffer, not a
 * call through stdio per piece (at 1,000 VMs the stdio calls cost more than
 * the text). Out of memory is fatal (alloc.h): appending never fails. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct bd_buf {
        char *p;    /* the text, NUL-terminated once anything was appended */
        size_t len; /* its length, without the NUL */
        size_t cap; /* bytes allocated at p */
};

void bd_buf_init(struct bd_buf *b);
void bd_buf_free(struct bd_buf *b);
/* Room for N more bytes and the NUL after them. */
void bd_buf_reserve(struct bd_buf *b, size_t n);
/* The text, NUL-terminated, handed over to the caller (free() it); B is
 * empty again. */
char *bd_buf_take(struct bd_buf *b, size_t *len);

/* printf into the buffer. */
void bd_buf_printf(struct bd_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* V in decimal, without printf. */
void bd_buf_u64(struct bd_buf *b, uint64_t v);
void bd_buf_i64(struct bd_buf *b, int64_t v);

static inline void bd_buf_put(struct bd_buf *b, const char *s, size_t n) {
        if (b->cap - b->len <= n)
                bd_buf_reserve(b, n);
        memcpy(b->p + b->len, s, n);
        b->len += n;
        b->p[b->len] = '\0';
}

static inline void bd_buf_puts(struct bd_buf *b, const char *s) {
        bd_buf_put(b, s, strlen(s));
}

static inline void bd_buf_putc(struct bd_buf *b, char c) {
        if (b->cap - b->len <= 1)
                bd_buf_reserve(b, 1);
        b->p[b->len++] = c;
        b->p[b->len] = '\0';
}
