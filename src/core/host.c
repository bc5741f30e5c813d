/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The host sampler: /proc/meminfo (required: MemTotal, MemAvailable, and the
 * hugetlb pools, which no balloon can take or give) and the memory pressure
 * of the cgroup that holds the VMs (optional: machine.slice on systemd hosts,
 * psi_path; kernels without PSI, or hosts without that cgroup, are fine).
 * Not the root's /proc/pressure/memory: any memory-limited cgroup, even an
 * unprivileged user's, stalls there. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "balloond/core/host.h"

/* Read a whole small file into BUF (NUL-terminated). */
static int read_small_file(const char *path, char *buf, size_t size) {
        size_t len = 0;
        int fd = open(path, O_RDONLY | O_CLOEXEC), r = 0;

        if (fd < 0)
                return -errno;
        while (len + 1 < size) {
                ssize_t k = read(fd, buf + len, size - 1 - len);

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        break;
                }
                if (k == 0)
                        break;
                len += (size_t)k;
        }
        close(fd);
        buf[len] = '\0';
        return r;
}

/* The line of TEXT that starts with KEY followed by SEP: a pointer just past
 * SEP, or NULL when there is none. */
static const char *line_after(const char *text, const char *key, char sep) {
        size_t klen = strlen(key);

        for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
                if (strncmp(p, key, klen) == 0 && p[klen] == sep)
                        return p + klen + 1;
        return NULL;
}

/* Find "KEY:" at the start of a line and parse its value in kB (UNIT "kB") or
 * as a plain count (UNIT NULL). -ENOENT when absent, -EINVAL when malformed. */
static int meminfo_value(const char *text, const char *key, const char *unit, uint64_t *out) {
        const char *q = line_after(text, key, ':');
        char *end;
        unsigned long long v;

        if (!q)
                return -ENOENT;
        while (*q == ' ' || *q == '\t')
                q++;
        if (*q < '0' || *q > '9')
                return -EINVAL;
        errno = 0;
        v = strtoull(q, &end, 10);
        if (errno == ERANGE || v > UINT64_MAX / 1024)
                return -EINVAL;
        while (*end == ' ')
                end++;
        if (unit ? strncmp(end, unit, strlen(unit)) != 0 : (*end != '\n' && *end != '\0'))
                return -EINVAL;
        *out = v;
        return 0;
}

/* The hugetlb pools, all page sizes ("Hugetlb", Linux 4.16), else the
 * default size's pool (HugePages_Total x Hugepagesize). 0 when unknown. */
static int meminfo_hugetlb(const char *text, uint64_t *out) {
        uint64_t pages, size;
        int r = meminfo_value(text, "Hugetlb", "kB", out);

        if (r != -ENOENT)
                return r;
        *out = 0;
        r = meminfo_value(text, "HugePages_Total", NULL, &pages);
        if (r == -ENOENT)
                return 0;
        if (r < 0 || meminfo_value(text, "Hugepagesize", "kB", &size) < 0)
                return -EINVAL;
        if (size && pages > UINT64_MAX / size)
                return -EINVAL;
        *out = pages * size;
        return 0;
}

int bd_host_parse_meminfo(const char *text, struct bd_host_sample *out) {
        uint64_t total, avail, huge;

        if (meminfo_value(text, "MemTotal", "kB", &total) < 0 ||
            meminfo_value(text, "MemAvailable", "kB", &avail) < 0 || meminfo_hugetlb(text, &huge) < 0)
                return -EINVAL;
        if (total == 0 || avail > total || huge > total)
                return -EINVAL;
        out->mem_total_kib = total;
        out->mem_available_kib = avail;
        out->hugetlb_kib = huge;
        /* Swap (optional: the ledger's host line). */
        out->swap_used_kib = BD_KIB_UNKNOWN;
        if (meminfo_value(text, "SwapTotal", "kB", &total) == 0 && meminfo_value(text, "SwapFree", "kB", &avail) == 0)
                out->swap_used_kib = total > avail ? total - avail : 0;
        return 0;
}

int bd_host_parse_proc_status(const char *text, uint64_t *rss_kib, uint64_t *swap_kib) {
        *rss_kib = *swap_kib = BD_KIB_UNKNOWN;
        if (meminfo_value(text, "VmRSS", "kB", rss_kib) < 0) {
                *rss_kib = BD_KIB_UNKNOWN;
                return -EINVAL;
        }
        if (meminfo_value(text, "VmSwap", "kB", swap_kib) < 0)
                *swap_kib = BD_KIB_UNKNOWN;
        return 0;
}

int bd_host_read_count(const char *path, uint64_t *out) {
        char buf[64], *end;
        unsigned long long v;
        int r = read_small_file(path, buf, sizeof(buf));

        if (r < 0)
                return r;
        if (buf[0] < '0' || buf[0] > '9')
                return -EINVAL;
        errno = 0;
        v = strtoull(buf, &end, 10);
        if (errno == ERANGE || (*end != '\n' && *end != '\0'))
                return -EINVAL;
        *out = v;
        return 0;
}

int bd_host_read_file(const char *path, char *buf, size_t size) {
        return read_small_file(path, buf, size);
}

void bd_host_read_ksm(const char *pages_sharing_path, struct bd_host_sample *out) {
        long page = sysconf(_SC_PAGESIZE);
        uint64_t pages;

        out->ksm_sharing_kib = BD_KIB_UNKNOWN;
        if (bd_host_read_count(pages_sharing_path, &pages) == 0 && page > 0 && pages < UINT64_MAX / (uint64_t)page)
                out->ksm_sharing_kib = pages * (uint64_t)page / 1024;
}

/* Parse "avg10=N.NN" from a PSI line starting with KIND. */
static int psi_line(const char *text, const char *kind, double *out) {
        const char *p = line_after(text, kind, ' ');
        const char *q, *eol;
        char *end;
        double v;

        if (!p)
                return -ENOENT;
        q = strstr(p, "avg10=");
        eol = strchr(p, '\n');
        if (!q || (eol && q > eol))
                return -EINVAL;
        errno = 0;
        v = strtod(q + 6, &end);
        if (end == q + 6 || errno == ERANGE || !(v >= 0.0 && v <= 100.0))
                return -EINVAL;
        *out = v;
        return 0;
}

int bd_host_parse_psi(const char *text, struct bd_host_sample *out) {
        double some, full = 0.0;
        int r;

        if (psi_line(text, "some", &some) < 0)
                return -EINVAL;
        r = psi_line(text, "full", &full);
        if (r == -EINVAL)
                return -EINVAL;
        /* No "full" line (old kernels): full pressure reads as 0. */
        out->psi_some_avg10_pct = some;
        out->psi_full_avg10_pct = r == 0 ? full : 0.0;
        out->psi_valid = true;
        return 0;
}

int bd_host_sample_read(const char *meminfo_path, const char *psi_path,
                        struct bd_host_sample *out) {
        struct bd_host_sample s = { .ksm_sharing_kib = BD_KIB_UNKNOWN };
        char buf[16384];
        int r;

        r = read_small_file(meminfo_path, buf, sizeof(buf));
        if (r < 0)
                return r;
        r = bd_host_parse_meminfo(buf, &s);
        if (r < 0)
                return r;
        if (psi_path && *psi_path && read_small_file(psi_path, buf, sizeof(buf)) >= 0)
                (void)bd_host_parse_psi(buf, &s); /* garbled PSI: treated as absent */
        *out = s;
        return 0;
}
