/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The configuration's trust check and POSIX ACLs: an ACL entry that lets a
 * named user or group write the file (or a directory above it) hands them
 * balloond's configuration although the mode bits look safe. The ACLs are
 * set as the kernel stores them (system.posix_acl_access), as setfacl(1)
 * would; a file system without ACLs skips the test. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cmocka.h>

#include "balloond/core/trust.h"

enum { USER_OBJ = 0x01, USER = 0x02, GROUP_OBJ = 0x04, GROUP = 0x08, MASK = 0x10, OTHER = 0x20 };

struct entry {
        unsigned tag, perm, id;
};

struct fixture {
        char dir[64];
        char file[96];
};

static void put16(unsigned char *p, unsigned v) {
        p[0] = (unsigned char)v;
        p[1] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *p, unsigned v) {
        put16(p, v & 0xffff);
        put16(p + 2, v >> 16);
}

/* Set PATH's access ACL to ENTRIES (sorted by tag, as the kernel wants). */
static int set_acl(const char *path, const struct entry *e, size_t n) {
        unsigned char buf[4 + 8 * 16];

        put32(buf, 2);
        for (size_t i = 0; i < n; i++) {
                put16(buf + 4 + 8 * i, e[i].tag);
                put16(buf + 6 + 8 * i, e[i].perm);
                put32(buf + 8 + 8 * i, e[i].id);
        }
        return setxattr(path, "system.posix_acl_access", buf, 4 + 8 * n, 0);
}

static int setup(void **state) {
        struct fixture *f = calloc(1, sizeof(*f));
        FILE *fp;

        if (!f)
                return -1;
        snprintf(f->dir, sizeof(f->dir), "/tmp/balloond-trust-acl.XXXXXX");
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

        unlink(f->file);
        rmdir(f->dir);
        free(f);
        return 0;
}

static bool acls_unsupported(int r) {
        return r < 0 && (errno == ENOTSUP || errno == EOPNOTSUPP);
}

/* setfacl -m u:65534:rw FILE: the mode still reads 0664, group root. */
static void test_user_write_refused(void **state) {
        struct fixture *f = *state;
        const struct entry e[] = { { USER_OBJ, 6, 0 }, { USER, 6, 65534 }, { GROUP_OBJ, 4, 0 },
                                   { MASK, 6, 0 },     { OTHER, 4, 0 } };
        char why[512] = "";
        int r = set_acl(f->file, e, 5);

        if (acls_unsupported(r))
                skip();
        assert_int_equal(r, 0);
        assert_int_equal(bd_trust_check_file(f->file, 0, why, sizeof(why)), -EPERM);
        assert_non_null(strstr(why, "through its ACL"));
        assert_non_null(strstr(why, "setfacl -x u:65534"));
        assert_non_null(strstr(why, f->file));
}

/* setfacl -m g:65534:rw on the directory: its members could replace the file. */
static void test_group_write_on_directory_refused(void **state) {
        struct fixture *f = *state;
        const struct entry e[] = { { USER_OBJ, 7, 0 }, { GROUP_OBJ, 5, 0 }, { GROUP, 7, 65534 },
                                   { MASK, 7, 0 },     { OTHER, 5, 0 } };
        char why[512] = "";
        int r = set_acl(f->dir, e, 5);

        if (acls_unsupported(r))
                skip();
        assert_int_equal(r, 0);
        assert_int_equal(bd_trust_check_file(f->file, 0, why, sizeof(why)), -EPERM);
        assert_non_null(strstr(why, "setfacl -x g:65534"));
        assert_non_null(strstr(why, f->dir));
}

/* Read-only entries, and a write entry the mask takes away, are fine. */
static void test_read_only_and_masked_accepted(void **state) {
        struct fixture *f = *state;
        const struct entry ro[] = { { USER_OBJ, 6, 0 }, { USER, 4, 65534 }, { GROUP_OBJ, 4, 0 },
                                    { MASK, 4, 0 },     { OTHER, 4, 0 } };
        const struct entry masked[] = { { USER_OBJ, 6, 0 }, { USER, 6, 65534 }, { GROUP_OBJ, 4, 0 },
                                        { MASK, 4, 0 },     { OTHER, 4, 0 } };
        char why[512] = "";
        int r = set_acl(f->file, ro, 5);

        if (acls_unsupported(r))
                skip();
        assert_int_equal(r, 0);
        assert_int_equal(bd_trust_check_file(f->file, 0, why, sizeof(why)), 0);
        assert_int_equal(set_acl(f->file, masked, 5), 0);
        assert_int_equal(bd_trust_check_file(f->file, 0, why, sizeof(why)), 0);
}

/* The user balloond runs as may write its own file, ACL or not. */
static void test_trusted_user_accepted(void **state) {
        struct fixture *f = *state;
        const struct entry e[] = { { USER_OBJ, 6, 0 }, { USER, 6, 4242 }, { GROUP_OBJ, 4, 0 },
                                   { MASK, 6, 0 },     { OTHER, 4, 0 } };
        char why[512] = "";
        int r = set_acl(f->file, e, 5);

        if (acls_unsupported(r))
                skip();
        assert_int_equal(r, 0);
        assert_int_equal(bd_trust_check_file(f->file, 4242, why, sizeof(why)), 0);
        assert_int_equal(bd_trust_check_file(f->file, 0, why, sizeof(why)), -EPERM);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_user_write_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_group_write_on_directory_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_read_only_and_masked_accepted, setup, teardown),
                cmocka_unit_test_setup_teardown(test_trusted_user_accepted, setup, teardown),
        };

        if (geteuid() != 0) {
                printf("not root: ACLs on root's files cannot be set, skipped\n");
                return 0;
        }
        return cmocka_run_group_tests(tests, NULL, NULL);
}
