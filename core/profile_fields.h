/* The quantities of a device profile, one row each: what the parser
 * (profile.c), the printer (profile_format.c) and inheritance
 * (profile_base.c) all walk, so that adding a field is one row here.
 * Private to core/profile*.c. */
#ifndef TSR_PROFILE_FIELDS_H
#define TSR_PROFILE_FIELDS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/profile.h"

typedef enum tsr_quantity_kind {
    TSR_Q_INT,          /* integer in [min, max] */
    TSR_Q_POW2,         /* power of two in [min, max] */
    TSR_Q_VECTOR_WIDTH, /* 1, 2, 4, 8 or 16 */
    TSR_Q_NUMBER,       /* finite number in (min, max] */
    TSR_Q_TRIPLE,       /* three integers in [min, max], in three quantities */
    TSR_Q_SIZES,        /* 1 to TSR_MAX_SUBGROUP_SIZES powers of two in [min, max] */
} tsr_quantity_kind;

typedef struct tsr_profile_field {
    const char *key;
    bool required; /* unless the profile names a base */
    tsr_quantity_kind kind;
    double min, max;
    size_t offset; /* of the first tsr_quantity in tsr_profile */
} tsr_profile_field;

typedef struct tsr_profile_section {
    const char *name; /* "compute", "registers", "memory" */
    const tsr_profile_field *fields;
    size_t n_fields;
} tsr_profile_section;

/* compute, registers, memory: in the order a profile file has them. */
extern const tsr_profile_section tsr_profile_sections[3];

/* How many tsr_quantity slots a field of this kind takes. */
static inline size_t tsr_quantity_slots(tsr_quantity_kind kind)
{
    return kind == TSR_Q_TRIPLE ? 3 : kind == TSR_Q_SIZES ? TSR_MAX_SUBGROUP_SIZES : 1;
}

static inline tsr_quantity *tsr_profile_quantity(tsr_profile *p, const tsr_profile_field *f)
{
    return (tsr_quantity *)((char *)p + f->offset);
}

#endif
