/* SPDX-License-Identifier: GPL-2.0-or-later */
/* balloond-sim: run scenarios under balloond's policy and the baselines,
 * print one comparison table, optionally a per-second trace (CSV). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balloond/sim/check.h"
#include "balloond/sim/simulate.h"

enum {
        SIM_OK = 0,
        SIM_CHECK_FAILED = 1, /* --check: balloond broke an invariant or touched what it must not */
        SIM_USAGE = 2,
        SIM_BAD_SCENARIO = 3,
};

static void usage(FILE *f) {
        fprintf(f, "Usage: balloond-sim [--policy NAME|all] [--csv FILE] [--check] [--parse-only] SCENARIO.json...\n"
                   "Run each scenario on the simulated host under balloond's policy and the baselines\n"
                   "(balloond, mom, proxmox, host-only, release-fully, none, oracle) and print one\n"
                   "table of metrics.\n"
                   "\n"
                   "      --policy NAME  one policy (default: all)\n"
                   "      --csv FILE     per-second trace of the run (one scenario, one policy)\n"
                   "      --check        exit 1 if balloond broke an invariant, touched an excluded or\n"
                   "                     blind VM or let a guest OOM; or the host went over RAM\n"
                   "                     under balloond where a peer or the oracle kept it within;\n"
                   "                     or a guest was short under balloond where no guest was\n"
                   "                     short under a peer (each failure said on stderr)\n"
                   "      --parse-only   check the scenario files and exit\n"
                   "\n"
                   "Exit status: 0 ok, 1 --check failed, 2 bad command line, 3 bad scenario file.\n");
}

struct trace {
        FILE *f;
        bool header;
};

static void trace_row(void *ctx, uint64_t t, const struct bd_sim *sim, const struct bd_scenario *sc) {
        struct trace *tr = ctx;
        struct bd_host_sample host;
        const struct bd_vm_sample *s;
        size_t n;

        s = bd_sim_samples(sim, &n);
        bd_sim_host_sample(sim, &host);
        if (!tr->header) {
                fprintf(tr->f, "t_sec,host_free_mib");
                for (size_t i = 0; i < n; i++)
                        fprintf(tr->f, ",%s_actual_mib,%s_demand_mib", sc->vms[i].spec.name, sc->vms[i].spec.name);
                fputc('\n', tr->f);
                tr->header = true;
        }
        fprintf(tr->f, "%llu,%llu", (unsigned long long)t, (unsigned long long)(host.mem_available_kib / 1024));
        for (size_t i = 0; i < n; i++) {
                struct bd_sim_vm_truth truth;

                bd_sim_vm_truth(sim, i, &truth);
                fprintf(tr->f, ",%llu,%llu", (unsigned long long)(s[i].actual_kib / 1024),
                        (unsigned long long)(truth.demand_kib / 1024));
        }
        fputc('\n', tr->f);
}

static void print_header(void) {
        printf("%-18s %-13s %9s %9s %10s %8s %9s %9s %8s %7s %4s %4s\n", "SCENARIO", "POLICY", "RECLAIM_GH",
               "FREED_GH", "GUEST_PR_S", "HOST_O_S", "O_PEAK_MB", "O_GIB_S", "SHORT_MB", "OPS", "BAD", "OOM");
}

static void print_row(const struct bd_scenario *sc, enum bd_sim_policy p, const struct bd_sim_metrics *m) {
        printf("%-18s %-13s %9.2f %9.2f %10.0f %8.0f %9.0f %9.1f %8.0f %7llu %4llu %4llu\n", sc->name,
               bd_sim_policy_name(p), m->reclaimed_gib_h, m->freed_gib_h, m->guest_pressure_vm_sec,
               m->host_overcommit_sec, m->host_over_peak_mib, m->host_over_gib_s, m->worst_shortfall_mib,
               (unsigned long long)m->balloon_ops, (unsigned long long)m->bad_decisions,
               (unsigned long long)m->oom_events);
}

/* Every policy (or ONLY) on SC, one row each; with CHECK, the verdict on
 * stderr. Returns the failures. */
static int run_scenario(const struct bd_scenario *sc, enum bd_sim_policy only, struct trace *tr, bool check) {
        struct bd_sim_metrics m[BD_SIMPOL__COUNT];
        bool ran[BD_SIMPOL__COUNT] = { false };
        struct bd_config_errors why = { 0 };
        int fails;

        for (int p = 0; p < BD_SIMPOL__COUNT; p++) {
                if (only != BD_SIMPOL__COUNT && p != (int)only)
                        continue;
                if (bd_simulate(sc, (enum bd_sim_policy)p, &m[p], tr->f ? trace_row : NULL, tr) < 0) {
                        fprintf(stderr, "balloond-sim: out of memory\n");
                        abort();
                }
                ran[p] = true;
                print_row(sc, (enum bd_sim_policy)p, &m[p]);
        }
        if (!check)
                return 0;
        fflush(stdout);
        fails = bd_sim_check(sc, m, ran, &why);
        for (size_t i = 0; i < why.n; i++)
                fprintf(stderr, "balloond-sim: check failed: %s\n", why.items[i].text);
        bd_config_errors_free(&why);
        return fails;
}

int main(int argc, char **argv) {
        static const struct option longopts[] = {
                { "policy", required_argument, NULL, 'p' }, { "csv", required_argument, NULL, 'o' },
                { "check", no_argument, NULL, 'c' },        { "parse-only", no_argument, NULL, 'P' },
                { "help", no_argument, NULL, 'h' },         { NULL, 0, NULL, 0 },
        };
        enum bd_sim_policy only = BD_SIMPOL__COUNT;
        const char *csv = NULL;
        bool check = false, parse_only = false, failed = false;
        struct trace tr = { 0 };
        int c;

        opterr = 0;
        while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
                switch (c) {
                case 'p':
                        if (strcmp(optarg, "all") != 0 && bd_sim_policy_from_name(optarg, &only) < 0) {
                                fprintf(stderr, "balloond-sim: --policy: unknown policy '%s' "
                                                "(balloond, mom, proxmox, host-only, release-fully, none, oracle, all)\n", optarg);
                                return SIM_USAGE;
                        }
                        break;
                case 'o':
                        csv = optarg;
                        break;
                case 'c':
                        check = true;
                        break;
                case 'P':
                        parse_only = true;
                        break;
                case 'h':
                        usage(stdout);
                        return SIM_OK;
                case ':':
                        fprintf(stderr, "balloond-sim: option '%s' needs an argument\n", argv[optind - 1]);
                        return SIM_USAGE;
                default:
                        fprintf(stderr, "balloond-sim: unknown option '%s' (see --help)\n", argv[optind - 1]);
                        return SIM_USAGE;
                }
        }
        if (optind >= argc) {
                fprintf(stderr, "balloond-sim: no scenario file given (see --help)\n");
                return SIM_USAGE;
        }
        if (csv && (only == BD_SIMPOL__COUNT || argc - optind != 1)) {
                fprintf(stderr, "balloond-sim: --csv needs one --policy and one scenario\n");
                return SIM_USAGE;
        }
        if (csv && !(tr.f = fopen(csv, "w"))) {
                fprintf(stderr, "balloond-sim: %s: %s\n", csv, strerror(errno));
                return SIM_USAGE;
        }
        if (!parse_only)
                print_header();
        for (int a = optind; a < argc; a++) {
                struct bd_scenario *sc = malloc(sizeof(*sc));
                struct bd_config_errors errs = { 0 };

                if (!sc)
                        abort();
                if (bd_scenario_load(argv[a], sc, &errs) < 0) {
                        for (size_t i = 0; i < errs.n; i++)
                                fprintf(stderr, "%s\n", errs.items[i].text);
                        bd_config_errors_free(&errs);
                        free(sc);
                        if (tr.f)
                                fclose(tr.f);
                        return SIM_BAD_SCENARIO;
                }
                bd_config_errors_free(&errs);
                if (!parse_only && run_scenario(sc, only, &tr, check) > 0)
                        failed = true;
                if (parse_only)
                        printf("%s: OK\n", argv[a]);
                bd_scenario_free(sc);
                free(sc);
        }
        if (tr.f)
                fclose(tr.f);
        return failed ? SIM_CHECK_FAILED : SIM_OK;
}
