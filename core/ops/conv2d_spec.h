/* conv2d's part of the op spec (core/opspec.c hands it over): its section,
 * its store key and the rules its shapes obey. */
#ifndef TSR_CONV2D_SPEC_H
#define TSR_CONV2D_SPEC_H

#include <stdbool.h>
#include <stddef.h>

#include "core/opspec.h"
#include "core/yaml_doc.h"

/* The `conv2d:` section into spec->conv (and the activation and output
 * type); errors name FILE:LINE:COL. */
tsr_status tsr_conv2d_parse(tsr_yaml_doc *doc, yaml_node_t *node, tsr_opspec *spec);
/* The store key (see tsr_opspec_key), in the spec's arena. */
const char *tsr_conv2d_key(const tsr_opspec *spec);
/* For a conv2d spec: whether the shape's channels split into the groups,
 * the filter fits the padded image and X, W and Y stay below 2^31
 * elements; false with the reason in `why`. True for other ops. */
bool tsr_conv2d_shape_fits(const tsr_opspec *spec, const tsr_shape *shape, char *why, size_t size);

#endif
