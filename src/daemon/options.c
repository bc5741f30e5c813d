/* SPDX-License-Identifier: GPL-2.0-or-later */
/* balloond's command line: getopt_long over a table of options, one helper
 * per option that takes a number, and the combinations that are refused. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balloond/core/config.h"
#include "balloond/daemon/status.h"
#include "options.h"

enum { OPT_CONNECT = 256, OPT_DRY_RUN, OPT_ONCE, OPT_JSON, OPT_CHECK, OPT_VERSION, OPT_STATUS, OPT_METRICS,
       OPT_INTERVAL, OPT_CYCLES };

static const struct option longopts[] = {
        { "config", required_argument, NULL, 'c' },
        { "connect", required_argument, NULL, OPT_CONNECT },
        { "dry-run", no_argument, NULL, OPT_DRY_RUN },
        { "once", no_argument, NULL, OPT_ONCE },
        { "json", no_argument, NULL, OPT_JSON },
        { "metrics", no_argument, NULL, OPT_METRICS },
        { "check-config", no_argument, NULL, OPT_CHECK },
        { "status-file", required_argument, NULL, OPT_STATUS },
        { "interval", required_argument, NULL, OPT_INTERVAL },
        { "cycles", required_argument, NULL, OPT_CYCLES },
        { "verbose", no_argument, NULL, 'v' },
        { "version", no_argument, NULL, OPT_VERSION },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
};

static void usage(FILE *f) {
        fprintf(f,
                "Usage: balloond [OPTION]...\n"
                "Host-side memory balloon policy daemon for KVM hosts run with libvirt.\n"
                "\n"
                "  -c, --config FILE   configuration file (default " BD_DEFAULT_CONFIG_FILE ")\n"
                "      --connect URI   libvirt URI (default from the config, qemu:///system);\n"
                "                      sim:// is a built-in simulated host, sim:///FILE.json\n"
                "                      the host and VMs of a balloond-sim scenario\n"
                "      --dry-run       decide and explain, change nothing\n"
                "      --once          run one cycle, print a per-VM table, exit\n"
                "      --json          with --once: print a JSON document instead of the table\n"
                "      --metrics       with --once: print Prometheus metrics instead of the table\n"
                "      --check-config  check the configuration, print every error, exit\n"
                "      --status-file FILE  where the service publishes its per-VM view for\n"
                "                      balloonctl (default " BD_DEFAULT_STATUS_FILE "; \"\" = none)\n"
                "      --interval SEC  cycle every SEC seconds (0.01..3600, decimals allowed),\n"
                "                      overriding interval_sec; for tests and soak runs\n"
                "      --cycles N      stop (as on SIGTERM) after N cycles\n"
                "  -v, --verbose       log more (twice: debug)\n"
                "      --version       print the version and exit\n"
                "  -h, --help          print this help and exit\n"
                "\n"
                "Exit status: 0 success, 1 runtime failure (libvirt unreachable, cycle failed),\n"
                "2 bad command line, 6 invalid configuration.\n");
}
/* --connect URI */
static int parse_connect(const char *arg, struct options *o) {
        if (!*arg || strlen(arg) >= BD_URI_MAX) {
                fprintf(stderr, "balloond: --connect: URI is empty or too long\n");
                return -EINVAL;
        }
        o->connect_uri = arg;
        return 0;
}

/* --interval SEC: 0.01 to 3600, decimals allowed. */
static int parse_interval(const char *arg, struct options *o) {
        char *end;
        double sec;

        errno = 0;
        sec = strtod(arg, &end);
        if (errno || end == arg || *end || !(sec >= 0.01 && sec <= 3600)) {
                fprintf(stderr, "balloond: --interval: '%s' is not a number of seconds "
                                "from 0.01 to 3600\n", arg);
                return -EINVAL;
        }
        o->interval_usec = (uint64_t)(sec * 1e6 + 0.5);
        return 0;
}

/* --cycles N: a positive whole number. */
static int parse_cycles(const char *arg, struct options *o) {
        char *end;
        unsigned long long n;

        errno = 0;
        n = strtoull(arg, &end, 10);
        if (errno || end == arg || *end || arg[0] == '-' || n == 0) {
                fprintf(stderr, "balloond: --cycles: '%s' is not a positive whole number\n", arg);
                return -EINVAL;
        }
        o->max_cycles = n;
        return 0;
}

/* One option C as getopt_long returned it (its argument in optarg). */
static int take_option(int c, char **argv, struct options *o) {
        switch (c) {
        case 'c':
                o->config_path = optarg;
                return 0;
        case OPT_CONNECT:
                return parse_connect(optarg, o);
        case OPT_STATUS:
                o->status_file = optarg;
                return 0;
        case OPT_INTERVAL:
                return parse_interval(optarg, o);
        case OPT_CYCLES:
                return parse_cycles(optarg, o);
        case OPT_DRY_RUN:
                o->dry_run = true;
                return 0;
        case OPT_ONCE:
                o->once = true;
                return 0;
        case OPT_JSON:
                o->json = true;
                return 0;
        case OPT_METRICS:
                o->metrics = true;
                return 0;
        case OPT_CHECK:
                o->check_config = true;
                return 0;
        case 'v':
                o->verbose++;
                return 0;
        case OPT_VERSION:
                printf("balloond " BALLOOND_VERSION "\n");
                exit(EXIT_OK);
        case 'h':
                usage(stdout);
                exit(EXIT_OK);
        case ':':
                fprintf(stderr, "balloond: option '%s' needs an argument\n", argv[optind - 1]);
                return -EINVAL;
        default:
                fprintf(stderr, "balloond: unknown option '%s' (see --help)\n", argv[optind - 1]);
                return -EINVAL;
        }
}

/* The options that do not go together. */
static int check_combination(const struct options *o) {
        if ((o->json || o->metrics) && !o->once) {
                fprintf(stderr, "balloond: --%s only goes with --once\n", o->json ? "json" : "metrics");
                return -EINVAL;
        }
        if (o->once && (o->max_cycles || o->interval_usec)) {
                fprintf(stderr, "balloond: --%s does not go with --once, which runs one cycle and exits\n",
                        o->max_cycles ? "cycles" : "interval");
                return -EINVAL;
        }
        if (o->json && o->metrics) {
                fprintf(stderr, "balloond: --json and --metrics: choose one\n");
                return -EINVAL;
        }
        return 0;
}

int bd_parse_args(int argc, char **argv, struct options *o) {
        int c;

        opterr = 0;
        while ((c = getopt_long(argc, argv, ":c:vh", longopts, NULL)) != -1)
                if (take_option(c, argv, o) < 0)
                        return -EINVAL;
        if (optind < argc) {
                fprintf(stderr, "balloond: unexpected argument '%s' (see --help)\n", argv[optind]);
                return -EINVAL;
        }
        return check_combination(o);
}
