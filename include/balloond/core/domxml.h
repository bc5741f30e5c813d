/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Facts balloond needs from a domain's XML description, found without an XML
 * library in the canonical XML libvirt produces. Pure. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "balloond/core/sample.h"

/* The XML namespace of balloond's per-domain metadata:
 *   <metadata>
 *     <balloond:vm xmlns:balloond="https://balloond.org/xmlns/vm/1" exclude="yes" class="database"/>
 *   </metadata>                                                                   */
#define BD_METADATA_NS "https://balloond.org/xmlns/vm/1"
#define BD_METADATA_PREFIX "balloond"

/* Set bd_vm_flag bits in *FLAGS (NO_BALLOON, VFIO, LOCKED, HUGEPAGES,
 * NO_FREE_PAGE_REPORTING, AUTODEFLATE, TAG_EXCLUDE) and the metadata class in
 * CLASS_TAG (size BD_CLASS_MAX, "" if none) from a domain XML. Returns 0, or
 * -EINVAL when XML is not a domain description. */
int bd_domxml_facts(const char *xml, unsigned *flags, char *class_tag);

/* The domain's maximum memory (<memory unit='...'>N</memory>) in KiB into
 * *OUT. Returns 0, or -EINVAL when absent or malformed. */
int bd_domxml_memory_kib(const char *xml, uint64_t *out);

/* The stats period of the domain's memballoon (<stats period='N'/>), 0 if
 * absent, -1 if there is no balloon. */
int bd_domxml_stats_period(const char *xml);
