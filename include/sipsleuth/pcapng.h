/* Our own pcapng reader (offline files only). Unlike libpcap 1.10 it keeps a
 * link type per interface, so a capture of several kinds of interface (e.g.
 * `dumpcap -i any -i eth0`, or merged captures) is read whole. Every length
 * in the file is checked before use; a block may be at most
 * SL_PCAPNG_MAX_BLOCK bytes, and nothing is allocated per packet. */
#ifndef SIPSLEUTH_PCAPNG_H
#define SIPSLEUTH_PCAPNG_H

#include <signal.h>
#include <stdbool.h>

#include "sipsleuth/sltime.h"

/* The largest block read (libpcap's limit too): a longer one is an error. */
#define SL_PCAPNG_MAX_BLOCK (16u * 1024 * 1024)
/* Interfaces one section may describe. */
#define SL_PCAPNG_MAX_INTERFACES 4096u

typedef struct sl_pcapng sl_pcapng;

typedef struct sl_pcapng_packet {
    sl_time ts;
    const uint8_t *data; /* valid until the next sl_pcapng_next() */
    uint32_t caplen, wirelen;
    uint32_t interface; /* index in the current section */
    uint16_t linktype;  /* the interface's LINKTYPE_ value */
} sl_pcapng_packet;

typedef enum sl_pcapng_result {
    SL_PCAPNG_PACKET,
    SL_PCAPNG_END,   /* the file ended on a block boundary */
    SL_PCAPNG_ERROR, /* see sl_pcapng_error(); every later call returns it too */
} sl_pcapng_result;

/* True when a file starting with these 4 bytes is pcapng (a Section Header Block). */
bool sl_pcapng_magic(const uint8_t head[4]);

/* A reader of the file descriptor fd, whose first prefix_len (<= 4) bytes the
 * caller has already read into prefix. The reader does not close fd. */
sl_pcapng *sl_pcapng_open_fd(int fd, const uint8_t *prefix, size_t prefix_len);
/* A reader of a whole file held in memory (len bytes at data, not copied). */
sl_pcapng *sl_pcapng_open_memory(const uint8_t *data, size_t len);
void sl_pcapng_close(sl_pcapng *r);

/* The next packet, after the blocks before it (sections, interfaces, and the
 * block types we skip). A file whose first block is not a version 1.0
 * section header is an error here, at the first call. */
sl_pcapng_result sl_pcapng_next(sl_pcapng *r, sl_pcapng_packet *pkt);
/* Why the last call returned SL_PCAPNG_ERROR: one line naming the offset. */
const char *sl_pcapng_error(const sl_pcapng *r);
/* Bytes of the file consumed so far. */
uint64_t sl_pcapng_offset(const sl_pcapng *r);
/* The interfaces of the current section read so far: the count, and each
 * one's LINKTYPE_ value. Called before the first sl_pcapng_next(), it first
 * reads the blocks before the first packet (so a caller can see the link
 * types up front); after it, it reads nothing. */
uint32_t sl_pcapng_interfaces(sl_pcapng *r);
uint16_t sl_pcapng_linktype(const sl_pcapng *r, uint32_t interface);
/* A blocked read of a pipe that a signal interrupts then ends the input
 * (SL_PCAPNG_END) instead of being retried. Safe from a signal handler. */
void sl_pcapng_break(sl_pcapng *r);

#endif
