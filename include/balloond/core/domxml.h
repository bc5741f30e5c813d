/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Facts balloond needs from a domain's XML description, read with libxml2
 * (the parser libvirt itself uses, already in the daemon's process): XPath
 * over the parsed document, namespaces resolved as XML defines them. Pure:
 * no libvirt, no I/O. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "balloond/core/sample.h"

/* The XML namespace of balloond's per-domain metadata:
 *   <metadata>
 *     <balloond:vm xmlns:balloond="https://balloond.org/xmlns/vm/1" exclude="yes" class="database"/>
 *   </metadata>
 * Any prefix, the default namespace, or a declaration on an ancestor (libvirt
 * moves one made on <domain> to <metadata>) all name the same namespace.   */
#define BD_METADATA_NS "https://balloond.org/xmlns/vm/1"
#define BD_METADATA_PREFIX "balloond"

/* What one domain XML says. */
struct bd_domain_facts {
        unsigned flags;               /* bd_vm_flag: NO_BALLOON, VFIO, LOCKED, HUGEPAGES,
                                       * NO_FREE_PAGE_REPORTING, AUTODEFLATE, TAG_EXCLUDE,
                                       * CONFIDENTIAL, VDPA, VIRTIO_MEM */
        char class_tag[BD_CLASS_MAX]; /* the metadata class, "" if none */
        int stats_period;             /* the balloon's <stats period='N'/>: 0 if none, -1 no balloon */
        uint64_t max_kib;             /* <memory>, BD_KIB_UNKNOWN if absent or malformed */
        uint64_t current_kib;         /* <currentMemory>, BD_KIB_UNKNOWN if absent or malformed */
};

/* Read the facts of the domain description XML (a NUL-terminated string)
 * into *OUT. Returns 0; -EINVAL when XML is not a well-formed domain
 * description (*OUT untouched); -ENOMEM. */
int bd_domxml_read(const char *xml, struct bd_domain_facts *out);
