/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What reading a domain's XML costs balloond per domain start, the retired
 * tag scanner (bench/domxml-scanner.c: three scans, as libvirt.c made them)
 * beside libxml2 (bd_domxml_read, one parse for every fact).
 *   bench-domxml FILE...   each domain XML file: its size and the time of
 *                          one read by each, in microseconds
 *   bench-domxml URI       every domain of URI: the libvirt calls that fetch
 *                          its live XML and its persistent (inactive) XML,
 *                          each read by each; then the cost of one domain
 *                          start, old (live XML, scanned) and new (live and
 *                          persistent XML, parsed), medians over the domains
 * Every figure is the mean of REPS reads of one document (or one fetch per
 * domain), so a microsecond timer suffices. */
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "domxml-scanner.h"
#include "stepped.h"

#define REPS 500

static int cmp(const void *a, const void *b) {
        double x = *(const double *)a, y = *(const double *)b;

        return x < y ? -1 : x > y;
}

static double median(double *v, size_t n) {
        qsort(v, n, sizeof(*v), cmp);
        return n ? v[(n - 1) / 2] : 0.0;
}

/* One read by the scanner: the three calls libvirt.c made. */
static int scan_once(const char *xml) {
        unsigned flags = 0;
        char cls[BD_CLASS_MAX];
        uint64_t kib;

        if (scanner_facts(xml, &flags, cls) < 0)
                return -1;
        (void)scanner_stats_period(xml);
        (void)scanner_memory_kib(xml, &kib);
        return 0;
}

static int parse_once(const char *xml) {
        struct bd_domain_facts f;

        return bd_domxml_read(xml, &f);
}

/* Mean microseconds of one READ of XML, over REPS; -1 if it fails. */
static double time_us(int (*read)(const char *), const char *xml) {
        double t0 = bench_clock_ms(CLOCK_MONOTONIC);

        for (int i = 0; i < REPS; i++)
                if (read(xml) < 0)
                        return -1.0;
        return (bench_clock_ms(CLOCK_MONOTONIC) - t0) * 1000.0 / REPS;
}

static char *slurp(const char *path) {
        FILE *f = fopen(path, "r");
        char *buf = NULL;
        size_t len = 0;
        FILE *m;
        int c;

        if (!f)
                return NULL;
        m = open_memstream(&buf, &len);
        while (m && (c = getc(f)) != EOF)
                putc(c, m);
        fclose(f);
        if (m)
                fclose(m);
        return buf;
}

static int bench_files(int argc, char **argv) {
        printf("%-28s %7s %11s %11s\n", "FILE", "BYTES", "SCANNER_US", "LIBXML2_US");
        for (int i = 1; i < argc; i++) {
                char *xml = slurp(argv[i]);
                const char *base = strrchr(argv[i], '/') ? strrchr(argv[i], '/') + 1 : argv[i];

                if (!xml) {
                        fprintf(stderr, "bench-domxml: cannot read %s\n", argv[i]);
                        return 1;
                }
                printf("%-28s %7zu %11.2f %11.2f\n", base, strlen(xml), time_us(scan_once, xml),
                       time_us(parse_once, xml));
                free(xml);
        }
        return 0;
}

static void quiet(void *u, virErrorPtr e) {
        (void)u;
        (void)e;
}

/* Per domain: fetch live, fetch inactive, scan live, parse live, parse inactive. */
enum { FETCH_LIVE, FETCH_INACTIVE, SCAN, PARSE_LIVE, PARSE_INACTIVE, N_COLUMNS };

static int measure_domain(virDomainPtr dom, double *col) {
        char *xml[2];

        for (int k = 0; k < 2; k++) {
                double t0 = bench_clock_ms(CLOCK_MONOTONIC);

                xml[k] = virDomainGetXMLDesc(dom, k ? VIR_DOMAIN_XML_INACTIVE : 0);
                col[FETCH_LIVE + k] = (bench_clock_ms(CLOCK_MONOTONIC) - t0) * 1000.0;
        }
        if (!xml[0] || !xml[1]) {
                free(xml[0]);
                free(xml[1]);
                return -1;
        }
        col[SCAN] = time_us(scan_once, xml[0]);
        col[PARSE_LIVE] = time_us(parse_once, xml[0]);
        col[PARSE_INACTIVE] = time_us(parse_once, xml[1]);
        free(xml[0]);
        free(xml[1]);
        return 0;
}

static int bench_uri(const char *uri) {
        virConnectPtr conn;
        virDomainPtr *doms = NULL;
        double *col[N_COLUMNS], m[N_COLUMNS];
        int n, done = 0;

        virSetErrorFunc(NULL, quiet);
        conn = virConnectOpen(uri);
        if (!conn || (n = virConnectListAllDomains(conn, &doms, 0)) < 0) {
                fprintf(stderr, "bench-domxml: %s: %s\n", uri, virGetLastErrorMessage());
                return 1;
        }
        for (int c = 0; c < N_COLUMNS; c++)
                col[c] = calloc((size_t)n + 1, sizeof(double));
        for (int i = 0; i < n; i++) {
                double row[N_COLUMNS];

                if (measure_domain(doms[i], row) == 0) {
                        for (int c = 0; c < N_COLUMNS; c++)
                                col[c][done] = row[c];
                        done++;
                }
                virDomainFree(doms[i]);
        }
        for (int c = 0; c < N_COLUMNS; c++) {
                m[c] = median(col[c], (size_t)done);
                free(col[c]);
        }
        printf("domains=%d fetch_live_us=%.1f fetch_inactive_us=%.1f scanner_us=%.2f libxml2_live_us=%.2f "
               "libxml2_inactive_us=%.2f\n",
               done, m[FETCH_LIVE], m[FETCH_INACTIVE], m[SCAN], m[PARSE_LIVE], m[PARSE_INACTIVE]);
        printf("per_domain_start old_us=%.1f new_us=%.1f\n", m[FETCH_LIVE] + m[SCAN],
               m[FETCH_LIVE] + m[PARSE_LIVE] + m[FETCH_INACTIVE] + m[PARSE_INACTIVE]);
        free(doms);
        virConnectClose(conn);
        return done > 0 ? 0 : 1;
}

int main(int argc, char **argv) {
        if (argc < 2) {
                fprintf(stderr, "usage: bench-domxml FILE... | bench-domxml URI\n");
                return 2;
        }
        return strstr(argv[1], "://") ? bench_uri(argv[1]) : bench_files(argc, argv);
}
