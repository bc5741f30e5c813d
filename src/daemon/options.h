/* SPDX-License-Identifier: GPL-2.0-or-later */
/* balloond's command line (options.c): the options and the exit status. */
#ifndef BALLOOND_DAEMON_OPTIONS_H
#define BALLOOND_DAEMON_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

enum exit_code {
        EXIT_OK = 0,
        EXIT_RUNTIME = 1, /* cannot connect, a cycle failed */
        EXIT_USAGE = 2,   /* bad command line */
        EXIT_CONFIG = 6,  /* invalid configuration (LSB "not configured": systemd shows 6/NOTCONFIGURED) */
};

struct options {
        const char *config_path; /* NULL: the default, if it exists */
        const char *connect_uri;
        const char *status_file; /* "" = do not publish */
        bool dry_run, once, json, metrics, check_config;
        int verbose;
        uint64_t interval_usec; /* --interval: overrides interval_sec (0: not given) */
        uint64_t max_cycles;    /* --cycles: stop after this many (0: never) */
};
/* Parse the command line into O (zeroed by the caller). --help and
 * --version print and exit; a bad command line is printed on stderr and
 * gives -EINVAL. */
int bd_parse_args(int argc, char **argv, struct options *o);

#endif
