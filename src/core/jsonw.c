/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The streaming JSON writer (jsonw.h). */
#include <math.h>
#include <string.h>

#include "balloond/core/jsonw.h"

void bd_jw_init(struct bd_jw *w, FILE *f, bool pretty) {
        memset(w, 0, sizeof(*w));
        w->f = f;
        w->pretty = pretty;
}

static void newline(struct bd_jw *w) {
        if (!w->pretty)
                return;
        putc('\n', w->f);
        for (int i = 0; i < w->depth; i++)
                fputs("  ", w->f);
}

/* What goes before a value or a key: nothing after a key, else a comma
 * after an earlier member, and a new line when pretty. */
static void before(struct bd_jw *w) {
        if (w->after_key) {
                w->after_key = false;
                return;
        }
        if (w->need_comma)
                putc(',', w->f);
        if (w->depth > 0)
                newline(w);
}

static void after(struct bd_jw *w) {
        w->need_comma = true;
}

static void open_container(struct bd_jw *w, char c) {
        before(w);
        putc(c, w->f);
        w->depth++;
        w->need_comma = false;
}

static void close_container(struct bd_jw *w, char c) {
        bool empty = !w->need_comma;

        w->depth--;
        if (!empty)
                newline(w);
        putc(c, w->f);
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

static void quoted(FILE *f, const char *s) {
        static const char hex[] = "0123456789abcdef";
        const char *run = s;

        putc('"', f);
        for (; *s; s++) {
                unsigned char c = (unsigned char)*s;

                if (c >= 0x20 && c != '"' && c != '\\')
                        continue;
                fwrite(run, 1, (size_t)(s - run), f);
                run = s + 1;
                putc('\\', f);
                switch (c) {
                case '"':
                case '\\':
                        putc((int)c, f);
                        break;
                case '\n':
                        putc('n', f);
                        break;
                case '\t':
                        putc('t', f);
                        break;
                case '\r':
                        putc('r', f);
                        break;
                default:
                        fputs("u00", f);
                        putc(hex[c >> 4], f);
                        putc(hex[c & 15], f);
                }
        }
        fwrite(run, 1, (size_t)(s - run), f);
        putc('"', f);
}

void bd_jw_key(struct bd_jw *w, const char *key) {
        before(w);
        quoted(w->f, key);
        fputs(w->pretty ? ": " : ":", w->f);
        w->after_key = true;
}

void bd_jw_string(struct bd_jw *w, const char *s) {
        before(w);
        quoted(w->f, s);
        after(w);
}

void bd_put_u64(FILE *f, uint64_t v) {
        char buf[24];
        int i = sizeof(buf);

        do {
                buf[--i] = (char)('0' + v % 10);
                v /= 10;
        } while (v);
        fwrite(buf + i, 1, sizeof(buf) - (size_t)i, f);
}

void bd_jw_u64(struct bd_jw *w, uint64_t v) {
        before(w);
        bd_put_u64(w->f, v);
        after(w);
}

void bd_jw_i64(struct bd_jw *w, int64_t v) {
        before(w);
        if (v < 0) {
                putc('-', w->f);
                bd_put_u64(w->f, (uint64_t)0 - (uint64_t)v);
        } else {
                bd_put_u64(w->f, (uint64_t)v);
        }
        after(w);
}

void bd_jw_double(struct bd_jw *w, double v) {
        before(w);
        if (isfinite(v))
                fprintf(w->f, "%.15g", v);
        else
                fputs("null", w->f);
        after(w);
}

void bd_jw_bool(struct bd_jw *w, bool v) {
        before(w);
        fputs(v ? "true" : "false", w->f);
        after(w);
}

void bd_jw_null(struct bd_jw *w) {
        before(w);
        fputs("null", w->f);
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
