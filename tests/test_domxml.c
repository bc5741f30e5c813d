/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Domain XML facts: each flag, metadata with any prefix (or none) and either
 * quote, words in text, comments and other applications' metadata that must
 * not count, truncated and garbage input, stats periods, the maximum. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "balloond/core/domxml.h"

#define NS "https://balloond.org/xmlns/vm/1"
/* A balloon that needs nothing said about it. */
#define GOOD_BALLOON "<devices><memballoon model='virtio' freePageReporting='on'/></devices>"

/* Three questions over bd_domxml_read: the flags and class (-EINVAL and
 * nothing written for what is not a domain), the stats period (-1 for what
 * is not a domain), the maximum (-EINVAL when unknown, nothing written). */
static int domxml_facts(const char *xml, unsigned *flags, char *class_tag) {
        struct bd_domain_facts f;
        int r = bd_domxml_read(xml, &f);

        if (r < 0)
                return r;
        *flags |= f.flags;
        memcpy(class_tag, f.class_tag, BD_CLASS_MAX);
        return 0;
}

static int domxml_stats_period(const char *xml) {
        struct bd_domain_facts f;

        return bd_domxml_read(xml, &f) < 0 ? -1 : f.stats_period;
}

static int domxml_memory_kib(const char *xml, uint64_t *out) {
        struct bd_domain_facts f;
        int r = bd_domxml_read(xml, &f);

        if (r < 0)
                return r;
        if (f.max_kib == BD_KIB_UNKNOWN)
                return -EINVAL;
        *out = f.max_kib;
        return 0;
}

static unsigned facts(const char *xml, char *class_tag) {
        unsigned flags = 0;
        char tmp[BD_CLASS_MAX];

        assert_int_equal(domxml_facts(xml, &flags, class_tag ? class_tag : tmp), 0);
        return flags;
}

/* What `virsh dumpxml` printed for a running test-driver domain. */
static const char plain[] =
        "<domain type='kvm' id='3'>\n"
        "  <name>web1</name>\n"
        "  <uuid>6c1c0a7e-1a2b-4c3d-8e4f-000000000001</uuid>\n"
        "  <memory unit='KiB'>4194304</memory>\n"
        "  <currentMemory unit='KiB'>4194304</currentMemory>\n"
        "  <vcpu placement='static'>1</vcpu>\n"
        "  <os>\n    <type arch='x86_64' machine='pc'>hvm</type>\n    <boot dev='hd'/>\n  </os>\n"
        "  <devices>\n"
        "    <disk type='file' device='disk'><source file='/x.img'/><target dev='vda' bus='virtio'/></disk>\n"
        "    <hostdev mode='subsystem' type='usb' managed='no'><source><vendor id='0x1234'/></source></hostdev>\n"
        "    <memballoon model='virtio' freePageReporting='on'>\n"
        "      <stats period='5'/>\n"
        "      <address type='pci' domain='0x0000' bus='0x00' slot='0x05' function='0x0'/>\n"
        "    </memballoon>\n"
        "  </devices>\n"
        "</domain>\n";

/* What libvirt 9.0 printed for a domain defined with a description full of
 * our words, balloond metadata in the default namespace next to another
 * application's metadata (which has a <metadata> of its own), and a comment
 * (libvirt drops comments; they are tested on their own below). */
static const char canonical[] =
        "<domain type='test'>\n"
        "  <name>mdtest</name>\n"
        "  <uuid>cfb11521-f110-4819-bbfe-c5c461f7bb7c</uuid>\n"
        "  <description>has &lt;memballoon model=&apos;none&apos;/&gt; and &lt;hostdev "
        "type=&apos;pci&apos;/&gt; words</description>\n"
        "  <metadata>\n"
        "    <vm xmlns=\"" NS "\" exclude=\"yes\"/>\n"
        "    <o:x xmlns:o=\"http://other/1\">\n"
        "      <metadata>\n"
        "        <y/>\n"
        "      </metadata>\n"
        "      <o:memballoon model=\"none\"/>\n"
        "      <memballoon model=\"none\"/>\n"
        "      <hostdev type=\"pci\"/>\n"
        "    </o:x>\n"
        "  </metadata>\n"
        "  <memory unit='KiB'>1048576</memory>\n"
        "  <currentMemory unit='KiB'>1048576</currentMemory>\n"
        "  <devices>\n"
        "    <memballoon model='virtio' autodeflate='on'/>\n"
        "  </devices>\n"
        "</domain>\n";

static void test_plain(void **state) {
        char cls[BD_CLASS_MAX] = "junk";
        uint64_t kib = 0;
        struct bd_domain_facts f;

        (void)state;
        assert_int_equal(facts(plain, cls), 0);
        assert_string_equal(cls, "");
        assert_int_equal(domxml_stats_period(plain), 5);
        assert_int_equal(domxml_memory_kib(plain, &kib), 0);
        assert_int_equal(kib, 4194304);
        assert_int_equal(bd_domxml_read(plain, &f), 0);
        assert_int_equal(f.current_kib, 4194304);
}

static void test_canonical(void **state) {
        char cls[BD_CLASS_MAX] = "junk";

        (void)state;
        assert_int_equal(facts(canonical, cls), BD_VM_TAG_EXCLUDE | BD_VM_AUTODEFLATE | BD_VM_NO_FREE_PAGE_REPORTING);
        assert_string_equal(cls, "");
        assert_int_equal(domxml_stats_period(canonical), 0);
}

static void test_flags(void **state) {
        static const struct {
                const char *xml;
                unsigned flags;
        } rows[] = {
                { "<domain><devices><memballoon model='none'/></devices></domain>", BD_VM_NO_BALLOON },
                { "<domain><devices><memballoon model=\"none\"></memballoon></devices></domain>", BD_VM_NO_BALLOON },
                { "<domain><devices></devices></domain>", BD_VM_NO_BALLOON },
                { "<domain/>", BD_VM_NO_BALLOON },
                { "<domain><devices><memballoon model=\"virtio\"/></devices></domain>",
                  BD_VM_NO_FREE_PAGE_REPORTING },
                { "<domain><devices><memballoon model='virtio' freePageReporting='off'/></devices></domain>",
                  BD_VM_NO_FREE_PAGE_REPORTING },
                { "<domain><devices><memballoon model='virtio' autodeflate='on' freePageReporting='on'/>"
                  "</devices></domain>",
                  BD_VM_AUTODEFLATE },
                { "<domain><devices><memballoon model='virtio' autodeflate='off' freePageReporting='on'/>"
                  "</devices></domain>",
                  0 },
                { "<domain><devices><memballoon model='virtio' freePageReporting='on'/>"
                  "<hostdev mode='subsystem' type='pci' managed='yes'><source/></hostdev></devices></domain>",
                  BD_VM_VFIO },
                { "<domain><devices><memballoon model='virtio' freePageReporting='on'/>"
                  "<hostdev mode=\"subsystem\" type=\"mdev\" model=\"vfio-pci\"/></devices></domain>",
                  BD_VM_VFIO },
                { "<domain><devices><memballoon model='virtio' freePageReporting='on'/>"
                  "<hostdev mode='subsystem' type='usb'/><hostdev mode='capabilities' type='storage'/>"
                  "</devices></domain>",
                  0 },
                { "<domain><devices><memballoon model='virtio' freePageReporting='on'/>"
                  "<interface type='hostdev'/></devices></domain>",
                  BD_VM_VFIO },
                { "<domain><devices><memballoon model='virtio' freePageReporting='on'/>"
                  "<interface type='network'/></devices></domain>",
                  0 },
                { "<domain><memoryBacking><locked/></memoryBacking>" GOOD_BALLOON "</domain>", BD_VM_LOCKED },
                { "<domain><memoryBacking><hugepages><page size='2048' unit='KiB'/></hugepages>"
                  "</memoryBacking>" GOOD_BALLOON "</domain>",
                  BD_VM_HUGEPAGES },
                { "<domain><memoryBacking><hugepages/><locked/></memoryBacking><devices>"
                  "<memballoon model='none'/><hostdev type='pci'/></devices></domain>",
                  BD_VM_HUGEPAGES | BD_VM_LOCKED | BD_VM_NO_BALLOON | BD_VM_VFIO },
                /* Shared memory backing: a ledger fact, not an exclusion. */
                { "<domain><memoryBacking><source type='memfd'/><access mode='shared'/></memoryBacking>"
                  GOOD_BALLOON "</domain>",
                  BD_VM_SHARED_MEMORY },
                { "<domain><cpu><numa><cell id='0' memory='1024' memAccess='shared'/></numa></cpu>"
                  GOOD_BALLOON "</domain>",
                  BD_VM_SHARED_MEMORY },
                { "<domain><memoryBacking><access mode='private'/></memoryBacking>" GOOD_BALLOON "</domain>", 0 },
                /* Each word at another place in the document is something else. */
                { "<domain><features><locked/><hugepages/></features>" GOOD_BALLOON "</domain>", 0 },
                { "<domain><locked/><hugepages/><hostdev type='pci'/>" GOOD_BALLOON "</domain>", 0 },
                { "<domain><devices><memballoon model='virtio' freePageReporting='on'/>"
                  "<controller type='pci'><hostdev type='pci'/><memballoon model='none'/></controller>"
                  "</devices></domain>",
                  0 },
                { "<domain><cpu><memoryBacking><locked/></memoryBacking></cpu>" GOOD_BALLOON "</domain>", 0 },
                /* Deeper than the walker records, then back. */
                { "<domain><metadata><a><b><c><d><e><f><g><h><i><j><memballoon model='none'/>"
                  "</j></i></h></g></f></e></d></c></b></a></metadata>" GOOD_BALLOON "</domain>",
                  0 },
                /* A prolog and a DOCTYPE before the root. */
                { "<?xml version='1.0'?>\n<!DOCTYPE domain>\n<domain>" GOOD_BALLOON "</domain>", 0 },
        };

        (void)state;
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
                unsigned got = facts(rows[i].xml, NULL);

                if (got != rows[i].flags) {
                        print_error("row %zu: %s: got 0x%x, expected 0x%x\n", i, rows[i].xml, got, rows[i].flags);
                        fail();
                }
        }
}

static void test_metadata(void **state) {
        static const struct {
                const char *metadata;
                unsigned flags;
                const char *class_tag;
        } rows[] = {
                { "<balloond:vm xmlns:balloond='" NS "' class='database'/>", 0, "database" },
                { "<bd:vm xmlns:bd=\"" NS "\" exclude=\"yes\"/>", BD_VM_TAG_EXCLUDE, "" },
                { "<x:vm xmlns:x='" NS "' exclude='true' class='batch_2-a'/>", BD_VM_TAG_EXCLUDE, "batch_2-a" },
                { "<vm xmlns='" NS "' exclude='1'/>", BD_VM_TAG_EXCLUDE, "" },
                /* What virsh metadata --key bd --set writes. */
                { "<bd:vm xmlns:bd=\"" NS "\" class=\"database\" exclude=\"1\"/>", BD_VM_TAG_EXCLUDE, "database" },
                /* Children of our element are fine. */
                { "<bd:vm xmlns:bd='" NS "' exclude='yes'><bd:note>x</bd:note></bd:vm>", BD_VM_TAG_EXCLUDE, "" },
                /* No, other spellings of no, and bad classes are ignored. */
                { "<bd:vm xmlns:bd='" NS "' exclude='no' class='Not Valid'/>", 0, "" },
                { "<bd:vm xmlns:bd='" NS "' exclude='0' class='UPPER'/>", 0, "" },
                { "<bd:vm xmlns:bd='" NS "' exclude='YES' class=''/>", 0, "" },
                { "<bd:vm xmlns:bd='" NS "' exclude='yes please' class='a/b'/>", 0, "" },
                /* 31 characters is the longest class, 32 is too long. */
                { "<bd:vm xmlns:bd='" NS "' class='abcdefghijklmnopqrstuvwxyz01234'/>", 0,
                  "abcdefghijklmnopqrstuvwxyz01234" },
                { "<bd:vm xmlns:bd='" NS "' class='abcdefghijklmnopqrstuvwxyz012345'/>", 0, "" },
                /* Another application's metadata, with our words in it. */
                { "<app:x xmlns:app='https://example.org/other' exclude='yes' class='database'>"
                  "<memballoon model='none'/><hostdev type='pci'/></app:x>",
                  0, "" },
                /* Our namespace declared, but the element is not in it. */
                { "<app:x xmlns:app='https://example.org/other' xmlns:bd='" NS "' exclude='yes'/>", 0, "" },
                { "<x xmlns:bd='" NS "' exclude='yes'/>", 0, "" },
                /* Namespaces that only look like ours. */
                { "<bd:vm xmlns:bd='" NS "0' exclude='yes'/>", 0, "" },
                { "<bd:vm xmlns:bd='https://balloond.org/xmlns/vm/' exclude='yes'/>", 0, "" },
                /* Ours, but not where libvirt keeps it: inside another application's element. */
                { "<app:x xmlns:app='https://example.org/other'><bd:vm xmlns:bd='" NS "' exclude='yes'/></app:x>",
                  0, "" },
                /* Another application's element in the default namespace, with a
                 * <metadata> of its own: what follows it is still metadata. */
                { "<x xmlns='https://example.org/other'><metadata/><metadata>t</metadata>"
                  "<memballoon model='none'/></x>",
                  0, "" },
        };
        char xml[1024], cls[BD_CLASS_MAX];

        (void)state;
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
                unsigned got;

                snprintf(xml, sizeof(xml), "<domain><metadata>%s</metadata>" GOOD_BALLOON "</domain>",
                         rows[i].metadata);
                strcpy(cls, "junk");
                got = facts(xml, cls);
                if (got != rows[i].flags || strcmp(cls, rows[i].class_tag) != 0) {
                        print_error("row %zu: %s: got 0x%x '%s', expected 0x%x '%s'\n", i, rows[i].metadata, got,
                                    cls, rows[i].flags, rows[i].class_tag);
                        fail();
                }
        }
        /* Metadata of ours outside <metadata> is not metadata. */
        assert_int_equal(facts("<domain><devices><bd:vm xmlns:bd='" NS "' exclude='yes'/>"
                               "<memballoon model='virtio' freePageReporting='on'/></devices></domain>",
                               cls),
                         0);
}

/* What libvirt 9.0 printed (virsh dumpxml, test driver) for a domain
 * defined with xmlns:bd on <domain>: libvirt moves the declaration to
 * <metadata>, so balloond's element carries none of its own. The old tag
 * scanner looked for the declaration on the element only and shrank this VM
 * its administrator had excluded. */
static const char moved_ns[] =
        "<domain type='test'>\n"
        "  <name>nstest</name>\n"
        "  <uuid>28abed26-6d49-42b1-8766-9f019754987b</uuid>\n"
        "  <metadata xmlns:o=\"http://other/1\" xmlns:bd=\"" NS "\">\n"
        "    <bd:vm exclude=\"yes\" class=\"database\"/>\n"
        "    <o:x>\n"
        "      <metadata>\n"
        "        <y/>\n"
        "      </metadata>\n"
        "      <o:memballoon model=\"none\"/>\n"
        "    </o:x>\n"
        "  </metadata>\n"
        "  <memory unit='KiB'>1048576</memory>\n"
        "  <currentMemory unit='KiB'>524288</currentMemory>\n"
        "  <devices>\n"
        "    <memballoon model='virtio'/>\n"
        "  </devices>\n"
        "</domain>\n";

static void test_namespace_in_scope(void **state) {
        static const struct {
                const char *xml;
                unsigned flags;
                const char *class_tag;
        } rows[] = {
                /* Declared on an ancestor: <metadata> or <domain>. */
                { "<domain><metadata xmlns:bd='" NS "'><bd:vm exclude='yes'/></metadata>" GOOD_BALLOON "</domain>",
                  BD_VM_TAG_EXCLUDE, "" },
                { "<domain xmlns:b='" NS "'><metadata><b:vm class='batch'/></metadata>" GOOD_BALLOON "</domain>",
                  0, "batch" },
                /* Character references are the characters they name. */
                { "<domain><metadata><bd:vm xmlns:bd='https:&#x2F;&#47;balloond.org/xmlns/vm/1' "
                  "exclude='&#121;es' class='data&#98;ase'/></metadata>" GOOD_BALLOON "</domain>",
                  BD_VM_TAG_EXCLUDE, "database" },
                /* Our prefix bound to another namespace: not ours, wherever bound. */
                { "<domain><metadata xmlns:bd='https://example.org/other'><bd:vm exclude='yes'/></metadata>"
                  GOOD_BALLOON "</domain>",
                  0, "" },
                { "<domain><metadata xmlns:bd='" NS "'><bd:vm xmlns:bd='https://example.org/other' exclude='yes'/>"
                  "</metadata>" GOOD_BALLOON "</domain>",
                  0, "" },
                /* In scope but nested in another application's element: not ours. */
                { "<domain><metadata xmlns:bd='" NS "'><o:x xmlns:o='https://example.org/other'>"
                  "<bd:vm exclude='yes'/><metadata><bd:vm exclude='yes'/></metadata></o:x></metadata>"
                  GOOD_BALLOON "</domain>",
                  0, "" },
                /* A <metadata> in our namespace is not the domain's (libvirt drops it too). */
                { "<domain><metadata xmlns='" NS "'><vm exclude='yes'/></metadata>" GOOD_BALLOON "</domain>", 0,
                  "" },
        };
        char cls[BD_CLASS_MAX];

        (void)state;
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
                unsigned got;

                strcpy(cls, "junk");
                got = facts(rows[i].xml, cls);
                if (got != rows[i].flags || strcmp(cls, rows[i].class_tag) != 0) {
                        print_error("row %zu: %s: got 0x%x '%s', expected 0x%x '%s'\n", i, rows[i].xml, got, cls,
                                    rows[i].flags, rows[i].class_tag);
                        fail();
                }
        }
        assert_int_equal(facts(moved_ns, cls), BD_VM_TAG_EXCLUDE | BD_VM_NO_FREE_PAGE_REPORTING);
        assert_string_equal(cls, "database");
}

static void test_text_and_comments(void **state) {
        (void)state;
        assert_int_equal(facts("<domain><title>&lt;locked/&gt;</title>"
                               "<description>no &lt;memballoon model='none'/&gt; here; exclude='yes' "
                               "class='database' xmlns:bd='" NS "'</description>"
                               "<!-- <memballoon model='none'/> <hostdev type='pci'/> -->"
                               "<![CDATA[<memoryBacking><locked/></memoryBacking>]]>"
                               "<?pi <memballoon model='none'/> ?>"
                               "<devices><!-- --><memballoon model='virtio' freePageReporting='on'/></devices></domain>",
                               NULL),
                         0);
        /* '>' inside an attribute value does not end the tag ('<' cannot be
         * there: see test_bad_input). */
        assert_int_equal(facts("<domain><devices><disk x='a>b &lt;memballoon model=\"none\"/>'/>"
                               "<memballoon model='virtio' freePageReporting='on'/></devices></domain>",
                               NULL),
                         0);
}

static void test_bad_input(void **state) {
        static const char *const bad[] = {
                "",
                "garbage",
                "<",
                "<>",
                "< domain>",
                "<network><name>x</name></network>",
                "</domain>",
                "<!-- never closed",
                "<domain attr='unterminated",
                "<?xml version='1.0'?>",
                "<domain><devices></domain>",      /* mismatched */
                "<domain><devices></devices>",     /* root never closed */
                "<domain><![CDATA[ never closed",
                "<domain><devices><memballoon model='virtio'",
                "<domain><devices><memballoon model='virtio' freePageReporting='on'><stats period='",
                "\x01\x02\xff<\xfe>",
                /* Not XML: '<' in an attribute value (libvirt writes &lt;). */
                ("<domain><devices><disk x='a>b <memballoon model=\"none\"/>'/>"
                 "<memballoon model='virtio' freePageReporting='on'/></devices></domain>"),
                /* Not XML: an undeclared entity, two roots, a namespaced root. */
                "<domain><description>&nope;</description></domain>",
                "<domain/><domain/>",
                "<x:domain xmlns:x='https://example.org/other'/>",
        };
        unsigned flags;
        char cls[BD_CLASS_MAX];
        uint64_t kib;

        (void)state;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                flags = 0x100;
                strcpy(cls, "keep");
                kib = 7;
                if (domxml_facts(bad[i], &flags, cls) != -EINVAL) {
                        print_error("row %zu: %s: accepted\n", i, bad[i]);
                        fail();
                }
                assert_int_equal(flags, 0x100); /* out-parameters untouched */
                assert_string_equal(cls, "keep");
                assert_int_equal(domxml_stats_period(bad[i]), -1);
                assert_int_equal(domxml_memory_kib(bad[i], &kib), -EINVAL);
                assert_int_equal(kib, 7);
        }
        flags = 0;
        assert_int_equal(domxml_facts(NULL, &flags, cls), -EINVAL);
        assert_int_equal(domxml_stats_period(NULL), -1);
}

/* Every prefix of real XML: -EINVAL until the root is closed, the full facts
 * from then on, never a read past the end (ASan in the sanitizer build: each
 * prefix is its own allocation). */
static void test_every_prefix(void **state) {
        static const char *const docs[] = { plain, canonical };

        (void)state;
        for (size_t d = 0; d < sizeof(docs) / sizeof(docs[0]); d++) {
                const char *doc = docs[d];
                size_t len = strlen(doc), complete = (size_t)(strstr(doc, "</domain>") - doc) + strlen("</domain>");
                unsigned want = facts(doc, NULL);

                for (size_t k = 0; k <= len; k++) {
                        char *p = malloc(k + 1);
                        unsigned flags = 0;
                        char cls[BD_CLASS_MAX];
                        uint64_t max;
                        int r;

                        assert_non_null(p);
                        memcpy(p, doc, k);
                        p[k] = '\0';
                        r = domxml_facts(p, &flags, cls);
                        if (k < complete) {
                                assert_int_equal(r, -EINVAL);
                                assert_int_equal(domxml_stats_period(p), -1);
                        } else {
                                assert_int_equal(r, 0);
                                assert_int_equal(flags, want);
                        }
                        (void)domxml_memory_kib(p, &max);
                        free(p);
                }
        }
}

static void test_stats_period(void **state) {
        static const struct {
                const char *devices;
                int period;
        } rows[] = {
                { "<memballoon model='virtio'/>", 0 },
                { "<memballoon model='virtio'><stats period='1'/></memballoon>", 1 },
                { "<memballoon model='virtio'><stats period=\"10\"/></memballoon>", 10 },
                { "<memballoon model='virtio'><stats period='86400'/></memballoon>", 86400 },
                { "<memballoon model='virtio'><stats period='0'/></memballoon>", 0 },
                { "<memballoon model='virtio'><stats period='x'/></memballoon>", 0 },
                { "<memballoon model='virtio'><stats period='5s'/></memballoon>", 0 },
                { "<memballoon model='virtio'><stats period='-1'/></memballoon>", 0 },
                { "<memballoon model='virtio'><stats period='86401'/></memballoon>", 0 },
                { "<memballoon model='virtio'><stats period='99999999999999999999'/></memballoon>", 0 },
                { "<memballoon model='virtio'><stats/></memballoon>", 0 },
                { "<memballoon model='none'/>", -1 },
                { "<memballoon model='none'><stats period='5'/></memballoon>", -1 },
                { "", -1 },
                /* A <stats> outside the balloon is not its period. */
                { "<memballoon model='virtio'/><stats period='9'/>", 0 },
                { "<memballoon model='virtio'><address><stats period='9'/></address></memballoon>", 0 },
        };
        char xml[512];

        (void)state;
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
                int got;

                snprintf(xml, sizeof(xml), "<domain><devices>%s</devices></domain>", rows[i].devices);
                got = domxml_stats_period(xml);
                if (got != rows[i].period) {
                        print_error("row %zu: %s: got %d, expected %d\n", i, rows[i].devices, got, rows[i].period);
                        fail();
                }
        }
}

static void test_memory(void **state) {
        static const struct {
                const char *memory;
                uint64_t kib;
        } rows[] = {
                { "<memory>2048</memory>", 2048 },
                { "<memory unit='KiB'>4194304</memory>", 4194304 },
                { "<memory unit='k'>10</memory>", 10 },
                { "<memory unit=\"MiB\">4096</memory>", 4194304 },
                { "<memory unit='M'>1</memory>", 1024 },
                { "<memory unit='GiB'>2</memory>", 2097152 },
                { "<memory unit='T'>1</memory>", 1073741824 },
                { "<memory unit='b'>1073741824</memory>", 1048576 },
                { "<memory unit='bytes'>2048</memory>", 2 },
                { "<memory unit='KB'>1024</memory>", 1000 },
                { "<memory unit='MB'>1</memory>", 976 },
                { "<memory unit='GB'>1</memory>", 976562 },
        };
        static const char *const bad[] = {
                /* Not the <memory> of a NUMA cell or of a memory device. */
                ("<domain><cpu><numa><cell memory='1'/></numa></cpu>"
                 "<devices><memory model='dimm'><target><size>5</size></target></memory></devices></domain>"),
                "<domain><memory unit='parsec'>1</memory></domain>",
                "<domain><memory>12x</memory></domain>",
                "<domain><memory> 12</memory></domain>",
                "<domain><memory>-12</memory></domain>",
                "<domain><memory>99999999999999999999999</memory></domain>",
                "<domain><memory unit='T'>99999999999</memory></domain>",
                "<domain><memory/></domain>",
                "<domain><memory>",
                "<network><memory>5</memory></network>",
        };
        char xml[256];
        uint64_t kib;

        (void)state;
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
                snprintf(xml, sizeof(xml), "<domain><name>x</name>%s<currentMemory>1</currentMemory></domain>",
                         rows[i].memory);
                kib = 0;
                assert_int_equal(domxml_memory_kib(xml, &kib), 0);
                if (kib != rows[i].kib) {
                        print_error("row %zu: %s: got %llu, expected %llu\n", i, rows[i].memory,
                                    (unsigned long long)kib, (unsigned long long)rows[i].kib);
                        fail();
                }
        }
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                kib = 7;
                if (domxml_memory_kib(bad[i], &kib) != -EINVAL) {
                        print_error("bad row %zu: %s: accepted\n", i, bad[i]);
                        fail();
                }
                assert_int_equal(kib, 7);
        }
        kib = 7;
        assert_int_equal(domxml_memory_kib(NULL, &kib), -EINVAL);
        assert_int_equal(kib, 7);
}

/* <currentMemory>, in the units <memory> takes; unknown when absent or bad. */
static void test_current_memory(void **state) {
        static const struct {
                const char *sizes;
                uint64_t max_kib, current_kib;
        } rows[] = {
                { "<memory unit='GiB'>4</memory><currentMemory unit='MiB'>2048</currentMemory>", 4194304, 2097152 },
                { "<memory>1024</memory><currentMemory>512</currentMemory>", 1024, 512 },
                { "<memory unit='KiB'>1024</memory>", 1024, BD_KIB_UNKNOWN },
                { "<currentMemory unit='MiB'>1</currentMemory>", BD_KIB_UNKNOWN, 1024 },
                { "<memory>1024</memory><currentMemory unit='parsec'>1</currentMemory>", 1024, BD_KIB_UNKNOWN },
                { "<memory>1024</memory><currentMemory>-1</currentMemory>", 1024, BD_KIB_UNKNOWN },
                /* The first one counts; a NUMA cell's or a device's does not. */
                { "<currentMemory>5</currentMemory><currentMemory>6</currentMemory>", BD_KIB_UNKNOWN, 5 },
                { "<cpu><numa><cell currentMemory='1'/></numa></cpu>"
                  "<devices><currentMemory>7</currentMemory></devices>",
                  BD_KIB_UNKNOWN, BD_KIB_UNKNOWN },
        };
        char xml[512];

        (void)state;
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
                struct bd_domain_facts f;

                snprintf(xml, sizeof(xml), "<domain>%s</domain>", rows[i].sizes);
                assert_int_equal(bd_domxml_read(xml, &f), 0);
                if (f.max_kib != rows[i].max_kib || f.current_kib != rows[i].current_kib) {
                        print_error("row %zu: %s: got %llu/%llu\n", i, rows[i].sizes, (unsigned long long)f.max_kib,
                                    (unsigned long long)f.current_kib);
                        fail();
                }
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_plain),
                cmocka_unit_test(test_canonical),
                cmocka_unit_test(test_flags),
                cmocka_unit_test(test_metadata),
                cmocka_unit_test(test_namespace_in_scope),
                cmocka_unit_test(test_current_memory),
                cmocka_unit_test(test_text_and_comments),
                cmocka_unit_test(test_bad_input),
                cmocka_unit_test(test_every_prefix),
                cmocka_unit_test(test_stats_period),
                cmocka_unit_test(test_memory),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
