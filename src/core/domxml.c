/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Facts from a domain's XML description, read with libxml2: the document is
 * parsed (well-formed, or -EINVAL; no network, no external entities), then
 * each fact is one XPath expression, compiled once per process. Namespaces
 * are XML's own: balloond's metadata is whatever child of /domain/metadata is
 * in BD_METADATA_NS, whichever prefix names it and wherever it is declared;
 * everything else in <metadata> belongs to other applications and never
 * counts, however it is nested (an element named memballoon or metadata in
 * there is not the domain's). Text, comments, CDATA and processing
 * instructions are never elements, so words in a <description> are words. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "balloond/core/domxml.h"

/* COMPACT and NOBLANKS: fewer, smaller nodes; no error printed on stderr. */
#define PARSE_OPTIONS (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_COMPACT | XML_PARSE_NOBLANKS)
#define MAX_STATS_PERIOD_SEC 86400

enum query {
        Q_METADATA, Q_LOCKED, Q_HUGEPAGES, Q_SHARED, Q_BALLOON, Q_VFIO, Q_MEMORY, Q_CURRENT_MEMORY, Q_CONFIDENTIAL,
        Q_VDPA, Q_VIRTIO_MEM, N_QUERIES
};

static const char *const query_text[N_QUERIES] = {
        [Q_METADATA] = "/domain/metadata/bd:*",
        [Q_LOCKED] = "/domain/memoryBacking/locked",
        [Q_HUGEPAGES] = "/domain/memoryBacking/hugepages",
        /* Guest RAM the host shares (vhost-user, virtiofs): a file or memfd
         * mapped shared, whose pages a balloon may not return. */
        [Q_SHARED] = ("/domain/memoryBacking/access[@mode='shared'] | "
                      "/domain/cpu/numa/cell[@memAccess='shared']"),
        [Q_BALLOON] = "/domain/devices/memballoon",
        /* A PCI or mediated device, or an SR-IOV VF as a network interface. */
        [Q_VFIO] = ("/domain/devices/hostdev[@type='pci' or @type='mdev'] | "
                    "/domain/devices/interface[@type='hostdev']"),
        [Q_MEMORY] = "/domain/memory[1]",
        [Q_CURRENT_MEMORY] = "/domain/currentMemory[1]",
        /* SEV, SEV-SNP, TDX, s390-pv: the host cannot read the guest's
         * memory, and a balloon frees nothing it can trust. */
        [Q_CONFIDENTIAL] = "/domain/launchSecurity",
        /* vDPA devices DMA into guest memory: it is pinned. */
        [Q_VDPA] = ("/domain/devices/interface[@type='vdpa'] | /domain/devices/disk[@type='vhostvdpa'] | "
                    "/domain/devices/hostdev[@type='vdpa']"),
        /* virtio-mem holds part of the maximum the balloon cannot reach. */
        [Q_VIRTIO_MEM] = "/domain/devices/memory[@model='virtio-mem']",
};

static xmlXPathCompExprPtr compiled[N_QUERIES];
static pthread_once_t compile_once = PTHREAD_ONCE_INIT;
static bool compile_failed;

static void compile_queries(void) {
        xmlInitParser(); /* libvirt has done it; harmless twice */
        for (int i = 0; i < N_QUERIES; i++)
                if (!(compiled[i] = xmlXPathCompile(BAD_CAST query_text[i])))
                        compile_failed = true;
}

/* The nodes query Q finds (possibly none) into *OUT, freed by the caller. */
static int run_query(xmlXPathContextPtr ctx, enum query q, xmlXPathObjectPtr *out) {
        xmlXPathObjectPtr obj = xmlXPathCompiledEval(compiled[q], ctx);

        if (!obj || obj->type != XPATH_NODESET) {
                xmlXPathFreeObject(obj);
                return -ENOMEM; /* the queries are fixed: only memory can fail */
        }
        *out = obj;
        return 0;
}

static int n_nodes(const xmlXPathObject *obj) {
        return obj->nodesetval ? obj->nodesetval->nodeNr : 0;
}

static xmlNodePtr node_at(const xmlXPathObject *obj, int i) {
        return obj->nodesetval->nodeTab[i];
}

/* Is attribute NAME (in no namespace) of N equal to VALUE? */
static bool attr_is(xmlNodePtr n, const char *name, const char *value) {
        xmlChar *v = xmlGetNoNsProp(n, BAD_CAST name);
        bool eq = v && strcmp((const char *)v, value) == 0;

        xmlFree(v);
        return eq;
}

static bool attr_is_yes(xmlNodePtr n, const char *name) {
        return attr_is(n, name, "yes") || attr_is(n, name, "true") || attr_is(n, name, "1");
}

/* balloond's own elements in <metadata>: exclude and class. */
static void read_metadata(const xmlXPathObject *obj, struct bd_domain_facts *f) {
        for (int i = 0; i < n_nodes(obj); i++) {
                xmlNodePtr n = node_at(obj, i);
                xmlChar *cls = xmlGetNoNsProp(n, BAD_CAST "class");

                if (attr_is_yes(n, "exclude"))
                        f->flags |= BD_VM_TAG_EXCLUDE;
                if (cls && bd_class_valid((const char *)cls))
                        strcpy(f->class_tag, (const char *)cls); /* valid: shorter than BD_CLASS_MAX */
                xmlFree(cls);
        }
}

/* The first valid <stats period='N'/> of balloon B, 0 if none. */
static int stats_period(xmlNodePtr b) {
        for (xmlNodePtr c = b->children; c; c = c->next) {
                xmlChar *v;
                char *end;
                long period;
                bool ok;

                if (c->type != XML_ELEMENT_NODE || c->ns || strcmp((const char *)c->name, "stats") != 0)
                        continue;
                v = xmlGetNoNsProp(c, BAD_CAST "period");
                if (!v)
                        continue;
                errno = 0;
                period = strtol((const char *)v, &end, 10);
                ok = errno == 0 && *end == '\0' && end != (char *)v && period >= 0 && period <= MAX_STATS_PERIOD_SEC;
                xmlFree(v);
                if (ok && period > 0)
                        return (int)period;
        }
        return 0;
}

/* The balloon devices: none, model='none', or one that can be used. */
static void read_balloon(const xmlXPathObject *obj, struct bd_domain_facts *f) {
        if (n_nodes(obj) == 0)
                f->flags |= BD_VM_NO_BALLOON;
        for (int i = 0; i < n_nodes(obj); i++) {
                xmlNodePtr b = node_at(obj, i);

                if (attr_is(b, "model", "none")) {
                        f->flags |= BD_VM_NO_BALLOON;
                        continue;
                }
                if (f->stats_period <= 0)
                        f->stats_period = stats_period(b);
                if (attr_is(b, "autodeflate", "on"))
                        f->flags |= BD_VM_AUTODEFLATE;
                if (!attr_is(b, "freePageReporting", "on"))
                        f->flags |= BD_VM_NO_FREE_PAGE_REPORTING;
        }
}

/* KiB = value x num / den, for each unit libvirt accepts. */
static int unit_kib(const char *unit, uint64_t *num, uint64_t *den) {
        static const struct {
                const char *name;
                uint64_t num, den;
        } units[] = {
                { "b", 1, 1024 },           { "bytes", 1, 1024 },        { "KB", 1000, 1024 },
                { "k", 1, 1 },              { "KiB", 1, 1 },             { "MB", 1000000, 1024 },
                { "M", 1024, 1 },           { "MiB", 1024, 1 },          { "GB", 1000000000, 1024 },
                { "G", 1048576, 1 },        { "GiB", 1048576, 1 },       { "T", 1073741824, 1 },
                { "TiB", 1073741824, 1 },
        };

        for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
                if (strcmp(unit, units[i].name) == 0) {
                        *num = units[i].num;
                        *den = units[i].den;
                        return 0;
                }
        return -EINVAL;
}

/* A size element (<memory unit='MiB'>4096</memory>, KiB without a unit) in
 * KiB: digits only, no sign or blanks, no overflow. BD_KIB_UNKNOWN if the
 * query found none or it is malformed. */
static uint64_t size_kib(const xmlXPathObject *obj) {
        uint64_t num = 1, den = 1, v, kib = BD_KIB_UNKNOWN;
        xmlChar *unit, *text;
        char *end;

        if (n_nodes(obj) == 0)
                return BD_KIB_UNKNOWN;
        unit = xmlGetNoNsProp(node_at(obj, 0), BAD_CAST "unit");
        text = xmlNodeGetContent(node_at(obj, 0));
        if (text && (!unit || unit_kib((const char *)unit, &num, &den) == 0) && text[0] >= '0' && text[0] <= '9') {
                errno = 0;
                v = strtoull((const char *)text, &end, 10);
                if (errno == 0 && *end == '\0' && v <= UINT64_MAX / num)
                        kib = v * num / den;
        }
        xmlFree(unit);
        xmlFree(text);
        return kib;
}

/* Every query over the parsed domain DOC, into F. */
static int read_facts(xmlDocPtr doc, struct bd_domain_facts *f) {
        xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
        xmlXPathObjectPtr res[N_QUERIES] = { 0 };
        int r = ctx ? 0 : -ENOMEM;

        if (r == 0 && xmlXPathRegisterNs(ctx, BAD_CAST "bd", BAD_CAST BD_METADATA_NS) < 0)
                r = -ENOMEM;
        for (int q = 0; q < N_QUERIES && r == 0; q++)
                r = run_query(ctx, (enum query)q, &res[q]);
        if (r == 0) {
                read_metadata(res[Q_METADATA], f);
                if (n_nodes(res[Q_LOCKED]) > 0)
                        f->flags |= BD_VM_LOCKED;
                if (n_nodes(res[Q_HUGEPAGES]) > 0)
                        f->flags |= BD_VM_HUGEPAGES;
                if (n_nodes(res[Q_SHARED]) > 0)
                        f->flags |= BD_VM_SHARED_MEMORY;
                if (n_nodes(res[Q_VFIO]) > 0)
                        f->flags |= BD_VM_VFIO;
                if (n_nodes(res[Q_CONFIDENTIAL]) > 0)
                        f->flags |= BD_VM_CONFIDENTIAL;
                if (n_nodes(res[Q_VDPA]) > 0)
                        f->flags |= BD_VM_VDPA;
                if (n_nodes(res[Q_VIRTIO_MEM]) > 0)
                        f->flags |= BD_VM_VIRTIO_MEM;
                read_balloon(res[Q_BALLOON], f);
                f->max_kib = size_kib(res[Q_MEMORY]);
                f->current_kib = size_kib(res[Q_CURRENT_MEMORY]);
        }
        for (int q = 0; q < N_QUERIES; q++)
                xmlXPathFreeObject(res[q]);
        xmlXPathFreeContext(ctx);
        return r;
}

int bd_domxml_read(const char *xml, struct bd_domain_facts *out) {
        struct bd_domain_facts f = { .stats_period = -1 };
        size_t len = xml ? strlen(xml) : 0;
        xmlDocPtr doc;
        xmlNodePtr root;
        int r;

        if (!xml || len > INT_MAX)
                return -EINVAL;
        pthread_once(&compile_once, compile_queries);
        if (compile_failed)
                return -ENOMEM;
        doc = xmlReadMemory(xml, (int)len, NULL, NULL, PARSE_OPTIONS);
        if (!doc)
                return -EINVAL;
        root = xmlDocGetRootElement(doc);
        if (!root || root->ns || strcmp((const char *)root->name, "domain") != 0)
                r = -EINVAL;
        else
                r = read_facts(doc, &f);
        xmlFreeDoc(doc);
        if (r == 0)
                *out = f;
        return r;
}
