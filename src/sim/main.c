/* SPDX-License-Identifier: GPL-2.0-or-later */
/* balloond-sim: run scenarios under balloond's policy and the baselines,
 * print one comparison table, optionally a per-second trace (CSV). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balloond/sim/check.h"
#include "balloond/sim/density.h"
#include "balloond/sim/generate.h"
#include "balloond/sim/simulate.h"

enum {
        SIM_OK = 0,
        SIM_CHECK_FAILED = 1, /* --check: balloond broke an invariant or touched what it must not */
        SIM_USAGE = 2,
        SIM_BAD_SCENARIO = 3,
};

static void usage(FILE *f) {
        fprintf(f, "Usage: balloond-sim [--policy NAME|all] [--csv FILE] [--check] [--parse-only] SCENARIO.json...\n"
                   "       balloond-sim --generate FAMILY [--seed N] [--vms N] [--host-gib G] [--duration S]\n"
                   "       balloond-sim --density FAMILY --host-gib G [--seeds K] [--policy NAME] [--duration S]\n"
                   "Run each scenario on the simulated host under balloond's policy and the baselines\n"
                   "(balloond, mom, proxmox, host-only, release-fully, none, oracle) and print one\n"
                   "table of metrics; print a generated scenario (JSON); or find the most VMs of a\n"
                   "family each policy hosts with no guest pressure, host overcommit or OOM.\n"
                   "\n"
                   "      --policy NAME  one policy (default: all)\n"
                   "      --csv FILE     per-second trace of the run (one scenario, one policy)\n"
                   "      --check        exit 1 if balloond broke an invariant, touched an excluded or\n"
                   "                     blind VM or let a guest OOM; or the host went over RAM\n"
                   "                     under balloond where a peer or the oracle kept it within;\n"
                   "                     or a guest was short under balloond where no guest was\n"
                   "                     short under a peer (each failure said on stderr)\n"
                   "      --parse-only   check the scenario files and exit\n"
                   "      --generate F   print a scenario of family F (--seed 1, --vms 8, --host-gib:\n"
                   "                     about 1.5x overcommitted, --duration 7200)\n"
                   "      --density F    print, per policy, the most VMs of family F it hosts cleanly\n"
                   "                     on --host-gib for every seed 1..K (--seeds 3)\n"
                   "Families:\n");
        for (const char *const *fam = bd_gen_families(); *fam; fam++)
                fprintf(f, "  %-13s %s\n", *fam, bd_gen_describe(*fam));
        fprintf(f, "\n"
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

struct opts {
        enum bd_sim_policy only;
        const char *csv, *generate, *density;
        bool check, parse_only;
        uint64_t seed, vms, host_gib, seeds, duration;
};

static int bad_number(const char *opt, const char *arg, uint64_t lo, uint64_t hi, uint64_t *out) {
        char *end;
        unsigned long long v;

        errno = 0;
        v = strtoull(arg, &end, 10);
        if (!*arg || *end || errno || *arg == '-' || v < lo || v > hi) {
                fprintf(stderr, "balloond-sim: --%s: '%s' is not a number from %" PRIu64 " to %" PRIu64 "\n", opt,
                        arg, lo, hi);
                return -1;
        }
        *out = v;
        return 0;
}

static int parse_args(int argc, char **argv, struct opts *o) {
        static const struct option longopts[] = {
                { "policy", required_argument, NULL, 'p' },   { "csv", required_argument, NULL, 'o' },
                { "check", no_argument, NULL, 'c' },          { "parse-only", no_argument, NULL, 'P' },
                { "generate", required_argument, NULL, 'g' }, { "density", required_argument, NULL, 'd' },
                { "seed", required_argument, NULL, 's' },     { "vms", required_argument, NULL, 'n' },
                { "host-gib", required_argument, NULL, 'G' }, { "seeds", required_argument, NULL, 'k' },
                { "duration", required_argument, NULL, 'D' }, { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        int c, r = 0;

        opterr = 0;
        while (r == 0 && (c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
                switch (c) {
                case 'p':
                        if (strcmp(optarg, "all") != 0 && bd_sim_policy_from_name(optarg, &o->only) < 0) {
                                fprintf(stderr, "balloond-sim: --policy: unknown policy '%s' (", optarg);
                                for (int p = 0; p < BD_SIMPOL__COUNT; p++)
                                        fprintf(stderr, "%s, ", bd_sim_policy_name((enum bd_sim_policy)p));
                                fprintf(stderr, "all)\n");
                                return SIM_USAGE;
                        }
                        break;
                case 'o': o->csv = optarg; break;
                case 'c': o->check = true; break;
                case 'P': o->parse_only = true; break;
                case 'g': o->generate = optarg; break;
                case 'd': o->density = optarg; break;
                case 's': r = bad_number("seed", optarg, 0, UINT32_MAX, &o->seed); break;
                case 'n': r = bad_number("vms", optarg, 1, 100000, &o->vms); break;
                case 'G': r = bad_number("host-gib", optarg, 4, 16384, &o->host_gib); break;
                case 'k': r = bad_number("seeds", optarg, 1, 100, &o->seeds); break;
                case 'D': r = bad_number("duration", optarg, 60, 7 * 86400, &o->duration); break;
                case 'h':
                        usage(stdout);
                        exit(SIM_OK);
                case ':':
                        fprintf(stderr, "balloond-sim: option '%s' needs an argument\n", argv[optind - 1]);
                        return SIM_USAGE;
                default:
                        fprintf(stderr, "balloond-sim: unknown option '%s' (see --help)\n", argv[optind - 1]);
                        return SIM_USAGE;
                }
        }
        if (r)
                return SIM_USAGE;
        if ((o->generate || o->density) && (optind < argc || o->csv || o->check || o->parse_only)) {
                fprintf(stderr, "balloond-sim: --generate and --density take no scenario file, --csv, --check "
                                "or --parse-only\n");
                return SIM_USAGE;
        }
        if (o->generate && o->density) {
                fprintf(stderr, "balloond-sim: --generate or --density, not both\n");
                return SIM_USAGE;
        }
        if (o->density && !o->host_gib) {
                fprintf(stderr, "balloond-sim: --density needs --host-gib\n");
                return SIM_USAGE;
        }
        if ((o->generate || o->density) && !bd_gen_describe(o->generate ? o->generate : o->density)) {
                fprintf(stderr, "balloond-sim: unknown family '%s' (see --help)\n",
                        o->generate ? o->generate : o->density);
                return SIM_USAGE;
        }
        return SIM_OK;
}

static int generate(const struct opts *o) {
        struct bd_gen_params gp = { .family = o->generate, .seed = o->seed, .n_vms = o->vms ? o->vms : 8,
                                    .host_gib = o->host_gib, .duration_sec = o->duration };
        char *text = NULL, err[256];

        if (bd_generate(&gp, &text, err, sizeof(err)) < 0) {
                fprintf(stderr, "balloond-sim: --generate: %s\n", err);
                return SIM_USAGE;
        }
        printf("%s\n", text);
        free(text);
        return SIM_OK;
}

static int density(const struct opts *o) {
        struct bd_density_opts d = { .family = o->density, .host_gib = o->host_gib,
                                     .seeds = (unsigned)(o->seeds ? o->seeds : 3), .duration_sec = o->duration };

        printf("%-13s %8s %-13s %6s %6s\n", "FAMILY", "HOST_GIB", "POLICY", "VMS", "RUNS");
        for (int p = 0; p < BD_SIMPOL__COUNT; p++) {
                char err[256];
                unsigned runs = 0;
                size_t n;

                if (o->only != BD_SIMPOL__COUNT && p != (int)o->only)
                        continue;
                if (bd_density(&d, (enum bd_sim_policy)p, &n, &runs, err, sizeof(err)) < 0) {
                        fprintf(stderr, "balloond-sim: --density: %s\n", err);
                        return SIM_BAD_SCENARIO;
                }
                printf("%-13s %8" PRIu64 " %-13s %6zu %6u\n", o->density, o->host_gib,
                       bd_sim_policy_name((enum bd_sim_policy)p), n, runs);
                fflush(stdout);
        }
        return SIM_OK;
}

static int run_files(const struct opts *o, int argc, char **argv) {
        struct trace tr = { 0 };
        bool failed = false;

        if (optind >= argc) {
                fprintf(stderr, "balloond-sim: no scenario file given (see --help)\n");
                return SIM_USAGE;
        }
        if (o->csv && (o->only == BD_SIMPOL__COUNT || argc - optind != 1)) {
                fprintf(stderr, "balloond-sim: --csv needs one --policy and one scenario\n");
                return SIM_USAGE;
        }
        if (o->csv && !(tr.f = fopen(o->csv, "w"))) {
                fprintf(stderr, "balloond-sim: %s: %s\n", o->csv, strerror(errno));
                return SIM_USAGE;
        }
        if (!o->parse_only)
                print_header();
        for (int a = optind; a < argc; a++) {
                struct bd_scenario *sc = calloc(1, sizeof(*sc));
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
                if (!o->parse_only && run_scenario(sc, o->only, &tr, o->check) > 0)
                        failed = true;
                if (o->parse_only)
                        printf("%s: OK\n", argv[a]);
                bd_scenario_free(sc);
                free(sc);
        }
        if (tr.f)
                fclose(tr.f);
        return failed ? SIM_CHECK_FAILED : SIM_OK;
}

int main(int argc, char **argv) {
        struct opts o = { .only = BD_SIMPOL__COUNT, .seed = 1 };
        int r = parse_args(argc, argv, &o);

        if (r != SIM_OK)
                return r;
        if (o.generate)
                return generate(&o);
        if (o.density)
                return density(&o);
        return run_files(&o, argc, argv);
}
