/* Fuzz target: the op-spec parser. Any input must be parsed or refused
 * with a message; a spec that parses has a key, a known op and at least
 * one shape within the op's dimensions. */
#include <stdint.h>
#include <stdlib.h>

#include "core/op.h"
#include "core/opspec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tsr_opspec *spec = NULL;
    tsr_error err = {{0}};
    if (tsr_opspec_parse("fuzz.yaml", (const char *)data, size, &spec, &err) != TSR_OK) {
        if (!err.msg[0])
            abort();
        return 0;
    }
    if (!spec->op || !tsr_opspec_key(spec) || spec->n_shapes < 1)
        abort();
    for (size_t i = 0; i < spec->n_shapes; i++)
        for (int d = 0; d < spec->op->n_dims; d++)
            if (spec->shapes[i].dim[d] < 1)
                abort();
    tsr_opspec_free(spec);
    return 0;
}
