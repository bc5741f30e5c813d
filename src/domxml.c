/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Facts from a domain's XML description, without an XML library: a small
 * tag scanner over the canonical XML libvirt writes. Comments, CDATA,
 * processing instructions and text are skipped; so is everything inside
 * <metadata> but balloond's own element, and inside <description>/<title>
 * there are no tags (libvirt escapes their text). Every read is bounded by
 * the terminating NUL: truncated or garbage input ends the scan. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balloond/domxml.h"

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

/* Does this tag declare balloond's namespace (xmlns:ANY="BD_METADATA_NS")? */
static bool declares_our_ns(const struct tag *t) {
        const char *p = t->attrs, *end = t->attrs + t->attrs_len;
        size_t ns_len = strlen(BD_METADATA_NS);

        while ((p = memchr(p, 'x', (size_t)(end - p))) != NULL) {
                const char *q;

                if ((size_t)(end - p) < 6 || strncmp(p, "xmlns:", 6) != 0) {
                        p++;
                        continue;
                }
                q = p + 6;
                while (q < end && *q != '=')
                        q++;
                if (q + 2 >= end) /* '=', a quote, at least the value */
                        return false;
                q++;
                if ((*q == '"' || *q == '\'') && (size_t)(end - q - 1) >= ns_len + 1 &&
                    strncmp(q + 1, BD_METADATA_NS, ns_len) == 0 && q[1 + ns_len] == *q)
                        return true;
                p = q;
        }
        return false;
}

struct facts {
        unsigned flags;
        char class_tag[BD_CLASS_MAX];
        int stats_period; /* -1 no usable balloon */
};

static int scan(const char *xml, struct facts *f) {
        struct tag t;
        const char *p = xml;
        int metadata_depth = 0, backing_depth = 0, balloon_depth = 0;
        bool root_seen = false, balloon_seen = false;

        memset(f, 0, sizeof(*f));
        f->stats_period = -1;
        while ((p = next_tag(p, &t)) != NULL) {
                if (!root_seen) {
                        if (t.end || !tag_is(&t, "domain"))
                                return -EINVAL;
                        root_seen = true;
                        continue;
                }
                if (metadata_depth > 0) {
                        if (t.end) {
                                if (tag_is(&t, "metadata"))
                                        metadata_depth = 0;
                                continue;
                        }
                        if (declares_our_ns(&t)) {
                                char v[64];

                                if (tag_attr(&t, "exclude", v, sizeof(v)) && is_yes(v))
                                        f->flags |= BD_VM_TAG_EXCLUDE;
                                if (tag_attr(&t, "class", v, sizeof(v)) && bd_class_valid(v))
                                        memcpy(f->class_tag, v, strlen(v) + 1); /* valid: shorter than BD_CLASS_MAX */
                        }
                        continue;
                }
                if (tag_is(&t, "metadata")) {
                        if (!t.end && !t.self_closing)
                                metadata_depth = 1;
                        continue;
                }
                if (tag_is(&t, "memoryBacking")) {
                        backing_depth = !t.end && !t.self_closing;
                        continue;
                }
                if (backing_depth && !t.end) {
                        if (tag_is(&t, "locked"))
                                f->flags |= BD_VM_LOCKED;
                        else if (tag_is(&t, "hugepages"))
                                f->flags |= BD_VM_HUGEPAGES;
                        continue;
                }
                if (tag_is(&t, "memballoon")) {
                        if (t.end) {
                                balloon_depth = 0;
                                continue;
                        }
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
                        balloon_depth = !t.self_closing;
                        continue;
                }
                if (balloon_depth && !t.end && tag_is(&t, "stats")) {
                        char v[16];
                        char *end;
                        long period;

                        if (tag_attr(&t, "period", v, sizeof(v))) {
                                period = strtol(v, &end, 10);
                                if (*end == '\0' && end != v && period >= 0 && period <= 86400)
                                        f->stats_period = (int)period;
                        }
                        continue;
                }
                if (!t.end && tag_is(&t, "hostdev") &&
                    (attr_equals(&t, "type", "pci") || attr_equals(&t, "type", "mdev")))
                        f->flags |= BD_VM_VFIO;
                if (!t.end && tag_is(&t, "interface") && attr_equals(&t, "type", "hostdev"))
                        f->flags |= BD_VM_VFIO;
        }
        if (!root_seen)
                return -EINVAL;
        if (!balloon_seen)
                f->flags |= BD_VM_NO_BALLOON;
        return 0;
}

int bd_domxml_facts(const char *xml, unsigned *flags, char *class_tag) {
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

int bd_domxml_stats_period(const char *xml) {
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

int bd_domxml_memory_kib(const char *xml, uint64_t *out) {
        struct tag t;
        const char *p = xml;
        int depth = 0;

        if (!xml)
                return -EINVAL;
        while ((p = next_tag(p, &t)) != NULL) {
                if (t.end) {
                        depth--;
                        continue;
                }
                if (depth == 1 && tag_is(&t, "memory") && !t.self_closing) {
                        char unit[64];
                        uint64_t num, den, v;
                        char *end;

                        if (!tag_attr(&t, "unit", unit, sizeof(unit)))
                                strcpy(unit, "KiB"); /* libvirt's default unit */
                        if (unit_kib(unit, &num, &den) < 0 || *p < '0' || *p > '9')
                                return -EINVAL;
                        errno = 0;
                        v = strtoull(p, &end, 10);
                        if (errno == ERANGE || *end != '<' || v > UINT64_MAX / num)
                                return -EINVAL;
                        *out = v * num / den;
                        return 0;
                }
                if (!t.self_closing)
                        depth++;
        }
        return -EINVAL;
}
