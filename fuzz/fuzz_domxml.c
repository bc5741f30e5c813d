/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: bd_domxml_read, the domain facts libvirt's XML gives
 * (src/core/domxml.c, libxml2 underneath). Promises checked: only 0, -EINVAL
 * or -ENOMEM; nothing written on an error; on success only known flag bits,
 * a class that is valid or empty, a stats period of -1 (no balloon) or 0 to
 * 86400, and no stats period without a balloon; the same input read twice
 * gives the same facts. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "balloond/core/domxml.h"
#include "fuzz_input.h"

#define KNOWN_FLAGS                                                                                     \
        (BD_VM_NO_BALLOON | BD_VM_VFIO | BD_VM_LOCKED | BD_VM_HUGEPAGES | BD_VM_TAG_EXCLUDE |          \
         BD_VM_NO_FREE_PAGE_REPORTING | BD_VM_AUTODEFLATE)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct bd_domain_facts f, again;
        char *xml;
        int r;

        if (size > FUZZ_MAX_INPUT)
                return 0;
        xml = fuzz_text(data, size);
        memset(&f, 0xa5, sizeof(f));
        r = bd_domxml_read(xml, &f);
        CHECK(r == 0 || r == -EINVAL || r == -ENOMEM);
        if (r == 0) {
                CHECK((f.flags & ~(unsigned)KNOWN_FLAGS) == 0);
                CHECK(fuzz_terminated(f.class_tag, sizeof(f.class_tag)));
                CHECK(f.class_tag[0] == '\0' || bd_class_valid(f.class_tag));
                CHECK(f.stats_period >= -1 && f.stats_period <= 86400);
                CHECK(f.stats_period == -1 ? (f.flags & BD_VM_NO_BALLOON) != 0 : 1);
                CHECK(bd_domxml_read(xml, &again) == 0);
                CHECK(memcmp(&f, &again, sizeof(f)) == 0);
        } else {
                struct bd_domain_facts untouched;

                memset(&untouched, 0xa5, sizeof(untouched));
                CHECK(memcmp(&f, &untouched, sizeof(f)) == 0);
        }
        free(xml);
        return 0;
}
