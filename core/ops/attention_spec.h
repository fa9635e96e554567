/* attention's part of the op spec (core/opspec.c hands it over): its
 * section and its store key. */
#ifndef TSR_ATTENTION_SPEC_H
#define TSR_ATTENTION_SPEC_H

#include "core/opspec.h"
#include "core/yaml_doc.h"

/* The `attention:` section into spec->attention; errors name
 * FILE:LINE:COL. */
tsr_status tsr_attention_parse(tsr_yaml_doc *doc, yaml_node_t *node, tsr_opspec *spec);
/* The store key (see tsr_opspec_key), in the spec's arena. */
const char *tsr_attention_key(const tsr_opspec *spec);
/* The scale the scores are multiplied by: the spec's, else
 * 1 / sqrt(head_dim). */
double tsr_attention_scale(const tsr_opspec *spec);

#endif
