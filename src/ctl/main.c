/* SPDX-License-Identifier: GPL-2.0-or-later */
/* balloonctl: shows the running daemon's view of each VM, from the status
 * file balloond replaces after every cycle. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "balloond/daemon/status.h"

enum {
        CTL_OK = 0,
        CTL_NO_STATUS = 1, /* no status file, or not readable, or not valid */
        CTL_USAGE = 2,
        CTL_STALE = 4,     /* the file is older than three cycles: balloond is not cycling */
};

static void usage(FILE *f) {
        fprintf(f, "Usage: balloonctl [--status-file FILE] [status|ledger] [--json]\n"
                   "Show what the running balloond sees and decides for each VM (status), or\n"
                   "where the memory is (ledger): one line per VM and a host line, in MiB.\n"
                   "\n"
                   "      --status-file FILE  default " BD_DEFAULT_STATUS_FILE "\n"
                   "      --json              print the daemon's JSON document\n"
                   "  -h, --help              print this help\n"
                   "\n"
                   "Exit status: 0 ok, 1 no readable status (is balloond running?), 2 bad\n"
                   "command line, 4 status older than three cycles (balloond is not cycling).\n");
}

static json_object *field(json_object *o, const char *key) {
        json_object *v = NULL;

        return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static const char *str_or(json_object *o, const char *key, const char *dflt) {
        json_object *v = field(o, key);

        return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : dflt;
}

static void mib_cell(char *buf, size_t len, json_object *o, const char *key) {
        json_object *v = field(o, key);

        if (!v || json_object_is_type(v, json_type_null))
                snprintf(buf, len, "-");
        else
                snprintf(buf, len, "%lld", (long long)(json_object_get_int64(v) / 1024));
}

static void print_table(json_object *root, long long age_sec) {
        json_object *host = field(root, "host"), *vms = field(root, "vms");
        size_t n = vms && json_object_is_type(vms, json_type_array) ? json_object_array_length(vms) : 0;
        int name_w = 4;

        printf("balloond %s on %s, pid %d, %lld cycles, updated %lld s ago%s\n",
               str_or(root, "version", "?"), str_or(root, "connect", "?"),
               field(root, "pid") ? json_object_get_int(field(root, "pid")) : 0,
               field(root, "cycles") ? (long long)json_object_get_int64(field(root, "cycles")) : 0LL,
               age_sec, field(root, "dry_run") && json_object_get_boolean(field(root, "dry_run"))
                                ? ", dry run"
                                : "");
        if (host)
                printf("host: %s, %.1f%% free\n", str_or(host, "band", "?"),
                       field(host, "free_pct") ? json_object_get_double(field(host, "free_pct")) : 0.0);
        for (size_t i = 0; i < n; i++) {
                int len = (int)strlen(str_or(json_object_array_get_idx(vms, i), "name", "?"));

                if (len > name_w)
                        name_w = len;
        }
        printf("%-*s  %-9s %-8s %7s %7s %7s  %-18s %s\n", name_w, "NAME", "STATE", "STATUS", "ACTUAL",
               "TARGET", "USABLE", "LAST REASON", "LAST CHANGE");
        for (size_t i = 0; i < n; i++) {
                json_object *vm = json_object_array_get_idx(vms, i), *age = field(vm, "last_change_age_sec");
                char actual[24], target[24], usable[24], changed[32];

                mib_cell(actual, sizeof(actual), vm, "actual_kib");
                mib_cell(target, sizeof(target), vm, "target_kib");
                mib_cell(usable, sizeof(usable), vm, "usable_kib");
                if (age && !json_object_is_type(age, json_type_null))
                        snprintf(changed, sizeof(changed), "%lld s ago",
                                 (long long)json_object_get_int64(age) + age_sec);
                else
                        snprintf(changed, sizeof(changed), "never");
                printf("%-*s  %-9s %-8s %7s %7s %7s  %-18s %s\n", name_w, str_or(vm, "name", "?"),
                       str_or(vm, "state", "?"), str_or(vm, "status", "?"), actual, target, usable,
                       str_or(vm, "reason", "?"), changed);
        }
}

static long long kib_of(json_object *o, const char *key) {
        json_object *v = field(o, key);

        return v && !json_object_is_type(v, json_type_null) ? (long long)json_object_get_int64(v) : -1;
}

/* "MiB" of a KiB field, "-" when unknown. */
static const char *mib(char *buf, size_t len, json_object *o, const char *key) {
        long long k = kib_of(o, key);

        if (k < 0)
                snprintf(buf, len, "-");
        else
                snprintf(buf, len, "%lld", k / 1024);
        return buf;
}

static bool on(json_object *o, const char *key) {
        json_object *v = field(o, key);

        return v && json_object_get_boolean(v);
}

static void print_ledger_host(json_object *h) {
        char a[24], b[24], c[24], d[24], e[24], f[24], g[24], k[24];

        printf("host: RAM %s MiB, free %s, VMs resident %s, swap used %s, KSM sharing %s, reclaimed %s "
               "(confirmed), reclaimable %s, in balloons %s; %lld ineffective VM(s)\n",
               mib(a, sizeof(a), h, "ram_kib"), mib(b, sizeof(b), h, "free_kib"),
               mib(c, sizeof(c), h, "vms_resident_kib"), mib(d, sizeof(d), h, "swap_used_kib"),
               mib(e, sizeof(e), h, "ksm_sharing_kib"), mib(f, sizeof(f), h, "reclaimed_kib"),
               mib(g, sizeof(g), h, "reclaimable_kib"), mib(k, sizeof(k), h, "ballooned_kib"),
               kib_of(h, "ineffective_vms") < 0 ? 0LL : kib_of(h, "ineffective_vms") + 0LL);
}

/* One line per VM: sizes, the guest's view, the host's view, what balloond
 * returned, and whether shrinking it returns anything. */
static void print_ledger(json_object *root) {
        json_object *host = field(root, "host"), *vms = field(root, "vms");
        size_t n = vms && json_object_is_type(vms, json_type_array) ? json_object_array_length(vms) : 0;
        int name_w = 4;

        if (host && field(host, "ledger"))
                print_ledger_host(field(host, "ledger"));
        for (size_t i = 0; i < n; i++) {
                int len = (int)strlen(str_or(json_object_array_get_idx(vms, i), "name", "?"));

                if (len > name_w)
                        name_w = len;
        }
        printf("%-*s %6s %6s %6s %6s %6s %6s %8s %6s %6s %8s %6s %-15s %s\n", name_w, "NAME", "MAX", "TARGET",
               "ACTUAL", "USED", "FREE", "CACHE", "RESIDENT", "SWAP", "KSM", "RETURNED", "RATIO", "FEATURES",
               "EFFECT");
        for (size_t i = 0; i < n; i++) {
                json_object *vm = json_object_array_get_idx(vms, i), *l = field(vm, "ledger"), *ratio;
                char c[12][24], feat[40], effect[64], rtext[16];

                if (!l)
                        continue;
                ratio = field(l, "reclaim_ratio");
                if (ratio && !json_object_is_type(ratio, json_type_null))
                        snprintf(rtext, sizeof(rtext), "%.2f", json_object_get_double(ratio));
                else
                        snprintf(rtext, sizeof(rtext), "-");
                snprintf(feat, sizeof(feat), "%s%s%s%s", on(l, "free_page_reporting") ? "fpr," : "",
                         on(l, "deflate_on_oom") ? "deflate," : "", on(l, "hugepages") ? "huge," : "",
                         on(l, "shared_memory") ? "shared," : "");
                if (feat[0])
                        feat[strlen(feat) - 1] = '\0';
                else
                        snprintf(feat, sizeof(feat), "-");
                if (on(l, "ineffective"))
                        snprintf(effect, sizeof(effect), "ineffective: %s", str_or(l, "ineffective_reason", "?"));
                else if (strcmp(str_or(vm, "status", "?"), "ok") != 0)
                        snprintf(effect, sizeof(effect), "%s: %s", str_or(vm, "status", "?"), str_or(vm, "reason", "?"));
                else
                        snprintf(effect, sizeof(effect), "%s", on(l, "measuring") ? "measuring" : "ok");
                printf("%-*s %6s %6s %6s %6s %6s %6s %8s %6s %6s %8s %6s %-15s %s\n", name_w, str_or(vm, "name", "?"),
                       mib(c[0], 24, l, "max_kib"), mib(c[1], 24, l, "target_kib"), mib(c[2], 24, l, "actual_kib"),
                       mib(c[3], 24, l, "guest_used_kib"), mib(c[4], 24, l, "guest_free_kib"),
                       mib(c[5], 24, l, "guest_cache_kib"), mib(c[6], 24, l, "resident_kib"),
                       mib(c[7], 24, l, "host_swap_kib"), mib(c[8], 24, l, "ksm_kib"),
                       mib(c[9], 24, l, "returned_kib"), rtext, feat, effect);
        }
}

int main(int argc, char **argv) {
        static const struct option longopts[] = {
                { "status-file", required_argument, NULL, 's' },
                { "json", no_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        const char *path = BD_DEFAULT_STATUS_FILE;
        bool json = false, ledger = false;
        json_object *root, *t, *iv;
        long long age_sec, interval_sec;
        int c;

        opterr = 0;
        while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
                switch (c) {
                case 's':
                        path = optarg;
                        break;
                case 'j':
                        json = true;
                        break;
                case 'h':
                        usage(stdout);
                        return CTL_OK;
                case ':':
                        fprintf(stderr, "balloonctl: option '%s' needs an argument\n", argv[optind - 1]);
                        return CTL_USAGE;
                default:
                        fprintf(stderr, "balloonctl: unknown option '%s' (see --help)\n", argv[optind - 1]);
                        return CTL_USAGE;
                }
        }
        if (optind < argc && strcmp(argv[optind], "status") == 0)
                optind++;
        else if (optind < argc && strcmp(argv[optind], "ledger") == 0 && ++optind)
                ledger = true;
        if (optind < argc) {
                fprintf(stderr, "balloonctl: unknown command '%s' (see --help)\n", argv[optind]);
                return CTL_USAGE;
        }

        if (access(path, R_OK) < 0 && errno == EACCES) {
                fprintf(stderr, "balloonctl: %s: %s (the status is for root and group libvirt: "
                                "balloonctl(1), PERMISSIONS)\n", path, strerror(errno));
                return CTL_NO_STATUS;
        }
        root = json_object_from_file(path);
        if (!root || !json_object_is_type(root, json_type_object) || !field(root, "vms")) {
                fprintf(stderr, "balloonctl: %s: %s (is balloond running?)\n", path,
                        root ? "not a balloond status document" : json_util_get_last_err());
                json_object_put(root);
                return CTL_NO_STATUS;
        }
        t = field(root, "time");
        iv = field(root, "interval_sec");
        age_sec = t ? (long long)time(NULL) - json_object_get_int64(t) : 0;
        interval_sec = iv ? json_object_get_int64(iv) : 5;
        if (json)
                printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
                                                                            JSON_C_TO_STRING_NOSLASHESCAPE));
        else if (ledger)
                print_ledger(root);
        else
                print_table(root, age_sec);
        json_object_put(root);
        if (age_sec > 3 * interval_sec + 5) {
                fprintf(stderr, "balloonctl: the status is %lld s old: balloond is not cycling\n", age_sec);
                return CTL_STALE;
        }
        return CTL_OK;
}
