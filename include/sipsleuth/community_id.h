/* Community ID flow hashing, version 1 (https://github.com/corelight/community-id-spec). */
#ifndef SIPSLEUTH_COMMUNITY_ID_H
#define SIPSLEUTH_COMMUNITY_ID_H

#include "sipsleuth/packet.h"

/* "1:" + base64(SHA1) = 2 + 28 characters, plus the NUL. */
#define SL_COMMUNITY_ID_LEN 31

/* Writes the NUL-terminated ID for the flow (seed 0). Returns false when the
 * addresses are unset or of different families. */
bool sl_community_id(const sl_addr *src, const sl_addr *dst, uint8_t proto, uint16_t sport,
                     uint16_t dport, uint16_t seed, char out[SL_COMMUNITY_ID_LEN]);

#endif
