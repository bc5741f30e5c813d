/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Domain XML facts of odd guests: confidential ones (<launchSecurity>, any
 * type), vDPA devices (interface, disk, hostdev), virtio-mem devices, and
 * autodeflate; look-alikes that must not count (other memory models, words
 * in a description, elements in other applications' metadata). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "balloond/core/domxml.h"

#define BALLOON "<memballoon model='virtio' freePageReporting='on'/>"

static unsigned flags_of(const char *xml) {
        struct bd_domain_facts f;

        assert_int_equal(bd_domxml_read(xml, &f), 0);
        return f.flags;
}

static void test_launch_security(void **state) {
        static const char *const types[] = { "sev", "sev-snp", "tdx", "s390-pv" };
        char xml[512];

        (void)state;
        for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
                snprintf(xml, sizeof(xml),
                         "<domain type='kvm'><name>c</name><launchSecurity type='%s'><policy>0x0003</policy>"
                         "</launchSecurity><devices>" BALLOON "</devices></domain>",
                         types[i]);
                assert_true(flags_of(xml) & BD_VM_CONFIDENTIAL);
        }
        /* Not confidential: the word elsewhere, or in other metadata. */
        assert_false(flags_of("<domain><description>launchSecurity sev</description><devices>" BALLOON
                              "</devices></domain>") &
                     BD_VM_CONFIDENTIAL);
        assert_false(flags_of("<domain><metadata><x:launchSecurity xmlns:x='urn:x'/></metadata><devices>" BALLOON
                              "</devices></domain>") &
                     BD_VM_CONFIDENTIAL);
}

static void test_vdpa(void **state) {
        (void)state;
        assert_true(flags_of("<domain><devices><interface type='vdpa'><source dev='/dev/vhost-vdpa-0'/></interface>"
                             BALLOON "</devices></domain>") &
                    BD_VM_VDPA);
        assert_true(flags_of("<domain><devices><disk type='vhostvdpa' device='disk'><source dev='/dev/vhost-vdpa-1'/>"
                             "<target dev='vda'/></disk>" BALLOON "</devices></domain>") &
                    BD_VM_VDPA);
        /* An ordinary virtio network interface is not vDPA. */
        assert_false(flags_of("<domain><devices><interface type='network'><model type='virtio'/></interface>"
                              BALLOON "</devices></domain>") &
                     BD_VM_VDPA);
}

static void test_virtio_mem(void **state) {
        (void)state;
        assert_true(flags_of("<domain><devices><memory model='virtio-mem'><target><size unit='GiB'>4</size>"
                             "<node>0</node><block unit='MiB'>2</block></target></memory>" BALLOON
                             "</devices></domain>") &
                    BD_VM_VIRTIO_MEM);
        /* A DIMM or virtio-pmem is not virtio-mem. */
        assert_false(flags_of("<domain><devices><memory model='dimm'><target><size unit='GiB'>1</size></target>"
                              "</memory><memory model='virtio-pmem'/>" BALLOON "</devices></domain>") &
                     (BD_VM_VIRTIO_MEM | BD_VM_VDPA | BD_VM_CONFIDENTIAL));
}

static void test_autodeflate(void **state) {
        (void)state;
        assert_true(flags_of("<domain><devices><memballoon model='virtio' autodeflate='on'/></devices></domain>") &
                    BD_VM_AUTODEFLATE);
        assert_false(flags_of("<domain><devices><memballoon model='virtio' autodeflate='off'/></devices></domain>") &
                     BD_VM_AUTODEFLATE);
        assert_false(flags_of("<domain><devices>" BALLOON "</devices></domain>") & BD_VM_AUTODEFLATE);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_launch_security),
                cmocka_unit_test(test_vdpa),
                cmocka_unit_test(test_virtio_mem),
                cmocka_unit_test(test_autodeflate),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
