/* The progress line for reading capture files at a terminal: bytes read of
 * the total, packets per second and the time left, redrawn in place on
 * stderr at most 4 times a second and erased at the end. Callers create it
 * only when stderr is a terminal and the user did not ask for quiet. */
#ifndef SIPSLEUTH_PROGRESS_H
#define SIPSLEUTH_PROGRESS_H

#include <stdint.h>
#include <stdio.h>

typedef struct sl_progress sl_progress;

/* total: bytes of all input files, or -1 when unknown (stdin, a pipe): then
 * no percentage and no ETA. NULL when out of memory. */
sl_progress *sl_progress_new(FILE *f, int64_t total);
/* One frame read. offset: bytes of input consumed so far (all files), or -1
 * when the position cannot be known; then frame_bytes (the record as read)
 * are added up instead. */
void sl_progress_frame(sl_progress *p, int64_t offset, size_t frame_bytes);
/* Erases the line. */
void sl_progress_free(sl_progress *p);

#endif
