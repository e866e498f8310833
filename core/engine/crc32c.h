/* CRC-32C (Castagnoli), as used by iSCSI, ext4 and SCTP: reflected polynomial
 * 0x82F63B78, initial value and final XOR 0xFFFFFFFF. crc32c("123456789") is
 * 0xE3069283. */
#ifndef FERRY_ENGINE_CRC32C_H
#define FERRY_ENGINE_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/** CRC-32C of len bytes. Continue a running CRC by passing the previous result as `crc`
 *  (start with 0). */
uint32_t crc32c(uint32_t crc, const void *data, size_t len);

/* The lookup table (exposed so the tests can check every entry). */
extern const uint32_t crc32c_table[256];

#endif
