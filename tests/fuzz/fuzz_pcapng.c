/* Fuzz target for the pcapng reader: the input is a whole capture file, read
 * in place. Every packet must lie inside the input and belong to a described
 * interface; a read that stops on an error must say why and stay stopped. */
#include <stdlib.h>
#include <string.h>

#include "sipsleuth/pcapng.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sl_pcapng *r = sl_pcapng_open_memory(data, size);
    if (!r)
        abort();
    sl_pcapng_packet p;
    sl_pcapng_result res;
    size_t packets = 0;
    while ((res = sl_pcapng_next(r, &p)) == SL_PCAPNG_PACKET) {
        /* A block is at least 12 bytes: no more packets than that allows. */
        if (++packets > size / 12 || p.data < data || p.caplen > size ||
            p.data + p.caplen > data + size || p.interface >= sl_pcapng_interfaces(r) ||
            sl_pcapng_linktype(r, p.interface) != p.linktype)
            abort();
        volatile uint8_t sink = 0;
        for (uint32_t i = 0; i < p.caplen; i++)
            sink ^= p.data[i]; /* every byte is readable */
        (void)sink;
    }
    if (res == SL_PCAPNG_ERROR && !strstr(sl_pcapng_error(r), " at offset "))
        abort();
    if (sl_pcapng_next(r, &p) != res || sl_pcapng_offset(r) > size)
        abort();
    sl_pcapng_close(r);
    return 0;
}
