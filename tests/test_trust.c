/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Only root may change the configuration: the file, its directories, and
 * the directory of a symbolic link to it. Run as root, the test also hands
 * files to another user; as anyone else it checks what it can. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "balloond/core/trust.h"

struct fixture {
        char dir[64];  /* mode 0755, ours */
        char file[96]; /* dir/balloond.conf, mode 0644 */
};

static int setup(void **state) {
        struct fixture *f = calloc(1, sizeof(*f));
        FILE *fp;

        if (!f)
                return -1;
        snprintf(f->dir, sizeof(f->dir), "/tmp/balloond-trust.XXXXXX");
        if (!mkdtemp(f->dir) || chmod(f->dir, 0755) < 0)
                return -1;
        snprintf(f->file, sizeof(f->file), "%s/balloond.conf", f->dir);
        fp = fopen(f->file, "w");
        if (!fp)
                return -1;
        fputs("interval_sec = 5;\n", fp);
        fclose(fp);
        if (chmod(f->file, 0644) < 0)
                return -1;
        *state = f;
        return 0;
}

static int teardown(void **state) {
        struct fixture *f = *state;
        char path[128];

        snprintf(path, sizeof(path), "%s/link.conf", f->dir);
        unlink(path);
        snprintf(path, sizeof(path), "%s/sub", f->dir);
        rmdir(path);
        unlink(f->file);
        rmdir(f->dir);
        free(f);
        return 0;
}

static int check(const char *path, char *why, size_t len) {
        why[0] = '\0';
        return bd_trust_check_file(path, geteuid(), why, len);
}

static void test_private_file_is_trusted(void **state) {
        struct fixture *f = *state;
        char why[512];

        assert_int_equal(check(f->file, why, sizeof(why)), 0);
        /* /tmp above it is world-writable but sticky: fine. */
        assert_int_equal(chmod(f->file, 0600), 0);
        assert_int_equal(check(f->file, why, sizeof(why)), 0);
}

static void test_world_writable_file(void **state) {
        struct fixture *f = *state;
        char why[512];

        assert_int_equal(chmod(f->file, 0646), 0);
        assert_int_equal(check(f->file, why, sizeof(why)), -EPERM);
        assert_non_null(strstr(why, "writable by everyone (mode 0646)"));
        assert_non_null(strstr(why, "chmod o-w"));
        assert_non_null(strstr(why, f->file));
}

static void test_world_writable_directory(void **state) {
        struct fixture *f = *state;
        char why[512];

        assert_int_equal(chmod(f->dir, 0777), 0);
        assert_int_equal(check(f->file, why, sizeof(why)), -EPERM);
        assert_non_null(strstr(why, f->dir));
        assert_non_null(strstr(why, "mode 0777"));
        /* The same directory with the sticky bit (like /tmp) cannot have our
         * file replaced by others. */
        assert_int_equal(chmod(f->dir, 01777), 0);
        assert_int_equal(check(f->file, why, sizeof(why)), 0);
}

static void test_group_writable(void **state) {
        struct fixture *f = *state;
        char why[512];

        assert_int_equal(chmod(f->file, 0664), 0);
        if (getegid() == 0) {
                /* Writable by root's group only. */
                assert_int_equal(check(f->file, why, sizeof(why)), 0);
                if (geteuid() != 0)
                        skip();
                assert_int_equal(chown(f->file, (uid_t)-1, 100), 0); /* "users" on Debian */
        }
        assert_int_equal(check(f->file, why, sizeof(why)), -EPERM);
        assert_non_null(strstr(why, "writable by group"));
        assert_non_null(strstr(why, "chmod g-w"));
}

static void test_owned_by_another_user(void **state) {
        struct fixture *f = *state;
        char why[512];

        if (geteuid() != 0)
                skip();
        assert_int_equal(chown(f->file, 65534, (gid_t)-1), 0); /* nobody */
        assert_int_equal(check(f->file, why, sizeof(why)), -EPERM);
        assert_non_null(strstr(why, "not root"));
        assert_non_null(strstr(why, "chown root:root"));
        /* A directory above it owned by another user is as bad. */
        assert_int_equal(chown(f->file, 0, (gid_t)-1), 0);
        assert_int_equal(chown(f->dir, 65534, (gid_t)-1), 0);
        assert_int_equal(check(f->file, why, sizeof(why)), -EPERM);
        assert_non_null(strstr(why, f->dir));
        assert_int_equal(chown(f->dir, 0, (gid_t)-1), 0);
}

static void test_symlink_directory_counts(void **state) {
        struct fixture *f = *state;
        char sub[128], link[160], why[512];

        /* A safe link in a safe directory. */
        snprintf(link, sizeof(link), "%s/link.conf", f->dir);
        assert_int_equal(symlink(f->file, link), 0);
        assert_int_equal(check(link, why, sizeof(why)), 0);
        unlink(link);
        /* A link to a safe file, in a directory anyone can write: anyone
         * could point it elsewhere. */
        snprintf(sub, sizeof(sub), "%s/sub", f->dir);
        assert_int_equal(mkdir(sub, 0777), 0);
        assert_int_equal(chmod(sub, 0777), 0);
        snprintf(link, sizeof(link), "%s/sub/link.conf", f->dir);
        assert_int_equal(symlink(f->file, link), 0);
        assert_int_equal(check(link, why, sizeof(why)), -EPERM);
        assert_non_null(strstr(why, sub));
        unlink(link);
}

static void test_missing_file(void **state) {
        struct fixture *f = *state;
        char path[128], why[512];

        snprintf(path, sizeof(path), "%s/none.conf", f->dir);
        assert_int_equal(check(path, why, sizeof(why)), -ENOENT);
        assert_non_null(strstr(why, "none.conf"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_private_file_is_trusted, setup, teardown),
                cmocka_unit_test_setup_teardown(test_world_writable_file, setup, teardown),
                cmocka_unit_test_setup_teardown(test_world_writable_directory, setup, teardown),
                cmocka_unit_test_setup_teardown(test_group_writable, setup, teardown),
                cmocka_unit_test_setup_teardown(test_owned_by_another_user, setup, teardown),
                cmocka_unit_test_setup_teardown(test_symlink_directory_counts, setup, teardown),
                cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
