/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Publishing the daemon's view: the cycle's JSON document plus who wrote it,
 * replaced whole (src/daemon/atomicfile.c), so a reader sees the old file or
 * the new one, never half. */
#include <errno.h>
#include <grp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "balloond/daemon/atomicfile.h"
#include "balloond/daemon/report.h"
#include "balloond/daemon/status.h"

/* The group that may read the status file: libvirt's (looked up once). */
static gid_t reader_group(void) {
        static gid_t gid;
        static bool looked_up;

        if (!looked_up) {
                struct group *g = getgrnam("libvirt");

                gid = g ? g->gr_gid : (gid_t)-1;
                looked_up = true;
        }
        return gid;
}

int bd_status_write(const char *path, const struct bd_daemon *d) {
        struct bd_buf b;
        struct bd_jw w;
        int r;

        /* The document, in memory first: a write error never leaves half a file. */
        bd_buf_init(&b);
        bd_jw_init(&w, &b, false);
        bd_jw_object_begin(&w);
        bd_report_json_members(&w, &d->last, d->cfg.dry_run);
        bd_jw_key(&w, "pid");
        bd_jw_i64(&w, (int64_t)getpid());
        bd_jw_key(&w, "connect");
        bd_jw_string(&w, d->cfg.connect_uri);
        bd_jw_key(&w, "interval_sec");
        bd_jw_u64(&w, d->cfg.interval_usec / 1000000);
        bd_jw_key(&w, "cycles");
        bd_jw_u64(&w, d->cycles);
        bd_jw_object_end(&w);
        bd_buf_putc(&b, '\n');
        r = bd_atomic_write(path, b.p, b.len, 0640, reader_group());
        bd_buf_free(&b);
        return r;
}
