/* The table of dialects; one row per dialect. */
#include <string.h>

#include "generators/dialects.h"

static const tsr_dialect *const dialect_table[] = {
    &tsr_dialect_opencl,
    &tsr_dialect_cuda,
    &tsr_dialect_hip,
};

const tsr_dialect *tsr_dialect_find(const char *name)
{
    for (size_t i = 0; i < sizeof dialect_table / sizeof dialect_table[0]; i++)
        if (strcmp(dialect_table[i]->name, name) == 0)
            return dialect_table[i];
    return NULL;
}

const char *tsr_dialect_names(void)
{
    return "opencl, cuda, hip";
}
