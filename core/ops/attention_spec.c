/* attention's section of the op spec and its store key: the constants the
 * kernel is compiled for (core/opspec.h's tsr_attention). */
#include "core/ops/attention_spec.h"

#include <math.h>
#include <string.h>

#include "core/op.h"

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))
#define REQ(k) ((uint64_t)1 << (k))

static const char *const layout_names[] = {"bhsd", "bshd"};

/* head_dim (required) is a multiple of 16 up to 256: the matrix unit's k
 * step, and as much of a row as a work-group's tiles hold. */
tsr_status tsr_attention_parse(tsr_yaml_doc *doc, yaml_node_t *node, tsr_opspec *spec)
{
    static const char *const keys[] = {"head_dim", "causal", "layout", "scale"};
    tsr_yaml_field f[COUNT(keys)];
    tsr_attention *att = &spec->attention;
    TSR_TRY(tsr_yaml_fields(doc, node, "attention", keys, COUNT(keys), REQ(0), f));
    long long head_dim;
    TSR_TRY(tsr_yaml_int(doc, f[0].value, "attention.head_dim", 16, 256, &head_dim));
    if (head_dim % 16)
        return tsr_yaml_fail(doc, f[0].value,
                             "attention.head_dim: %lld is not a multiple of 16 (64 and 128 are "
                             "the common ones)",
                             head_dim);
    att->head_dim = (int)head_dim;
    if (f[1].value)
        TSR_TRY(tsr_yaml_bool(doc, f[1].value, "attention.causal", &att->causal));
    if (f[2].value) {
        int layout;
        TSR_TRY(tsr_yaml_enum(doc, f[2].value, "attention.layout", layout_names,
                              COUNT(layout_names), &layout));
        att->seq_major = layout == 1;
    }
    if (f[3].value)
        TSR_TRY(tsr_yaml_number(doc, f[3].value, "attention.scale", 0.0, true, 1e6, &att->scale));
    return TSR_OK;
}

/* The scale is a kernel argument and not part of the key. */
const char *tsr_attention_key(const tsr_opspec *spec)
{
    const tsr_attention *att = &spec->attention;
    return tsr_arena_printf(spec->arena, "attention.%s.d=%d%s%s", tsr_dtype_name(spec->dtype),
                            att->head_dim, att->causal ? ".causal=1" : "",
                            att->seq_major ? ".layout=bshd" : "");
}

double tsr_attention_scale(const tsr_opspec *spec)
{
    return spec->attention.scale > 0 ? spec->attention.scale
                                     : 1.0 / sqrt((double)spec->attention.head_dim);
}
