#include "core/launch.h"

#include <stdio.h>

#include "core/op.h"
#include "core/strbuf.h"

void tsr_geometry_apply(const tsr_geometry_rule *rule, const tsr_shape *shape, tsr_geometry *out)
{
    out->dims = rule->dims;
    out->shared_bytes = rule->shared_bytes;
    out->workspace_bytes = rule->workspace_bytes;
    for (int a = 0; a < 3; a++) {
        out->local[a] = a < rule->dims ? rule->local[a] : 1;
        out->groups[a] = 1;
        if (a < rule->dims && rule->dim[a] >= 0) {
            long extent = shape->dim[rule->dim[a]];
            out->groups[a] = (size_t)((extent + rule->per_group[a] - 1) / rule->per_group[a]);
        }
        if (a < rule->dims && rule->repeat[a] > 1)
            out->groups[a] *= (size_t)rule->repeat[a];
        out->workspace_bytes *= out->groups[a];
    }
}

void tsr_geometry_rule_format(const tsr_op_def *op, const tsr_geometry_rule *rule, char *buf,
                              size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int a = 0; a < rule->dims; a++) {
        tsr_bufprintf(buf, size, &used, "%s", a ? "," : "");
        /* The prefix only for a repeat, so that a rule without one reads
         * as it did before axes could repeat. */
        if (rule->repeat[a] > 1)
            tsr_bufprintf(buf, size, &used, "%ld*", rule->repeat[a]);
        if (rule->dim[a] >= 0)
            tsr_bufprintf(buf, size, &used, "%s/%ldx%zu", op->dim_names[rule->dim[a]],
                          rule->per_group[a], rule->local[a]);
        else
            tsr_bufprintf(buf, size, &used, "1x%zu", rule->local[a]);
    }
    if (rule->shared_bytes)
        tsr_bufprintf(buf, size, &used, ",shared=%zu", rule->shared_bytes);
    if (rule->workspace_bytes)
        tsr_bufprintf(buf, size, &used, ",workspace=%zu", rule->workspace_bytes);
}

void tsr_op_geometry(const tsr_opspec *spec, const tsr_config *config, const tsr_shape *shape,
                     tsr_geometry *out)
{
    tsr_geometry_rule rule;
    spec->op->geometry_rule(spec, config, &rule);
    tsr_geometry_apply(&rule, shape, out);
}
