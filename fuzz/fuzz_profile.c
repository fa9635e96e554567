/* Fuzz target: the device-profile parser. Any input must be parsed or
 * refused with a message; one that parses must print (tsr_profile_format)
 * as a profile that parses again to the same text. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tsr_profile *p = NULL;
    tsr_error err = {{0}};
    if (tsr_profile_parse("fuzz.yaml", (const char *)data, size, &p, &err) != TSR_OK) {
        if (!err.msg[0])
            abort(); /* refused, but without saying why */
        return 0;
    }
    char *text = tsr_profile_format(p);
    tsr_profile *again = NULL;
    if (!text || tsr_profile_parse("again.yaml", text, strlen(text), &again, &err) != TSR_OK) {
        fprintf(stderr, "a parsed profile does not read back: %s\n", err.msg);
        abort();
    }
    char *text2 = tsr_profile_format(again);
    /* The first line names the file it was read from; the rest must agree. */
    if (!text2 || strcmp(strchr(text, '\n'), strchr(text2, '\n')) != 0) {
        fprintf(stderr, "a profile prints differently after a round trip\n");
        abort();
    }
    free(text);
    free(text2);
    tsr_profile_free(again);
    tsr_profile_free(p);
    return 0;
}
