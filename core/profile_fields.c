/* The rows of every profile section (see profile_fields.h). */
#include "core/profile_fields.h"

#define AT(field) offsetof(tsr_profile, field)
#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

static const tsr_profile_field compute_fields[] = {
    {"units", true, TSR_Q_INT, 1, 100000, AT(compute_units)},
    {"simd_width", true, TSR_Q_POW2, 1, 128, AT(simd_width)},
    {"max_work_group_size", true, TSR_Q_INT, 1, 65536, AT(max_work_group_size)},
    {"max_work_item_sizes", false, TSR_Q_TRIPLE, 1, 2147483647, AT(max_work_item_sizes)},
    {"clock_base_mhz", false, TSR_Q_INT, 1, 10000, AT(clock_base_mhz)},
    {"clock_boost_mhz", false, TSR_Q_INT, 1, 10000, AT(clock_boost_mhz)},
    {"preferred_vector_width", false, TSR_Q_VECTOR_WIDTH, 1, 16, AT(preferred_vector_width)},
    {"max_threads_per_unit", false, TSR_Q_INT, 1, 1000000, AT(max_threads_per_unit)},
    {"max_blocks_per_unit", false, TSR_Q_INT, 1, 4096, AT(max_blocks_per_unit)},
    {"subgroup_sizes", false, TSR_Q_SIZES, 1, 128, AT(subgroup_sizes)},
    {"launch_latency_us", false, TSR_Q_NUMBER, 0, 1e6, AT(launch_latency_us)},
};

static const tsr_profile_field register_fields[] = {
    {"per_unit", false, TSR_Q_INT, 1, 1e7, AT(registers_per_unit)},
    {"per_thread", false, TSR_Q_INT, 1, 1024, AT(registers_per_thread)},
    {"allocation_granularity", false, TSR_Q_INT, 1, 1024, AT(register_granularity)},
};

static const tsr_profile_field memory_fields[] = {
    {"shared_per_block", true, TSR_Q_INT, 0, 1e9, AT(shared_per_block)},
    {"shared_per_block_optin", false, TSR_Q_INT, 0, 1e9, AT(shared_per_block_optin)},
    {"shared_per_unit", false, TSR_Q_INT, 0, 1e9, AT(shared_per_unit)},
    {"global_bytes", false, TSR_Q_INT, 1, 1e15, AT(global_bytes)},
    {"l1_bytes", false, TSR_Q_INT, 0, 1e9, AT(l1_bytes)},
    {"l2_bytes", false, TSR_Q_INT, 0, 1e12, AT(l2_bytes)},
    {"bandwidth_gbs", false, TSR_Q_NUMBER, 0, 1e6, AT(bandwidth_gbs)},
    {"shared_bandwidth_gbs", false, TSR_Q_NUMBER, 0, 1e7, AT(shared_bandwidth_gbs)},
};

const tsr_profile_section tsr_profile_sections[3] = {
    {"compute", compute_fields, COUNT(compute_fields)},
    {"registers", register_fields, COUNT(register_fields)},
    {"memory", memory_fields, COUNT(memory_fields)},
};
