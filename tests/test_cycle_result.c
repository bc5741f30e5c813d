/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The last cycle's result owns its samples (issue 17 item 6, issue 19 item
 * 2): a backend that frees its samples at each collect (as the libvirt one
 * may grow and move them) behind the simulated host; a cycle that fails
 * after collecting, and a new backend (a reload that changed connect),
 * leave the result whole for the reporters (AddressSanitizer, in the
 * sanitizer build, sees any read of freed memory); restore_on_exit never
 * sets the new backend's VMs from the old backend's samples. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "balloond/core/alloc.h"
#include "balloond/daemon/backend.h"
#include "balloond/daemon/cycle.h"
#include "balloond/daemon/log.h"
#include "balloond/daemon/report.h"

#define SEC 1000000ULL
#define T0_USEC (1000 * SEC)
#define WALL0 1790000000LL

struct fake {
        struct bd_backend base;
        struct bd_backend *sim;
        struct bd_vm_sample *copy; /* a new array at each collect */
        bool fail_host, fail_collect;
        int sets;
};

static int fake_collect(struct bd_backend *b, uint64_t now, int64_t wall, const struct bd_vm_sample **out,
                        size_t *n) {
        struct fake *f = (struct fake *)b;
        const struct bd_vm_sample *s;
        int r;

        if (f->fail_collect)
                return -ENOTCONN;
        r = f->sim->ops->collect(f->sim, now, wall, &s, n);
        if (r < 0)
                return r;
        free(f->copy);
        f->copy = bd_resize_array(NULL, *n ? *n : 1, sizeof(*s));
        memcpy(f->copy, s, *n * sizeof(*s));
        *out = f->copy;
        return 0;
}

static int fake_host(struct bd_backend *b, uint64_t now, struct bd_host_sample *out) {
        struct fake *f = (struct fake *)b;

        return f->fail_host ? -EIO : f->sim->ops->sample_host(f->sim, now, out);
}

static int fake_set(struct bd_backend *b, const struct bd_vm_sample *vm, uint64_t t, char *err, size_t len) {
        struct fake *f = (struct fake *)b;

        f->sets++;
        return f->sim->ops->set_target(f->sim, vm, t, err, len);
}

static void fake_free(struct bd_backend *b) {
        struct fake *f = (struct fake *)b;

        bd_backend_free(f->sim);
        free(f->copy);
        free(f);
}

static const struct bd_backend_ops fake_ops = {
        .name = "fake", .collect = fake_collect, .sample_host = fake_host, .set_target = fake_set, .free = fake_free,
};

static struct fake *open_fake(const struct bd_config *cfg) {
        struct fake *f = calloc(1, sizeof(*f));
        char err[256];

        assert_non_null(f);
        f->base.ops = &fake_ops;
        assert_int_equal(bd_backend_open("sim://", cfg, &f->sim, err, sizeof(err)), 0);
        return f;
}

static void config(struct bd_config *cfg) {
        bd_config_defaults(cfg);
        cfg->restore_on_exit = true;
        snprintf(cfg->connect_uri, sizeof(cfg->connect_uri), "fake://");
}

/* Every sample of the last result read, and its JSON report written. */
static void read_all(const struct bd_daemon *d, char (*names)[BD_NAME_MAX]) {
        FILE *null = fopen("/dev/null", "w");

        for (size_t i = 0; i < d->last.n; i++)
                assert_string_equal(d->last.samples[i].name, names[i]);
        assert_non_null(null);
        assert_int_equal(bd_report_json(null, &d->last, false), 0);
        fclose(null);
}

static void remember(const struct bd_daemon *d, char (*names)[BD_NAME_MAX]) {
        for (size_t i = 0; i < d->last.n; i++)
                snprintf(names[i], BD_NAME_MAX, "%s", d->last.samples[i].name);
}

static void cycle_fails_after_collecting(void **state) {
        char names[64][BD_NAME_MAX];
        struct bd_config cfg;
        struct bd_daemon d;
        struct fake *f;

        (void)state;
        config(&cfg);
        f = open_fake(&cfg);
        bd_daemon_init(&d, &cfg, &f->base);
        assert_int_equal(bd_cycle_run(&d, T0_USEC, WALL0), 0);
        assert_true(d.last.n > 0 && d.last.n <= 64);
        remember(&d, names);
        f->fail_host = true; /* collect succeeds (and frees its last array), the host read fails */
        assert_int_equal(bd_cycle_run(&d, T0_USEC + 5 * SEC, WALL0 + 5), -EIO);
        read_all(&d, names);
        f->fail_host = false;
        assert_int_equal(bd_cycle_run(&d, T0_USEC + 10 * SEC, WALL0 + 10), 0);
        remember(&d, names);
        read_all(&d, names);
        bd_daemon_done(&d);
}

static void new_backend_then_restore(void **state) {
        char names[64][BD_NAME_MAX];
        struct bd_config cfg;
        struct bd_daemon d;
        struct fake *old, *new;

        (void)state;
        config(&cfg);
        old = open_fake(&cfg);
        bd_daemon_init(&d, &cfg, &old->base);
        for (int c = 0; c < 5; c++) /* some VMs shrunk below what they are owed */
                assert_int_equal(bd_cycle_run(&d, T0_USEC + (uint64_t)c * 5 * SEC, WALL0 + c * 5), 0);
        remember(&d, names);
        new = open_fake(&cfg);
        new->fail_collect = true;
        bd_daemon_set_backend(&d, &new->base); /* frees the old backend and its samples */
        read_all(&d, names);
        /* The new backend cannot be read: the old one's samples are not its. */
        assert_int_equal(bd_daemon_restore(&d, T0_USEC + 30 * SEC, WALL0 + 30), 0);
        assert_int_equal(new->sets, 0);
        /* It can: restored from its own samples. */
        new->fail_collect = false;
        (void)bd_daemon_restore(&d, T0_USEC + 35 * SEC, WALL0 + 35);
        read_all(&d, names);
        bd_daemon_done(&d);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(cycle_fails_after_collecting),
                cmocka_unit_test(new_backend_then_restore),
        };

        bd_log_setup(BD_LOG_ERR);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
