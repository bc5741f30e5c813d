/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The hand-written tag scanner balloond read domain XML with until
 * src/core/domxml.c moved to libxml2, kept here unchanged (names aside) only
 * so that bench-domxml can print the two side by side. Not part of any
 * program but the benchmark; its known defect (balloond metadata whose
 * namespace is declared on <metadata> is ignored) is why it was retired. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domxml-scanner.h"

struct tag {
        const char *name;
        size_t name_len;
        const char *attrs; /* between the name and the closing '>' */
        size_t attrs_len;
        bool end;          /* </name> */
        bool self_closing; /* <name/> */
};

/* Skip past the string END starting at P; NULL if it never comes. */
static const char *skip_past(const char *p, const char *end) {
        const char *q = strstr(p, end);

        return q ? q + strlen(end) : NULL;
}

/* Find the next element tag at or after P. Returns the position after it,
 * or NULL at the end of the input or on malformed input. */
static const char *next_tag(const char *p, struct tag *t) {
        for (;;) {
                const char *q;
                char quote = 0;

                p = strchr(p, '<');
                if (!p)
                        return NULL;
                if (strncmp(p, "<!--", 4) == 0) {
                        p = skip_past(p + 4, "-->");
                } else if (strncmp(p, "<![CDATA[", 9) == 0) {
                        p = skip_past(p + 9, "]]>");
                } else if (p[1] == '?') {
                        p = skip_past(p + 2, "?>");
                } else if (p[1] == '!') {
                        p = skip_past(p + 2, ">");
                } else {
                        memset(t, 0, sizeof(*t));
                        q = p + 1;
                        if (*q == '/') {
                                t->end = true;
                                q++;
                        }
                        t->name = q;
                        while (*q && !strchr(" \t\r\n/>", *q))
                                q++;
                        t->name_len = (size_t)(q - t->name);
                        if (t->name_len == 0)
                                return NULL;
                        t->attrs = q;
                        for (; *q; q++) {
                                if (quote) {
                                        if (*q == quote)
                                                quote = 0;
                                } else if (*q == '"' || *q == '\'') {
                                        quote = *q;
                                } else if (*q == '>') {
                                        break;
                                }
                        }
                        if (*q != '>')
                                return NULL;
                        t->attrs_len = (size_t)(q - t->attrs);
                        if (t->attrs_len > 0 && q[-1] == '/') {
                                t->self_closing = true;
                                t->attrs_len--;
                        }
                        return q + 1;
                }
                if (!p)
                        return NULL;
        }
}

static bool tag_is(const struct tag *t, const char *name) {
        return t->name_len == strlen(name) && strncmp(t->name, name, t->name_len) == 0;
}

/* Copy attribute NAME's value into BUF. Returns false if absent or too long. */
static bool tag_attr(const struct tag *t, const char *name, char *buf, size_t size) {
        const char *p = t->attrs, *end = t->attrs + t->attrs_len;
        size_t nlen = strlen(name);

        while (p < end) {
                const char *an, *v;
                size_t alen, vlen;
                char quote;

                while (p < end && strchr(" \t\r\n", *p))
                        p++;
                an = p;
                while (p < end && !strchr(" \t\r\n=", *p))
                        p++;
                alen = (size_t)(p - an);
                while (p < end && strchr(" \t\r\n", *p))
                        p++;
                if (p >= end || *p != '=')
                        return false;
                p++;
                while (p < end && strchr(" \t\r\n", *p))
                        p++;
                if (p >= end || (*p != '"' && *p != '\''))
                        return false;
                quote = *p++;
                v = p;
                while (p < end && *p != quote)
                        p++;
                if (p >= end)
                        return false;
                vlen = (size_t)(p - v);
                p++;
                if (alen == nlen && strncmp(an, name, nlen) == 0) {
                        if (vlen >= size)
                                return false;
                        memcpy(buf, v, vlen);
                        buf[vlen] = '\0';
                        return true;
                }
        }
        return false;
}

static bool attr_equals(const struct tag *t, const char *name, const char *value) {
        char buf[64];

        return tag_attr(t, name, buf, sizeof(buf)) && strcmp(buf, value) == 0;
}

static bool is_yes(const char *v) {
        return strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 || strcmp(v, "1") == 0;
}

/* A walk over the elements of a document, with the names of the elements
 * open around the current tag (enough levels for the paths we look at). */
#define WALK_DEPTH 8

struct walker {
        const char *p;
        struct {
                const char *name;
                size_t len;
        } open[WALK_DEPTH];
        int depth;        /* elements open */
        bool root_closed; /* the root's end tag was seen */
};

/* The next start or end tag into T; T's level (root 1) into *LEVEL. Returns
 * 1, 0 once the root is closed, -EINVAL on malformed or truncated input
 * (including a document that ends before its root is closed). */
static int walk(struct walker *w, struct tag *t, int *level) {
        if (w->root_closed)
                return 0;
        w->p = next_tag(w->p, t);
        if (!w->p)
                return -EINVAL;
        if (t->end) {
                if (w->depth == 0)
                        return -EINVAL;
                if (w->depth <= WALK_DEPTH &&
                    (w->open[w->depth - 1].len != t->name_len ||
                     strncmp(w->open[w->depth - 1].name, t->name, t->name_len) != 0))
                        return -EINVAL; /* </b> closing <a> */
                *level = w->depth--;
                if (w->depth == 0)
                        w->root_closed = true;
                return 1;
        }
        *level = w->depth + 1;
        if (t->self_closing) {
                if (w->depth == 0)
                        w->root_closed = true;
                return 1;
        }
        if (w->depth < WALK_DEPTH) {
                w->open[w->depth].name = t->name;
                w->open[w->depth].len = t->name_len;
        }
        w->depth++;
        return 1;
}

/* Is the start tag at LEVEL a child of the elements PARENTS (from the
 * root, N of them, N < WALK_DEPTH)? */
static bool child_of(const struct walker *w, int level, const char *const *parents, int n) {
        if (level != n + 1)
                return false;
        for (int i = 0; i < n; i++)
                if (w->open[i].len != strlen(parents[i]) || strncmp(w->open[i].name, parents[i], w->open[i].len) != 0)
                        return false;
        return true;
}

static const char *const AT_DOMAIN[] = { "domain" };
static const char *const AT_METADATA[] = { "domain", "metadata" };
static const char *const AT_BACKING[] = { "domain", "memoryBacking" };
static const char *const AT_DEVICES[] = { "domain", "devices" };
static const char *const AT_BALLOON[] = { "domain", "devices", "memballoon" };
#define CHILD_OF(w, level, path) child_of(w, level, path, (int)(sizeof(path) / sizeof(path[0])))

/* Is this element in balloond's namespace, declared on the element itself
 * (as libvirt writes metadata): <P:x xmlns:P="NS"> with any prefix P, or
 * <x xmlns="NS">? */
static bool in_our_ns(const struct tag *t) {
        const char *colon = memchr(t->name, ':', t->name_len);
        char attr[64], value[64];

        if (colon) {
                size_t plen = (size_t)(colon - t->name);

                if (plen == 0 || plen > sizeof(attr) - sizeof("xmlns:"))
                        return false;
                memcpy(attr, "xmlns:", 6);
                memcpy(attr + 6, t->name, plen);
                attr[6 + plen] = '\0';
        } else {
                strcpy(attr, "xmlns");
        }
        return tag_attr(t, attr, value, sizeof(value)) && strcmp(value, BD_METADATA_NS) == 0;
}

struct facts {
        unsigned flags;
        char class_tag[BD_CLASS_MAX];
        int stats_period; /* -1 no usable balloon */
};

/* Only what libvirt's domain XML has at these places counts: children of
 * <metadata> in balloond's namespace (anything else in <metadata> belongs to
 * other applications), <memoryBacking>'s children, and the devices. */
static int scan(const char *xml, struct facts *f) {
        struct walker w = { .p = xml };
        struct tag t;
        int level, r;
        bool balloon_seen = false;

        memset(f, 0, sizeof(*f));
        f->stats_period = -1;
        while ((r = walk(&w, &t, &level)) > 0) {
                char v[64];

                if (level == 1 && !tag_is(&t, "domain"))
                        return -EINVAL;
                if (t.end)
                        continue;
                if (CHILD_OF(&w, level, AT_METADATA)) {
                        if (!in_our_ns(&t))
                                continue;
                        if (tag_attr(&t, "exclude", v, sizeof(v)) && is_yes(v))
                                f->flags |= BD_VM_TAG_EXCLUDE;
                        if (tag_attr(&t, "class", v, sizeof(v)) && bd_class_valid(v))
                                memcpy(f->class_tag, v, strlen(v) + 1); /* valid: shorter than BD_CLASS_MAX */
                } else if (CHILD_OF(&w, level, AT_BACKING)) {
                        if (tag_is(&t, "locked"))
                                f->flags |= BD_VM_LOCKED;
                        else if (tag_is(&t, "hugepages"))
                                f->flags |= BD_VM_HUGEPAGES;
                } else if (CHILD_OF(&w, level, AT_DEVICES)) {
                        if (tag_is(&t, "memballoon")) {
                                balloon_seen = true;
                                if (attr_equals(&t, "model", "none")) {
                                        f->flags |= BD_VM_NO_BALLOON;
                                        continue;
                                }
                                f->stats_period = 0;
                                if (attr_equals(&t, "autodeflate", "on"))
                                        f->flags |= BD_VM_AUTODEFLATE;
                                if (!attr_equals(&t, "freePageReporting", "on"))
                                        f->flags |= BD_VM_NO_FREE_PAGE_REPORTING;
                        } else if (tag_is(&t, "hostdev")) {
                                if (attr_equals(&t, "type", "pci") || attr_equals(&t, "type", "mdev"))
                                        f->flags |= BD_VM_VFIO;
                        } else if (tag_is(&t, "interface")) {
                                if (attr_equals(&t, "type", "hostdev")) /* an SR-IOV VF through VFIO */
                                        f->flags |= BD_VM_VFIO;
                        }
                } else if (CHILD_OF(&w, level, AT_BALLOON) && tag_is(&t, "stats") && f->stats_period == 0) {
                        char *end;
                        long period;

                        if (tag_attr(&t, "period", v, sizeof(v))) {
                                errno = 0;
                                period = strtol(v, &end, 10);
                                if (errno == 0 && *end == '\0' && end != v && period >= 0 && period <= 86400)
                                        f->stats_period = (int)period;
                        }
                }
        }
        if (r < 0)
                return r;
        if (!balloon_seen)
                f->flags |= BD_VM_NO_BALLOON;
        return 0;
}

int scanner_facts(const char *xml, unsigned *flags, char *class_tag) {
        struct facts f;
        int r;

        if (!xml)
                return -EINVAL;
        r = scan(xml, &f);
        if (r < 0)
                return r;
        *flags |= f.flags;
        memcpy(class_tag, f.class_tag, BD_CLASS_MAX);
        return 0;
}

int scanner_stats_period(const char *xml) {
        struct facts f;

        if (!xml || scan(xml, &f) < 0)
                return -1;
        return f.stats_period;
}

static int unit_kib(const char *unit, uint64_t *per_kib_num, uint64_t *per_kib_den) {
        static const struct {
                const char *name;
                uint64_t num, den; /* KiB = value x num / den */
        } units[] = {
                { "b", 1, 1024 },           { "bytes", 1, 1024 },        { "KB", 1000, 1024 },
                { "k", 1, 1 },              { "KiB", 1, 1 },             { "MB", 1000000, 1024 },
                { "M", 1024, 1 },           { "MiB", 1024, 1 },          { "GB", 1000000000, 1024 },
                { "G", 1048576, 1 },        { "GiB", 1048576, 1 },       { "T", 1073741824, 1 },
                { "TiB", 1073741824, 1 },
        };

        for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
                if (strcmp(unit, units[i].name) == 0) {
                        *per_kib_num = units[i].num;
                        *per_kib_den = units[i].den;
                        return 0;
                }
        return -EINVAL;
}

int scanner_memory_kib(const char *xml, uint64_t *out) {
        struct walker w = { .p = xml };
        struct tag t;
        int level, r;

        if (!xml)
                return -EINVAL;
        while ((r = walk(&w, &t, &level)) > 0) {
                if (level == 1 && !tag_is(&t, "domain"))
                        return -EINVAL;
                if (!t.end && !t.self_closing && tag_is(&t, "memory") && CHILD_OF(&w, level, AT_DOMAIN)) {
                        char unit[64];
                        uint64_t num, den, v;
                        char *end;

                        if (!tag_attr(&t, "unit", unit, sizeof(unit)))
                                strcpy(unit, "KiB"); /* libvirt's default unit */
                        if (unit_kib(unit, &num, &den) < 0 || *w.p < '0' || *w.p > '9')
                                return -EINVAL;
                        errno = 0;
                        v = strtoull(w.p, &end, 10);
                        if (errno == ERANGE || *end != '<' || v > UINT64_MAX / num)
                                return -EINVAL;
                        *out = v * num / den;
                        return 0;
                }
        }
        return -EINVAL;
}
