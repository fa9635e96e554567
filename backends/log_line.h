/* Compiler logs as one line (private to backends/): every backend reports a
 * build failure in one line, whatever its compiler printed. */
#ifndef TSR_LOG_LINE_H
#define TSR_LOG_LINE_H

#include <stddef.h>

/* The first lines of a build log on one line: blank lines and the caret
 * lines under source excerpts dropped, whitespace runs squeezed, lines
 * joined with " | ", cut with "..." when `out` is full. */
void tsr_squeeze_log(const char *log, char *out, size_t size);

#endif
