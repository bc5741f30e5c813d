/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the configuration tests (test_config*.c) share: comparing two
 * configurations, loading a text that must be good or must fail with given
 * messages, and temporary files. */
#ifndef BALLOOND_TESTS_CONFIG_TEST_H
#define BALLOOND_TESTS_CONFIG_TEST_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "balloond/core/units.h"
#include "balloond/core/config.h"

#define SEC 1000000ULL
#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

bool config_equal(const struct bd_config *a, const struct bd_config *b);
void load_ok(const char *text, struct bd_config *c);
bool expect_errors(const char *text, const char *const *expected, size_t n);
char *read_whole(const char *path);
void temp_file(char *path, size_t size, const char *data, size_t len);

#endif
