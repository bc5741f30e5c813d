/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the fuzz targets share: a trap on a broken promise, the input as a
 * NUL-terminated string and as a file (a memfd read back through
 * /proc/self/fd: the daemon's own path), and the check that both gave the
 * same errors. Static functions: each target includes it once. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "balloond/core/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Larger inputs only make the fuzzer slow; the daemon allows up to 1 MiB. */
#define FUZZ_MAX_INPUT 65536

#define CHECK(x)                                   \
        do {                                       \
                if (!(x))                          \
                        __builtin_trap();          \
        } while (0)

/* DATA as a string (caller frees). */
static inline char *fuzz_text(const uint8_t *data, size_t size) {
        char *text = malloc(size + 1);

        CHECK(text);
        memcpy(text, data, size);
        text[size] = '\0';
        return text;
}

/* DATA as the file whose path is returned (one memfd, named NAME, reused). */
static inline const char *fuzz_file(const char *name, const uint8_t *data, size_t size) {
        static int memfd = -1;
        static char path[64];

        if (memfd < 0) {
                memfd = memfd_create(name, MFD_CLOEXEC);
                CHECK(memfd >= 0);
                snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
        }
        CHECK(ftruncate(memfd, 0) == 0);
        CHECK(pwrite(memfd, data, size, 0) == (ssize_t)size);
        return path;
}

/* The file's errors (named by PATH) are the string's (named by NAME), as far
 * as the longer name leaves room to compare. */
static inline void fuzz_same_errors(const struct bd_config_errors *file, const char *path,
                                    const struct bd_config_errors *str, const char *name) {
        size_t room = sizeof(str->items[0].text) - 1 - strlen(path);

        CHECK(file->n == str->n);
        for (size_t i = 0; i < str->n; i++)
                CHECK(strncmp(file->items[i].text + strlen(path), str->items[i].text + strlen(name), room) == 0);
}

/* S (an array of SIZE bytes) holds a terminated string. */
static inline bool fuzz_terminated(const char *s, size_t size) {
        return memchr(s, '\0', size) != NULL;
}

/* R and ERRS agree, and every error is terminated and named by NAME. */
static inline void fuzz_check_errors(int r, const struct bd_config_errors *errs, const char *name) {
        size_t len = strlen(name);

        CHECK((r == 0) == (errs->n == 0));
        for (size_t i = 0; i < errs->n; i++) {
                CHECK(fuzz_terminated(errs->items[i].text, sizeof(errs->items[i].text)));
                CHECK(strncmp(errs->items[i].text, name, len) == 0 && errs->items[i].text[len] == ':');
        }
}
