/* SPDX-License-Identifier: GPL-2.0-or-later */
/* balloonctl: shows the running daemon's view of each VM, from the status
 * file balloond replaces after every cycle. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "balloond/daemon/status.h"

enum {
        CTL_OK = 0,
        CTL_NO_STATUS = 1, /* no status file, or not readable, or not valid */
        CTL_USAGE = 2,
        CTL_STALE = 4,     /* the file is older than three cycles: balloond is not cycling */
};

static void usage(FILE *f) {
        fprintf(f, "Usage: balloonctl [--status-file FILE] [status] [--json]\n"
                   "Show what the running balloond sees and decides for each VM.\n"
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

int main(int argc, char **argv) {
        static const struct option longopts[] = {
                { "status-file", required_argument, NULL, 's' },
                { "json", no_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        const char *path = BD_DEFAULT_STATUS_FILE;
        bool json = false;
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
        if (optind < argc) {
                fprintf(stderr, "balloonctl: unknown command '%s' (see --help)\n", argv[optind]);
                return CTL_USAGE;
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
        else
                print_table(root, age_sec);
        json_object_put(root);
        if (age_sec > 3 * interval_sec + 5) {
                fprintf(stderr, "balloonctl: the status is %lld s old: balloond is not cycling\n", age_sec);
                return CTL_STALE;
        }
        return CTL_OK;
}
