/* Compiler logs as one line, for errors that must fit on one. */
#include "backends/log_line.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

enum { LOG_MAX_LINES = 8 };

static bool is_caret_line(const char *line, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!strchr(" \t^~", line[i]))
            return false;
    return true;
}

/* The first lines of a build log on one line: blank lines and the caret
 * lines under source excerpts dropped (their alignment is lost anyway),
 * whitespace runs squeezed, lines joined with " | ". */
void tsr_squeeze_log(const char *log, char *out, size_t size)
{
    size_t used = 0;
    int lines = 0;
    out[0] = '\0';
    for (const char *line = log; *line && lines < LOG_MAX_LINES;) {
        size_t len = strcspn(line, "\n");
        if (len > 0 && !is_caret_line(line, len)) {
            if (lines > 0 && used + 3 < size)
                used += (size_t)snprintf(out + used, size - used, " | ");
            bool space = true; /* drops leading blanks */
            for (size_t i = 0; i < len && used + 1 < size; i++) {
                bool blank = line[i] == ' ' || line[i] == '\t' || line[i] == '\r';
                if (!(blank && space))
                    out[used++] = blank ? ' ' : line[i];
                space = blank;
            }
            while (used > 0 && out[used - 1] == ' ')
                used--;
            out[used] = '\0';
            lines++;
        }
        line += len;
        if (*line == '\n')
            line++;
    }
    if (used + 1 >= size && size > 4)
        memcpy(out + size - 4, "...", 4);
}
