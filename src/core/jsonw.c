/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The streaming JSON writer (jsonw.h). */
#include <math.h>
#include <string.h>

#include "balloond/core/jsonw.h"

void bd_jw_init(struct bd_jw *w, struct bd_buf *b, bool pretty) {
        memset(w, 0, sizeof(*w));
        w->b = b;
        w->pretty = pretty;
}

static void newline(struct bd_jw *w) {
        if (!w->pretty)
                return;
        bd_buf_putc(w->b, '\n');
        for (int i = 0; i < w->depth; i++)
                bd_buf_put(w->b, "  ", 2);
}

/* What goes before a value or a key: nothing after a key, else a comma
 * after an earlier member, and a new line when pretty. */
static void before(struct bd_jw *w) {
        if (w->after_key) {
                w->after_key = false;
                return;
        }
        if (w->need_comma)
                bd_buf_putc(w->b, ',');
        if (w->depth > 0)
                newline(w);
}

static void after(struct bd_jw *w) {
        w->need_comma = true;
}

static void open_container(struct bd_jw *w, char c) {
        before(w);
        bd_buf_putc(w->b, c);
        w->depth++;
        w->need_comma = false;
}

static void close_container(struct bd_jw *w, char c) {
        bool empty = !w->need_comma;

        w->depth--;
        if (!empty)
                newline(w);
        bd_buf_putc(w->b, c);
        after(w);
}

void bd_jw_object_begin(struct bd_jw *w) {
        open_container(w, '{');
}

void bd_jw_object_end(struct bd_jw *w) {
        close_container(w, '}');
}

void bd_jw_array_begin(struct bd_jw *w) {
        open_container(w, '[');
}

void bd_jw_array_end(struct bd_jw *w) {
        close_container(w, ']');
}

/* The escape of C, a quote, a backslash or a control character. */
static void escape(struct bd_buf *b, unsigned char c) {
        static const char hex[] = "0123456789abcdef";
        char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};

        switch (c) {
        case '"':
                bd_buf_put(b, "\\\"", 2);
                break;
        case '\\':
                bd_buf_put(b, "\\\\", 2);
                break;
        case '\n':
                bd_buf_put(b, "\\n", 2);
                break;
        case '\t':
                bd_buf_put(b, "\\t", 2);
                break;
        case '\r':
                bd_buf_put(b, "\\r", 2);
                break;
        default:
                bd_buf_put(b, u, sizeof(u));
        }
}

/* 1 for the bytes a string cannot hold as they are: the control characters
 * (NUL, its end, among them), the quote and the backslash. */
static const unsigned char special[256] = {
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        ['"'] = 1, ['\\'] = 1,
};

/* S between quotes, escaped; the runs between escapes are copied whole. */
static void quoted(struct bd_buf *b, const char *s) {
        const char *run = s;

        bd_buf_putc(b, '"');
        for (;; s++) {
                unsigned char c = (unsigned char)*s;

                if (!special[c])
                        continue;
                bd_buf_put(b, run, (size_t)(s - run));
                if (!c)
                        break;
                run = s + 1;
                escape(b, c);
        }
        bd_buf_putc(b, '"');
}

void bd_jw_key(struct bd_jw *w, const char *key) {
        before(w);
        quoted(w->b, key);
        if (w->pretty)
                bd_buf_put(w->b, ": ", 2);
        else
                bd_buf_putc(w->b, ':');
        w->after_key = true;
}

void bd_jw_string(struct bd_jw *w, const char *s) {
        before(w);
        quoted(w->b, s);
        after(w);
}

void bd_jw_u64(struct bd_jw *w, uint64_t v) {
        before(w);
        bd_buf_u64(w->b, v);
        after(w);
}

void bd_jw_i64(struct bd_jw *w, int64_t v) {
        before(w);
        bd_buf_i64(w->b, v);
        after(w);
}

/* Whether %.15g writes V as the integer it is: a whole number of at most
 * 15 digits (%.15g switches to an exponent at 1e15), but not -0 ("-0"). */
static bool prints_as_integer(double v) {
        return v > -1e15 && v < 1e15 && v == (double)(int64_t)v && !(v == 0 && signbit(v));
}

void bd_jw_double(struct bd_jw *w, double v) {
        before(w);
        if (prints_as_integer(v))
                bd_buf_i64(w->b, (int64_t)v);
        else if (isfinite(v))
                bd_buf_printf(w->b, "%.15g", v);
        else
                bd_buf_put(w->b, "null", 4);
        after(w);
}

void bd_jw_bool(struct bd_jw *w, bool v) {
        before(w);
        bd_buf_puts(w->b, v ? "true" : "false");
        after(w);
}

void bd_jw_null(struct bd_jw *w) {
        before(w);
        bd_buf_put(w->b, "null", 4);
        after(w);
}

void bd_jw_member_u64(struct bd_jw *w, const char *key, uint64_t v) {
        bd_jw_key(w, key);
        bd_jw_u64(w, v);
}

void bd_jw_member_u64_or_null(struct bd_jw *w, const char *key, uint64_t v, uint64_t unknown) {
        bd_jw_key(w, key);
        if (v == unknown)
                bd_jw_null(w);
        else
                bd_jw_u64(w, v);
}

void bd_jw_member_i64(struct bd_jw *w, const char *key, int64_t v) {
        bd_jw_key(w, key);
        bd_jw_i64(w, v);
}

void bd_jw_member_str(struct bd_jw *w, const char *key, const char *v) {
        bd_jw_key(w, key);
        bd_jw_string(w, v);
}

void bd_jw_member_bool(struct bd_jw *w, const char *key, bool v) {
        bd_jw_key(w, key);
        bd_jw_bool(w, v);
}
