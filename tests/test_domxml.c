/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Domain XML facts: each flag, metadata with any prefix and either quote,
 * words in text and comments that must not count, truncated and garbage
 * input, stats periods. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "balloond/domxml.h"

static unsigned facts(const char *xml, char *class_tag) {
        unsigned flags = 0;
        char tmp[BD_CLASS_MAX];

        assert_int_equal(bd_domxml_facts(xml, &flags, class_tag ? class_tag : tmp), 0);
        return flags;
}

static const char plain[] =
        "<domain type='kvm'>\n"
        "  <name>web1</name>\n"
        "  <memory unit='KiB'>4194304</memory>\n"
        "  <devices>\n"
        "    <disk type='file' device='disk'><source file='/x.img'/></disk>\n"
        "    <memballoon model='virtio' freePageReporting='on'>\n"
        "      <stats period='5'/>\n"
        "      <address type='pci' domain='0x0000' bus='0x00' slot='0x05' function='0x0'/>\n"
        "    </memballoon>\n"
        "  </devices>\n"
        "</domain>\n";

static void test_plain(void **state) {
        char cls[BD_CLASS_MAX] = "junk";

        (void)state;
        assert_int_equal(facts(plain, cls), 0);
        assert_string_equal(cls, "");
        assert_int_equal(bd_domxml_stats_period(plain), 5);
}

static void test_flags(void **state) {
        static const struct {
                const char *xml;
                unsigned flags;
        } rows[] = {
                { "<domain><devices><memballoon model='none'/></devices></domain>", BD_VM_NO_BALLOON },
                { "<domain><devices></devices></domain>", BD_VM_NO_BALLOON },
                { "<domain><devices><memballoon model=\"virtio\"/></devices></domain>",
                  BD_VM_NO_FREE_PAGE_REPORTING },
                { "<domain><devices><memballoon model='virtio' autodeflate='on' freePageReporting='on'/>"
                  "</devices></domain>",
                  BD_VM_AUTODEFLATE },
                { "<domain><devices><memballoon model='virtio' freePageReporting='on'/>"
                  "<hostdev mode='subsystem' type='pci' managed='yes'><source/></hostdev></devices></domain>",
                  BD_VM_VFIO },
                { "<domain><devices><memballoon model='virtio' freePageReporting='on'/>"
                  "<hostdev mode='subsystem' type='mdev' model='vfio-pci'/></devices></domain>",
                  BD_VM_VFIO },
                { "<domain><devices><memballoon model='virtio' freePageReporting='on'/>"
                  "<hostdev mode='subsystem' type='usb'/></devices></domain>",
                  0 },
                { "<domain><devices><memballoon model='virtio' freePageReporting='on'/>"
                  "<interface type='hostdev'/></devices></domain>",
                  BD_VM_VFIO },
                { "<domain><memoryBacking><locked/></memoryBacking><devices>"
                  "<memballoon model='virtio' freePageReporting='on'/></devices></domain>",
                  BD_VM_LOCKED },
                { "<domain><memoryBacking><hugepages><page size='2048' unit='KiB'/></hugepages>"
                  "</memoryBacking><devices><memballoon model='virtio' freePageReporting='on'/></devices></domain>",
                  BD_VM_HUGEPAGES },
                /* <locked/> outside memoryBacking is something else. */
                { "<domain><features><locked/></features><devices>"
                  "<memballoon model='virtio' freePageReporting='on'/></devices></domain>",
                  0 },
        };

        (void)state;
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
                unsigned got = facts(rows[i].xml, NULL);

                if (got != rows[i].flags) {
                        print_error("%s: got 0x%x, expected 0x%x\n", rows[i].xml, got, rows[i].flags);
                        fail();
                }
        }
}

static void test_metadata(void **state) {
        char cls[BD_CLASS_MAX];

        (void)state;
        assert_int_equal(facts("<domain><metadata>"
                               "<balloond:vm xmlns:balloond='https://balloond.org/xmlns/vm/1' class='database'/>"
                               "</metadata><devices><memballoon model='virtio' freePageReporting='on'/></devices>"
                               "</domain>",
                               cls),
                         0);
        assert_string_equal(cls, "database");
        /* Another prefix, double quotes, exclude. */
        assert_int_equal(facts("<domain><metadata>"
                               "<bd:vm xmlns:bd=\"https://balloond.org/xmlns/vm/1\" exclude=\"yes\"/>"
                               "</metadata><devices><memballoon model='virtio' freePageReporting='on'/></devices>"
                               "</domain>",
                               cls),
                         BD_VM_TAG_EXCLUDE);
        assert_string_equal(cls, "");
        /* exclude='no' and a bad class are ignored. */
        assert_int_equal(facts("<domain><metadata>"
                               "<bd:vm xmlns:bd='https://balloond.org/xmlns/vm/1' exclude='no' class='Not Valid'/>"
                               "</metadata><devices><memballoon model='virtio' freePageReporting='on'/></devices>"
                               "</domain>",
                               cls),
                         0);
        assert_string_equal(cls, "");
        /* Another application's metadata with our words in it does not count. */
        assert_int_equal(facts("<domain><metadata>"
                               "<app:x xmlns:app='https://example.org/other' exclude='yes' class='database'>"
                               "<memballoon model='none'/><hostdev type='pci'/></app:x>"
                               "</metadata><devices><memballoon model='virtio' freePageReporting='on'/></devices>"
                               "</domain>",
                               cls),
                         0);
        assert_string_equal(cls, "");
}

static void test_text_and_comments(void **state) {
        (void)state;
        assert_int_equal(facts("<domain><description>no &lt;memballoon model='none'/&gt; here</description>"
                               "<!-- <memballoon model='none'/> <hostdev type='pci'/> -->"
                               "<![CDATA[<locked/>]]>"
                               "<devices><memballoon model='virtio' freePageReporting='on'/></devices></domain>",
                               NULL),
                         0);
}

static void test_bad_input(void **state) {
        static const char *const bad[] = {
                "", "garbage", "<", "<>", "<network><name>x</name></network>", "</domain>",
                "<!-- never closed", "<domain attr='unterminated", "<?xml version='1.0'?>",
        };
        static const char *const truncated_ok[] = {
                /* Truncated after the root: facts so far (no balloon seen). */
                "<domain type='kvm'><devices><memballoon model='virtio'",
                "<domain><devices><memballoon model='virtio' freePageReporting='on'><stats period='",
        };
        unsigned flags = 0;
        char cls[BD_CLASS_MAX];

        (void)state;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                flags = 0;
                assert_int_equal(bd_domxml_facts(bad[i], &flags, cls), -EINVAL);
                assert_int_equal(flags, 0);
                assert_int_equal(bd_domxml_stats_period(bad[i]), -1);
        }
        for (size_t i = 0; i < sizeof(truncated_ok) / sizeof(truncated_ok[0]); i++)
                assert_int_equal(bd_domxml_facts(truncated_ok[i], &flags, cls), 0);
        assert_int_equal(bd_domxml_facts(NULL, &flags, cls), -EINVAL);
}

/* Every prefix of a real XML is handled without reading past its end
 * (run under ASan in CI). */
static void test_every_prefix(void **state) {
        size_t len = strlen(plain);
        uint64_t max;
        unsigned flags;
        char cls[BD_CLASS_MAX];

        (void)state;
        for (size_t k = 0; k <= len; k++) {
                char *p = malloc(k + 1);

                assert_non_null(p);
                memcpy(p, plain, k);
                p[k] = '\0';
                flags = 0;
                (void)bd_domxml_facts(p, &flags, cls);
                (void)bd_domxml_stats_period(p);
                (void)bd_domxml_memory_kib(p, &max);
                free(p);
        }
}

static void test_stats_period(void **state) {
        (void)state;
        assert_int_equal(bd_domxml_stats_period("<domain><devices><memballoon model='virtio'/></devices></domain>"), 0);
        assert_int_equal(bd_domxml_stats_period("<domain><devices><memballoon model='none'/></devices></domain>"), -1);
        assert_int_equal(bd_domxml_stats_period("<domain><devices/></domain>"), -1);
        assert_int_equal(bd_domxml_stats_period("<domain><devices><memballoon model='virtio'>"
                                                "<stats period='x'/></memballoon></devices></domain>"),
                         0);
        assert_int_equal(bd_domxml_stats_period("<domain><devices><memballoon model='virtio'>"
                                                "<stats period='0'/></memballoon></devices></domain>"),
                         0);
        /* A <stats> outside the balloon is not its period. */
        assert_int_equal(bd_domxml_stats_period("<domain><devices><memballoon model='virtio'/>"
                                                "<stats period='9'/></devices></domain>"),
                         0);
}

static void test_memory(void **state) {
        uint64_t kib = 7;

        (void)state;
        assert_int_equal(bd_domxml_memory_kib(plain, &kib), 0);
        assert_int_equal(kib, 4194304);
        assert_int_equal(bd_domxml_memory_kib("<domain><memory>2048</memory></domain>", &kib), 0);
        assert_int_equal(kib, 2048);
        assert_int_equal(bd_domxml_memory_kib("<domain><memory unit=\"MiB\">4096</memory></domain>", &kib), 0);
        assert_int_equal(kib, 4194304);
        assert_int_equal(bd_domxml_memory_kib("<domain><memory unit='GiB'>2</memory></domain>", &kib), 0);
        assert_int_equal(kib, 2097152);
        assert_int_equal(bd_domxml_memory_kib("<domain><memory unit='b'>1073741824</memory></domain>", &kib), 0);
        assert_int_equal(kib, 1048576);
        kib = 7;
        /* Not the <memory> of a NUMA cell or of a memory device. */
        assert_int_equal(bd_domxml_memory_kib("<domain><cpu><numa><cell memory='1'/></numa></cpu>"
                                              "<devices><memory model='dimm'><target><size>5</size></target>"
                                              "</memory></devices></domain>",
                                              &kib),
                         -EINVAL);
        assert_int_equal(bd_domxml_memory_kib("<domain><memory unit='parsec'>1</memory></domain>", &kib), -EINVAL);
        assert_int_equal(bd_domxml_memory_kib("<domain><memory>12x</memory></domain>", &kib), -EINVAL);
        assert_int_equal(bd_domxml_memory_kib("<domain><memory>99999999999999999999999</memory></domain>", &kib),
                         -EINVAL);
        assert_int_equal(bd_domxml_memory_kib("<domain><memory>", &kib), -EINVAL);
        assert_int_equal(bd_domxml_memory_kib(NULL, &kib), -EINVAL);
        assert_int_equal(kib, 7);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_plain),
                cmocka_unit_test(test_flags),
                cmocka_unit_test(test_metadata),
                cmocka_unit_test(test_text_and_comments),
                cmocka_unit_test(test_bad_input),
                cmocka_unit_test(test_every_prefix),
                cmocka_unit_test(test_stats_period),
                cmocka_unit_test(test_memory),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
