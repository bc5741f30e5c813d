/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The atomic file writer (src/daemon/atomicfile.c): a file replaced whole
 * with the mode and group asked for, whatever the umask, both applied before
 * the rename (rename is wrapped, -Wl,--wrap=rename, to look at the file it
 * moves); and on every failure (a directory that is not there or may not be
 * written, a group that may not be given, a target that is a directory, a
 * write that does not fit) an error, the old file untouched and no
 * temporary file left behind. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "balloond/daemon/atomicfile.h"

int __real_rename(const char *from, const char *to);
int __wrap_rename(const char *from, const char *to);

/* What the file being renamed looked like just before. */
static struct {
        int calls;
        mode_t mode;
        gid_t gid;
        off_t size;
} seen;

int __wrap_rename(const char *from, const char *to) {
        struct stat st;

        seen.calls++;
        if (stat(from, &st) == 0) {
                seen.mode = st.st_mode & 07777;
                seen.gid = st.st_gid;
                seen.size = st.st_size;
        }
        return __real_rename(from, to);
}

static char dir[] = "/tmp/test_atomicfile.XXXXXX";

static int setup(void **state) {
        (void)state;
        return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state) {
        char cmd[64];

        (void)state;
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        return system(cmd);
}

/* Entries of the test directory, "." and ".." aside. */
static int entries(void) {
        DIR *d = opendir(dir);
        struct dirent *e;
        int n = 0;

        assert_non_null(d);
        while ((e = readdir(d)))
                n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
        closedir(d);
        return n;
}

static void assert_content(const char *path, const char *want) {
        char buf[256] = "";
        FILE *f = fopen(path, "r");
        size_t n;

        assert_non_null(f);
        n = fread(buf, 1, sizeof(buf) - 1, f);
        buf[n] = '\0';
        fclose(f);
        assert_string_equal(buf, want);
}

static void replaces_whole_with_mode_and_group(void **state) {
        char path[128];
        struct stat st;
        mode_t old_umask = umask(077);
        gid_t gid = getegid() == 0 ? 4242 : getegid(); /* root may give any group */

        (void)state;
        snprintf(path, sizeof(path), "%s/status.json", dir);
        memset(&seen, 0, sizeof(seen));
        assert_int_equal(bd_atomic_write(path, "first\n", 6, 0640, gid), 0);
        assert_int_equal(seen.calls, 1);
        assert_int_equal(seen.mode, 0640); /* before the rename, despite the umask */
        assert_int_equal(seen.gid, gid);
        assert_int_equal(seen.size, 6);
        assert_content(path, "first\n");
        assert_int_equal(bd_atomic_write(path, "second, longer\n", 15, 0644, (gid_t)-1), 0);
        assert_content(path, "second, longer\n");
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0644);
        assert_int_equal(bd_atomic_write(path, "", 0, 0600, (gid_t)-1), 0);
        assert_content(path, "");
        assert_int_equal(entries(), 1); /* no temporary file left */
        unlink(path);
        umask(old_umask);
}

static void failures_leave_the_old_file(void **state) {
        char path[128], sub[128];

        (void)state;
        snprintf(path, sizeof(path), "%s/missing/status.json", dir);
        assert_int_equal(bd_atomic_write(path, "x", 1, 0644, (gid_t)-1), -ENOENT);
        /* A target that is a directory: the rename fails, the temporary goes. */
        snprintf(sub, sizeof(sub), "%s/balloond.prom", dir);
        assert_int_equal(mkdir(sub, 0755), 0);
        assert_int_equal(bd_atomic_write(sub, "x", 1, 0644, (gid_t)-1), -EISDIR);
        assert_int_equal(entries(), 1);
        rmdir(sub);
        /* A directory nobody may create files in (/sys refuses even root). */
        assert_true(bd_atomic_write("/sys/balloond-test", "x", 1, 0644, (gid_t)-1) < 0);
        assert_int_equal(access("/sys/balloond-test", F_OK), -1);
        {
                char *long_path = malloc(PATH_MAX + 16);

                assert_non_null(long_path);
                memset(long_path, 'a', PATH_MAX + 15);
                long_path[0] = '/';
                long_path[PATH_MAX + 15] = '\0';
                assert_int_equal(bd_atomic_write(long_path, "x", 1, 0644, (gid_t)-1), -ENAMETOOLONG);
                free(long_path);
        }
}

/* A full disk, as the file size limit makes it: the write fails, the old
 * file stays as it was. */
static void full_target_keeps_the_old_file(void **state) {
        char path[128], big[8192];
        struct rlimit old, lim = {.rlim_cur = 4096, .rlim_max = RLIM_INFINITY};
        void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);

        (void)state;
        snprintf(path, sizeof(path), "%s/balloond.prom", dir);
        assert_int_equal(bd_atomic_write(path, "old\n", 4, 0644, (gid_t)-1), 0);
        memset(big, 'x', sizeof(big));
        assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
        lim.rlim_max = old.rlim_max;
        assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
        memset(&seen, 0, sizeof(seen));
        assert_int_equal(bd_atomic_write(path, big, sizeof(big), 0644, (gid_t)-1), -EFBIG);
        assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
        signal(SIGXFSZ, old_handler);
        assert_int_equal(seen.calls, 0); /* never renamed */
        assert_content(path, "old\n");
        assert_int_equal(entries(), 1);
        unlink(path);
}

/* As an unprivileged user (a child that drops root, or this process when
 * it is not root): a directory it may not write in fails with EACCES, a
 * group it is not in with EPERM, and neither leaves a file. */
static int unprivileged_checks(void) {
        char ro[160], rw[160], path[192];
        int ok = 1;

        snprintf(ro, sizeof(ro), "%s/ro", dir);
        snprintf(rw, sizeof(rw), "%s/rw", dir);
        snprintf(path, sizeof(path), "%s/status.json", ro);
        ok &= bd_atomic_write(path, "x", 1, 0640, (gid_t)-1) == -EACCES;
        ok &= access(path, F_OK) < 0;
        snprintf(path, sizeof(path), "%s/status.json", rw);
        ok &= bd_atomic_write(path, "x", 1, 0640, 0) == -EPERM; /* group root */
        ok &= access(path, F_OK) < 0;
        return ok ? 0 : 1;
}

static void unprivileged_failures(void **state) {
        char ro[160], rw[160];
        pid_t pid;
        int status;

        (void)state;
        snprintf(ro, sizeof(ro), "%s/ro", dir);
        snprintf(rw, sizeof(rw), "%s/rw", dir);
        assert_int_equal(mkdir(ro, 0555), 0);
        assert_int_equal(mkdir(rw, 0777), 0);
        assert_int_equal(chmod(rw, 0777), 0); /* whatever the umask */
        assert_int_equal(chmod(dir, 0755), 0);
        if (geteuid() != 0) {
                assert_int_equal(unprivileged_checks(), 0);
        } else {
                pid = fork();
                assert_true(pid >= 0);
                if (pid == 0)
                        _exit(setgroups(0, NULL) == 0 && setgid(65534) == 0 && setuid(65534) == 0 ? unprivileged_checks()
                                                                                                 : 2);
                assert_int_equal(waitpid(pid, &status, 0), pid);
                assert_true(WIFEXITED(status));
                assert_int_equal(WEXITSTATUS(status), 0);
        }
        assert_int_equal(rmdir(ro), 0); /* empty: nothing was left */
        assert_int_equal(rmdir(rw), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(replaces_whole_with_mode_and_group),
                cmocka_unit_test(failures_leave_the_old_file),
                cmocka_unit_test(full_target_keeps_the_old_file),
                cmocka_unit_test(unprivileged_failures),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
