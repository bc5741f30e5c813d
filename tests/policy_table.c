/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The table-driven harness of the policy tests: see policy_table.h. */
#include "policy_table.h"

/* ---- building inputs ---------------------------------------------------------- */

static uint64_t kib_or_unknown(uint64_t mib) {
        return mib == U ? BD_KIB_UNKNOWN : M(mib);
}

void sample_from_row(const struct vm_row *r, size_t i, int64_t wall, struct bd_vm_sample *s) {
        bd_vm_sample_init(s);
        snprintf(s->name, sizeof(s->name), "%s", r->name);
        if (r->uuid)
                snprintf(s->uuid, sizeof(s->uuid), "%s", r->uuid);
        else
                snprintf(s->uuid, sizeof(s->uuid), "5a0c3f9e-1b2d-4e6f-8a7b-%012zu", i + 1);
        if (r->class_tag)
                snprintf(s->class_tag, sizeof(s->class_tag), "%s", r->class_tag);
        s->state = r->state;
        s->flags = r->flags;
        s->max_kib = kib_or_unknown(r->max_mib);
        s->actual_kib = kib_or_unknown(r->actual_mib);
        s->usable_kib = kib_or_unknown(r->usable_mib);
        if (s->usable_kib != BD_KIB_UNKNOWN) {
                /* A plausible guest: MemTotal is the balloon size, half of
                 * its free memory is page cache. */
                s->available_kib = s->actual_kib;
                s->unused_kib = s->usable_kib / 2;
                s->disk_caches_kib = s->usable_kib / 2;
                s->swap_in_kib = r->swap_in_kib;
                s->swap_out_kib = r->swap_out_kib;
                s->major_faults = r->major_faults;
        }
        s->last_update_sec = r->age_sec == NEVER ? BD_TIME_UNKNOWN : wall - r->age_sec;
        s->stats_period_sec = 2;
        if (r->fix)
                r->fix(s);
}

struct bd_host_sample host_sample(uint64_t avail_kib) {
        struct bd_host_sample h = {
                .mem_total_kib = TOTAL_KIB,
                .mem_available_kib = avail_kib,
        };
        return h;
}

/* ---- the promises every decision keeps ------------------------------------ */

bool grows_for_guest(const struct bd_decision *d) {
        return d->action == BD_ACTION_GROW &&
               (d->reason == BD_REASON_GUEST_LOW_FREE || d->reason == BD_REASON_GUEST_SWAP_IN ||
                d->reason == BD_REASON_GUEST_MAJOR_FAULTS || d->reason == BD_REASON_BELOW_MIN ||
                d->reason == BD_REASON_BURST_ROOM);
}

static uint64_t deadband_of(const struct bd_config *c, uint64_t actual_kib) {
        return MAX_(c->deadband_kib, PCT(c->deadband_pct, actual_kib));
}

#define BROKEN(...)                                                                                          \
        do {                                                                                                 \
                print_error("%s: %s: ", what, s[i].name);                                                    \
                print_error(__VA_ARGS__);                                                                    \
                print_error(" (%s/%s/%s actual %llu target %llu floor %llu max %llu KiB)\n",                 \
                            bd_action_to_string(d[i].action), bd_reason_to_string(d[i].reason),              \
                            bd_status_to_string(d[i].status), (unsigned long long)d[i].actual_kib,           \
                            (unsigned long long)d[i].target_kib, (unsigned long long)d[i].floor_kib,         \
                            (unsigned long long)d[i].max_kib);                                               \
                bad++;                                                                                       \
        } while (0)

/* Returns the number of broken promises, each printed. */
int check_decisions(const char *what, const struct bd_config *cfg, const struct bd_vm_sample *s,
                           const struct bd_decision *d, size_t n, const struct bd_host_view *v) {
        uint64_t shrink = 0, grow = 0, above_floor = 0, not_running_out = 0;
        bool funding = false;
        int bad = 0;

        for (size_t i = 0; i < n; i++)
                funding = funding || grows_for_guest(&d[i]);
        funding = funding || v->unmet_demand_kib > 0;
        for (size_t i = 0; i < n; i++) {
                uint64_t delta = d[i].target_kib > d[i].actual_kib ? d[i].target_kib - d[i].actual_kib
                                                                   : d[i].actual_kib - d[i].target_kib;

                if ((unsigned)d[i].reason >= BD_REASON__COUNT || (unsigned)d[i].status > BD_STATUS_STUCK ||
                    (unsigned)d[i].action > BD_ACTION_GROW) {
                        BROKEN("enum out of range");
                        continue;
                }
                if (d[i].actual_kib != s[i].actual_kib)
                        BROKEN("actual is not the sample's");
                if (d[i].action == BD_ACTION_NONE) {
                        if (d[i].target_kib != d[i].actual_kib)
                                BROKEN("no action, yet target != actual");
                        continue;
                }
                if (d[i].action == BD_ACTION_SHRINK) {
                        shrink += delta;
                        if (d[i].target_kib >= d[i].actual_kib)
                                BROKEN("shrink to a target not below actual");
                } else {
                        grow += delta;
                        if (d[i].usable_kib == BD_KIB_UNKNOWN || d[i].usable_kib >= d[i].margin_kib / 2)
                                not_running_out += delta;
                        above_floor += d[i].target_kib - MAX_(d[i].actual_kib, MIN_(d[i].target_kib,
                                                                                     d[i].status == BD_STATUS_OK ||
                                                                                                     d[i].reason == BD_REASON_GIVE_BACK
                                                                                             ? d[i].floor_grow_kib
                                                                                             : 0));
                        if (d[i].target_kib <= d[i].actual_kib)
                                BROKEN("grow to a target not above actual");
                }
                if (d[i].target_kib > s[i].max_kib)
                        BROKEN("target above the domain's maximum");
                if (d[i].reason == BD_REASON_ABOVE_MAX) {
                        /* walking down toward a rule's maximum, never past it */
                        if (d[i].action != BD_ACTION_SHRINK || d[i].target_kib < d[i].max_kib)
                                BROKEN("above_max not a shrink toward the maximum");
                } else if (d[i].target_kib > d[i].max_kib) {
                        BROKEN("target above the maximum");
                }
                switch (d[i].status) {
                case BD_STATUS_EXCLUDED:
                case BD_STATUS_STUCK:
                        if (d[i].reason != BD_REASON_GIVE_BACK || d[i].status != BD_STATUS_EXCLUDED)
                                BROKEN("an excluded or stuck VM changed");
                        continue;
                case BD_STATUS_BLIND:
                        if (d[i].reason == BD_REASON_GIVE_BACK && d[i].action == BD_ACTION_GROW)
                                continue; /* what balloond took, back: an emergency */
                        if (d[i].action != BD_ACTION_GROW || d[i].reason != BD_REASON_BLIND_DEFLATE)
                                BROKEN("a blind VM changed other than by blind_deflate");
                        if (cfg->blind_action != BD_BLIND_DEFLATE || v->band >= BD_BAND_PRESSURE)
                                BROKEN("blind_deflate without blind_action = deflate outside pressure");
                        continue;
                case BD_STATUS_OK:
                        break;
                }
                /* OK VMs: the floor is a safety property. */
                /* used is taken against the balloon size the report was
                 * made at: the larger of the sizes it may have been made at,
                 * so never less than actual - usable. */
                if (d[i].used_kib == BD_KIB_UNKNOWN ||
                    d[i].used_kib < (s[i].actual_kib > s[i].usable_kib ? s[i].actual_kib - s[i].usable_kib : 0))
                        BROKEN("used is below actual - usable");
                else if (d[i].margin_kib != (d[i].stats_incomplete ? 2 : 1) * bd_policy_margin_kib(cfg, d[i].used_kib) +
                                                    d[i].burst_kib + d[i].jump_room_kib)
                        BROKEN("margin is not bd_policy_margin_kib(used)");
                else if (d[i].floor_kib < MIN_(d[i].used_kib + d[i].margin_kib, s[i].max_kib))
                        BROKEN("floor below used + margin");
                if (d[i].action == BD_ACTION_SHRINK && d[i].target_kib < d[i].floor_kib)
                        BROKEN("target below the floor");
                if (d[i].action == BD_ACTION_GROW && d[i].target_kib < d[i].floor_grow_kib &&
                    (!d[i].unmet_kib || d[i].refused == BD_LINE_NONE))
                        BROKEN("a grow short of the floor without unmet demand and the line that cut it");
                if (d[i].reason != BD_REASON_ABOVE_MAX && d[i].reason != BD_REASON_BELOW_MIN &&
                    !grows_for_guest(&d[i]) && delta < deadband_of(cfg, d[i].actual_kib))
                        BROKEN("change of %llu KiB under the deadband", (unsigned long long)delta);
                if (d[i].action == BD_ACTION_SHRINK) {
                        uint64_t rate = MIN_(PCT(cfg->shrink_pct, d[i].actual_kib), cfg->shrink_max_kib);

                        if (d[i].reason == BD_REASON_HOST_CRITICAL)
                                rate *= 2;
                        if (delta > rate)
                                BROKEN("shrink of %llu KiB above the rate limit %llu", (unsigned long long)delta,
                                       (unsigned long long)rate);
                        if (d[i].guest_pressure)
                                BROKEN("a guest under pressure shrunk");
                        if (d[i].swapping_out)
                                BROKEN("a guest swapping out shrunk");
                        if (d[i].reason != BD_REASON_HOST_PRESSURE && d[i].reason != BD_REASON_HOST_CRITICAL &&
                            d[i].reason != BD_REASON_ABOVE_MAX)
                                BROKEN("shrink with a grow's reason");
                        if ((d[i].reason == BD_REASON_HOST_PRESSURE || d[i].reason == BD_REASON_HOST_CRITICAL) &&
                            v->band < BD_BAND_PRESSURE && !funding)
                                BROKEN("reclaim outside pressure, with no guest to pay for");
                } else {
                        if (d[i].reason == BD_REASON_HOST_RELAXED && v->band != BD_BAND_RELAXED)
                                BROKEN("host_relaxed grow outside the relaxed band");
                        if (d[i].reason != BD_REASON_HOST_RELAXED && !grows_for_guest(&d[i]))
                                BROKEN("grow with a shrink's reason");
                }
        }
        /* The host budget: nothing past physical RAM (above the reserve,
         * and the reclaim seen); to guests about to run out, nothing past
         * what host.reserve_rescue_pct gives of the reserve; past RAM's
         * critical line only floors (emergencies); past the VM budget's
         * only floors, reported, and never when it is hard. */
        if (not_running_out > v->ram_hard_kib + v->observed_reclaim_kib ||
            grow > MAX_(v->ram_hard_kib + v->observed_reclaim_kib, v->ram_rescue_kib)) {
                print_error("%s: granted %llu KiB (%llu to guests not about to run out), RAM has %llu KiB above "
                            "the reserve, %llu KiB above what the rescue keeps of it\n",
                            what, (unsigned long long)grow, (unsigned long long)not_running_out,
                            (unsigned long long)v->ram_hard_kib, (unsigned long long)v->ram_rescue_kib);
                bad++;
        }
        if (above_floor > v->ram_headroom_kib) {
                print_error("%s: granted %llu KiB past floors, RAM has %llu KiB above its critical line\n", what,
                            (unsigned long long)above_floor, (unsigned long long)v->ram_headroom_kib);
                bad++;
        }
        if (grow > v->budget_headroom_kib &&
            (cfg->vm_budget_hard || grow - v->budget_crossed_kib > v->budget_headroom_kib)) {
                print_error("%s: granted %llu KiB (%llu past it as emergencies), the VM budget has %llu KiB\n", what,
                            (unsigned long long)grow, (unsigned long long)v->budget_crossed_kib,
                            (unsigned long long)v->budget_headroom_kib);
                bad++;
        }
        if (v->granted_kib + v->unmet_demand_kib != v->demand_kib) {
                print_error("%s: demand %llu KiB is not granted %llu + unmet %llu\n", what,
                            (unsigned long long)v->demand_kib, (unsigned long long)v->granted_kib,
                            (unsigned long long)v->unmet_demand_kib);
                bad++;
        }
        if (shrink > cfg->host_shrink_cap_kib) {
                print_error("%s: total shrink %llu KiB above the host cap %llu KiB\n", what,
                            (unsigned long long)shrink, (unsigned long long)cfg->host_shrink_cap_kib);
                bad++;
        }
        if (v->shrink_kib != shrink || v->grow_kib != grow) {
                print_error("%s: view totals shrink %llu grow %llu, decisions %llu %llu\n", what,
                            (unsigned long long)v->shrink_kib, (unsigned long long)v->grow_kib,
                            (unsigned long long)shrink, (unsigned long long)grow);
                bad++;
        }
        return bad;
}

#undef BROKEN

/* ---- running a table ------------------------------------------------------------ */

const char *action_name(int a) {
        return a == ANY ? "*" : bd_action_to_string((enum bd_action)a);
}

const char *reason_name(int r) {
        return r == ANY ? "*" : bd_reason_to_string((enum bd_reason)r);
}

/* Returns the number of mismatches and broken promises, each printed. */
int run_row(const struct row *r) {
        struct bd_config cfg;
        struct bd_vm_sample s[MAX_VMS];
        struct bd_vm_history h[MAX_VMS];
        struct bd_decision d[MAX_VMS];
        struct bd_host_state hs = { .band = r->prev_band, .seen = r->prev_seen };
        struct bd_host_view view;
        struct bd_host_sample host = host_sample(r->avail_kib);
        uint64_t now = r->now_usec ? r->now_usec : NOW;
        int64_t wall = r->wall_sec ? r->wall_sec : WALL;
        size_t n = 0;
        int bad = 0;

        bd_config_defaults(&cfg);
        if (r->tweak)
                r->tweak(&cfg);
        host.psi_valid = r->psi_valid;
        host.psi_full_avg10_pct = r->psi_full_pct;
        host.psi_some_avg10_pct = r->psi_some_pct;
        for (; n < MAX_VMS && r->vm[n].name; n++) {
                sample_from_row(&r->vm[n], n, wall, &s[n]);
                h[n] = r->vm[n].hist;
        }
        bd_policy_run(&cfg, &host, s, h, n, &hs, now, wall, d, &view);

        if (view.band != r->band) {
                print_error("%s: band %s, expected %s (free %.3f %%)\n", r->what, bd_band_to_string(view.band),
                            bd_band_to_string(r->band), view.free_pct);
                bad++;
        }
        if (hs.band != view.band || !hs.seen) {
                print_error("%s: host state not updated to the band\n", r->what);
                bad++;
        }
        if (r->budget_binds != DONT_CARE && view.budget_binds != (r->budget_binds == YES)) {
                print_error("%s: budget_binds %d\n", r->what, view.budget_binds);
                bad++;
        }
        if (r->psi_escalated != DONT_CARE && view.psi_escalated != (r->psi_escalated == YES)) {
                print_error("%s: psi_escalated %d\n", r->what, view.psi_escalated);
                bad++;
        }
        for (size_t i = 0; i < n; i++) {
                const struct vm_row *w = &r->vm[i];
                uint64_t diff = d[i].target_kib > w->target_kib ? d[i].target_kib - w->target_kib
                                                                 : w->target_kib - d[i].target_kib;

                if ((w->action == ANY || (int)d[i].action == w->action) &&
                    (w->reason == ANY || (int)d[i].reason == w->reason) && d[i].status == w->status &&
                    (w->target_kib == ANY_KIB || diff <= w->tol_kib))
                        continue;
                print_error("%s: %s: got %s/%s/%s target %llu KiB, expected %s/%s/%s target %llu KiB\n", r->what,
                            w->name, bd_action_to_string(d[i].action), bd_reason_to_string(d[i].reason),
                            bd_status_to_string(d[i].status), (unsigned long long)d[i].target_kib,
                            action_name(w->action), reason_name(w->reason), bd_status_to_string(w->status),
                            (unsigned long long)w->target_kib);
                bad++;
        }
        return bad + check_decisions(r->what, &cfg, s, d, n, &view);
}

/* Every row runs, every mismatch is printed; then the test fails if any. */
void run_table(const struct row *rows, size_t n_rows) {
        int bad = 0;

        for (size_t i = 0; i < n_rows; i++)
                bad += run_row(&rows[i]);
        assert_int_equal(bad, 0);
}


/* ---- config tweaks ---------------------------------------------------------------- */

void no_reserve(struct bd_config *c) {
        c->host_reserve_kib = 0;
}
void budget_10g(struct bd_config *c) {
        c->vm_budget_kib = M(10240);
}
void budget_100g(struct bd_config *c) {
        c->vm_budget_kib = M(102400);
}
void hysteresis_5(struct bd_config *c) {
        c->hysteresis_pct = 5.0;
}
void min_3g(struct bd_config *c) {
        c->min_kib = M(3072);
}
void min_8g(struct bd_config *c) {
        c->min_kib = M(8192);
}
void rule_capped(struct bd_config *c) {
        add_rule(c, BD_MATCH_NAME, "capped", 0, M(3072), -1, -1, NULL);
}
void rule_pinned(struct bd_config *c) {
        add_rule(c, BD_MATCH_NAME, "pinned", M(3072), 0, -1, -1, NULL);
}
void rule_tight(struct bd_config *c) {
        add_rule(c, BD_MATCH_NAME, "tight", 0, M(1024), -1, -1, NULL);
}
void cap_90m(struct bd_config *c) {
        c->host_shrink_cap_kib = M(90);
}
void cap_90m_tax_0(struct bd_config *c) {
        c->host_shrink_cap_kib = M(90);
        c->idle_tax_pct = 0;
}
void cap_90m_tax_50(struct bd_config *c) {
        c->host_shrink_cap_kib = M(90);
        c->idle_tax_pct = 50;
}
void cap_90m_gold_shares(struct bd_config *c) {
        c->host_shrink_cap_kib = M(90);
        add_rule(c, BD_MATCH_NAME, "gold", 0, 0, 2000, -1, NULL);
}
void gold_shares(struct bd_config *c) {
        add_rule(c, BD_MATCH_NAME, "gold", 0, 0, 2000, -1, NULL);
}
void cap_100m(struct bd_config *c) {
        c->host_shrink_cap_kib = M(100);
}
void cap_300m(struct bd_config *c) {
        c->host_shrink_cap_kib = M(300);
}
void cap_350m(struct bd_config *c) {
        c->host_shrink_cap_kib = M(350);
}
void swap_in_grow_1g(struct bd_config *c) {
        c->swap_in_grow_kib = M(1024);
}
void faults_50(struct bd_config *c) {
        c->major_faults_per_sec = 50;
}
void cooldown_60(struct bd_config *c) {
        c->cooldown_usec = 60 * SEC;
}
void cooldown_0(struct bd_config *c) {
        c->cooldown_usec = 0;
}
void exclusion_rules(struct bd_config *c) {
        add_rule(c, BD_MATCH_NAME, "skip-*", 0, 0, -1, 1, NULL);
        add_rule(c, BD_MATCH_UUID, "6F1C2A9E-0D4B-4C1E-9A53-2B7D8E4F0A11", 0, 0, -1, 1, NULL);
        add_rule(c, BD_MATCH_NAME, "pg-*", 0, 0, -1, -1, "database");
        add_rule(c, BD_MATCH_NAME, "dbtest", 0, 0, -1, 0, NULL);
        add_rule(c, BD_MATCH_NAME, "skipcap", 0, M(2048), -1, 1, NULL);
        snprintf(c->excluded_classes[c->n_excluded_classes++], BD_CLASS_MAX, "latency");
}
void no_age_check(struct bd_config *c) {
        c->check_stats_age = false;
}
void slack_20(struct bd_config *c) {
        c->stats_slack_usec = 20 * SEC;
}
void blind_deflate(struct bd_config *c) {
        c->blind_action = BD_BLIND_DEFLATE;
}

/* ---- sample fixes --------------------------------------------------------------- */

/* Its administrator set it to hold 2 GiB (persistent <currentMemory>). */
void entitled_2g(struct bd_vm_sample *s) {
        s->entitled_kib = M(2048);
}
void period_10(struct bd_vm_sample *s) {
        s->stats_period_sec = 10;
}
void period_0(struct bd_vm_sample *s) {
        s->stats_period_sec = 0;
}
void usable_above_total(struct bd_vm_sample *s) {
        s->available_kib = s->usable_kib - MIB;
}
void unused_above_total(struct bd_vm_sample *s) {
        s->unused_kib = s->available_kib + MIB;
}
void cache_above_size(struct bd_vm_sample *s) {
        s->disk_caches_kib = s->actual_kib + M(1024);
}
void usable_above_size(struct bd_vm_sample *s) {
        s->available_kib = BD_KIB_UNKNOWN;
        s->usable_kib = s->actual_kib + M(1024);
}
void total_above_max(struct bd_vm_sample *s) {
        s->available_kib = s->max_kib + M(1024);
}
void counters_unknown(struct bd_vm_sample *s) {
        s->swap_in_kib = BD_COUNT_UNKNOWN;
        s->swap_out_kib = BD_COUNT_UNKNOWN;
        s->major_faults = BD_COUNT_UNKNOWN;
        s->unused_kib = BD_KIB_UNKNOWN;
        s->disk_caches_kib = BD_KIB_UNKNOWN;
        s->available_kib = BD_KIB_UNKNOWN;
}
void everything_unknown(struct bd_vm_sample *s) {
        char name[BD_NAME_MAX];

        memcpy(name, s->name, sizeof(name));
        bd_vm_sample_init(s);
        memcpy(s->name, name, sizeof(name));
        s->state = BD_RUN_RUNNING;
}
void period_unknown(struct bd_vm_sample *s) {
        s->stats_period_sec = -1;
}

/* ---- several cycles of a small host ------------------------------------------ */

void world_init(struct world *w, uint64_t interval_sec) {
        memset(w, 0, sizeof(*w));
        bd_config_defaults(&w->cfg);
        w->now = NOW;
        w->wall = WALL;
        w->interval_sec = interval_sec;
}

size_t world_add(struct world *w, const char *name, uint64_t max_mib, uint64_t actual_mib,
                        uint64_t used_mib) {
        struct vm_row r = { VM(name, max_mib, actual_mib, actual_mib - used_mib) };
        size_t i = w->n++;

        assert_true(i < WORLD_VMS);
        sample_from_row(&r, i, w->wall, &w->s[i]);
        w->used_kib[i] = M(used_mib);
        return i;
}

uint64_t world_vm_total(const struct world *w) {
        uint64_t sum = 0;

        for (size_t i = 0; i < w->n; i++)
                if (w->s[i].state != BD_RUN_SHUTOFF)
                        sum += w->s[i].actual_kib;
        return sum;
}

/* Set OTHER so that free memory (after the reserve) is FREE_KIB. */
void world_set_free(struct world *w, uint64_t free_kib) {
        w->other_kib = TOTAL_KIB - RESERVE_KIB - free_kib - world_vm_total(w);
}

void world_observe(struct world *w) {
        uint64_t held = w->other_kib + world_vm_total(w);

        for (size_t i = 0; i < w->n; i++) {
                struct bd_vm_sample *s = &w->s[i];

                if (w->stats_frozen[i])
                        continue;
                s->usable_kib = s->actual_kib > w->used_kib[i] ? s->actual_kib - w->used_kib[i] : 0;
                s->available_kib = s->actual_kib;
                s->unused_kib = s->usable_kib / 2;
                s->disk_caches_kib = s->usable_kib / 2;
                s->last_update_sec = w->wall;
        }
        w->host = host_sample(held < TOTAL_KIB ? TOTAL_KIB - held : 0);
}

/* One cycle: observe, decide (every promise checked), apply. */
void world_cycle(struct world *w) {
        char what[64];

        snprintf(what, sizeof(what), "cycle %d", w->cycle);
        world_observe(w);
        bd_policy_run(&w->cfg, &w->host, w->s, w->h, w->n, &w->hs, w->now, w->wall, w->d, &w->view);
        assert_int_equal(check_decisions(what, &w->cfg, w->s, w->d, w->n, &w->view), 0);
        for (size_t i = 0; i < w->n; i++) {
                if (w->d[i].action == BD_ACTION_NONE)
                        continue;
                bd_policy_note_applied(&w->h[i], &w->d[i], w->now);
                if (!w->balloon_stuck[i])
                        w->s[i].actual_kib = w->d[i].target_kib;
        }
        w->cycle++;
        w->now += w->interval_sec * SEC;
        w->wall += (int64_t)w->interval_sec;
}

/* Six idle 8 GiB VMs on a host 14 points short of its goal: out of pressure
 * within the bound the rate limits allow, never a VM grown meanwhile, not
 * much more taken than needed, and then nothing moves. */
