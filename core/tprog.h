/* The thread program: what lowering produces and generators print.
 *
 * A small C-shaped syntax tree of one kernel as seen by one thread: typed
 * variables and arrays in private or shared memory, loops, conditionals,
 * barriers, vector loads from global buffers, fma and math calls, and
 * integer index expressions. Nothing here is vendor syntax; a dialect table
 * (generators/) decides how each node is spelt. Nodes live in an arena. */
#ifndef TSR_TPROG_H
#define TSR_TPROG_H

#include <stdbool.h>

#include "core/arena.h"
#include "core/dtype.h"
#include "core/launch.h"

typedef enum tp_space { TP_PRIVATE, TP_SHARED } tp_space;

/* A kernel parameter: a global buffer or a scalar passed by value. */
typedef struct tp_param {
    const char *name;
    tsr_arg_kind kind;
    tsr_dtype dtype;
    bool writable; /* buffers only: written by the kernel */
} tp_param;

/* A variable, or an array of up to two dims, in private or shared memory. */
typedef struct tp_var {
    const char *name;
    tsr_dtype dtype;
    tp_space space;
    int n_dims; /* 0: scalar */
    int dims[2];
    int width;     /* vector lanes; 1 for scalars */
    bool is_const; /* assigned once at its declaration */
    /* Shared arrays: the bytes their start must be a multiple of, past the
     * 16 every one gets (0: those); such a kernel places its shared arrays
     * itself, in dynamic shared memory. */
    int align;
} tp_var;

typedef enum tp_builtin { TP_LOCAL_ID, TP_GROUP_ID, TP_LOCAL_SIZE, TP_NUM_GROUPS } tp_builtin;

typedef enum tp_binop {
    TP_ADD,
    TP_SUB,
    TP_MUL,
    TP_DIV,
    TP_MOD,
    TP_LT,
    TP_LE,
    TP_GT,
    TP_GE,
    TP_EQ,
    TP_NE,
    TP_AND,
    TP_OR,
    TP_MIN,
    TP_MAX,
    TP_XOR, /* bitwise, of non-negative integers */
} tp_binop;

/* Math the printers spell per dialect; then the sub-group calls. Every
 * thread of a sub-group must make a sub-group call together (never under a
 * condition that splits one). Their last argument is the sub-group width
 * the kernel assumes: CUDA and HIP combine aligned runs of that many
 * consecutive threads by xor-shuffles, so it must divide the hardware's
 * warp or wave; OpenCL asks the device instead (generators/ say how). */
typedef enum tp_func {
    TP_FMA,
    TP_EXP,
    /* (x): 2^x, for a softmax in base 2; within a few ulp, and results
     * below 2^-126 may be flushed to zero (CUDA takes the unit's
     * approximation, one instruction where exp2f needs four) */
    TP_EXP2,
    TP_FMAX,
    TP_FMIN,
    TP_SQRT,
    TP_TANH,
    TP_TO_F16,  /* (value): its f16 bits, rounded to nearest even, for 16-bit storage */
    TP_TO_BF16, /* (value): its bf16 bits likewise */
    /* (lo, hi): both rounded to f16 (bf16) and packed into 32 bits, lo in
     * the low half: a matrix-unit operand register */
    TP_PACK_F16X2,
    TP_PACK_BF16X2,
    /* (value): an f32 rounded to tf32 (to nearest, ties away from zero),
     * as the 32-bit operand register of a tf32 matrix unit */
    TP_TO_TF32,
    /* (buffer, bytes): whether the buffer's start is a multiple of `bytes`
     * (a power of two); one value for the whole kernel */
    TP_ALIGNED,
    /* (element, value): adds the int `value` to an element of an int
     * buffer (a TP_ELEM) atomically, device-wide, and gives its old value */
    TP_ATOMIC_ADD,
    /* (element, value): puts `value` there instead, likewise */
    TP_ATOMIC_XCHG,
    /* (value): the 32 bits of an f32, as an int; and back */
    TP_FLOAT_BITS,
    TP_BITS_FLOAT,
    /* (value): the low and the high 32 bits of an f64, each as an int;
     * and (high, low) back to the f64 */
    TP_DOUBLE_LO_BITS,
    TP_DOUBLE_HI_BITS,
    TP_BITS_DOUBLE,
    TP_SUBGROUP_SUM,   /* (value, width): the sub-group's sum, in every thread of it */
    TP_SUBGROUP_MAX,   /* (value, width): its max likewise */
    TP_SUBGROUP_ID,    /* (width): which sub-group of the work-group */
    TP_SUBGROUP_LANE,  /* (width): the thread's place in its sub-group */
    TP_SUBGROUP_SIZE,  /* (width): threads in each sub-group */
    TP_SUBGROUP_COUNT, /* (threads, width): sub-groups in a work-group of `threads` */
    /* (value, width): the sum (max) over the aligned run of `width`
     * consecutive threads the thread is in, in each of them; runs lie
     * within a warp or wave. Dialects without such shuffles cannot spell
     * them (OpenCL's sub-groups are the device's to form). */
    TP_RUN_SUM,
    TP_RUN_MAX,
    TP_FUNC_COUNT
} tp_func;

typedef enum tp_expr_kind {
    TP_INT,     /* integer constant */
    TP_FLOAT,   /* floating constant of `dtype` */
    TP_VAR,     /* a scalar variable */
    TP_PARAM,   /* a scalar kernel parameter */
    TP_BUILTIN, /* thread/group ids and sizes along `axis` */
    TP_BINARY,
    TP_CALL,        /* tp_func on args */
    TP_SELECT,      /* cond ? a : b */
    TP_ELEM,        /* array[index...] of a tp_var, or buffer[index] of a tp_param */
    TP_VLOAD,       /* `width` consecutive elements from buffer[index] or array[i][j]; as an
                       assignment's target, a vector store there */
    TP_SPLAT,       /* a scalar repeated in `width` lanes */
    TP_LANE,        /* lane `lane` of a vector-valued expression */
    TP_PLACEHOLDER, /* the element an element-wise template applies to (slot 0 in
                       ival), or another value it reads (slots 1..) */
} tp_expr_kind;

typedef struct tp_expr tp_expr;
struct tp_expr {
    tp_expr_kind kind;
    tsr_dtype dtype;       /* value type (TSR_I32 for index arithmetic) */
    int width;             /* vector lanes; 1 for scalars */
    long ival;             /* TP_INT */
    double fval;           /* TP_FLOAT */
    const tp_var *var;     /* TP_VAR, TP_ELEM of an array */
    const tp_param *param; /* TP_PARAM, TP_ELEM/TP_VLOAD of a buffer */
    tp_builtin builtin;
    int axis; /* TP_BUILTIN */
    int lane; /* TP_LANE */
    tp_binop op;
    tp_func func;
    int n_args;
    tp_expr *args[3]; /* operands, call args, select (cond, a, b), indices */
    /* TP_VLOAD of an array: its first element lies a multiple of `width`
     * elements from the array's start, which is aligned to 16 bytes, so a
     * dialect may move it in one wide access. Of a buffer, as the source of
     * an asynchronous copy: the lowering tested that its address is a
     * multiple of the vector's size, so the copy needs no test of its own. */
    bool aligned;
    /* TP_ELEM of a buffer of 16-bit floats: the stored bits as they are (an
     * unsigned 16-bit value, to be stored in an array of the same type),
     * not the value widened to f32. */
    bool raw;
};

typedef enum tp_stmt_kind {
    TP_DECL,   /* var [= init] */
    TP_ASSIGN, /* target = value, or target += value */
    TP_FOR,    /* for (int var = begin; var < end; var += step) */
    TP_IF,
    TP_BARRIER, /* all threads of the group; shared memory made consistent */
    /* The thread's writes to global memory before it are seen by every
     * thread of the device before those after it (and its reads after it
     * see what others wrote before theirs): with an atomic, how groups
     * hand each other results within one launch. */
    TP_GLOBAL_FENCE,
    TP_BLOCK,
    TP_COMMENT,
    /* One warp-wide matrix multiply-accumulate, m16n8k16 with f32
     * products (m16n8k8 for tf32 operands): every thread of the warp gives its share of the
     * operands in the unit's fragment layout (see core/lower_mma_sync.c) and must take part, never
     * under a condition that splits the warp. */
    TP_MMA_SYNC,
    /* Warp-wide too: `matrices` (1, 2 or 4) 8 x 8 matrices of 16-bit values
     * from a shared array into as many 32-bit registers (ldmatrix), lane
     * l giving the address of row l % 8 of matrix l / 8: the first of its 8
     * contiguous elements, 16-byte aligned. Each lane receives, of each
     * matrix, the pair at row l / 4, cols 2 (l % 4) and 2 (l % 4) + 1; or,
     * `trans`, at col l / 4, rows 2 (l % 4) and 2 (l % 4) + 1. */
    TP_LDMATRIX,
    /* Asynchronous copies (a TP_ASSIGN marked async) form a group of the
     * thread's at a commit; a wait returns once at most `pending` of its
     * groups are still in flight. A barrier after the wait then shows every
     * thread's copies to the group. */
    TP_ASYNC_COMMIT,
    TP_ASYNC_WAIT,
    /* One warpgroup-wide matrix multiply-accumulate, m64nNk16 with f32
     * products, asynchronous: all 128 threads of the warpgroup issue it
     * together with their N / 2 accumulators (core/lower_wgmma.c has the
     * layout), reading A and B from shared arrays in the 128-byte swizzle
     * (tsr_tile.swizzled) from the elements operands[N / 2] and [N / 2 +
     * 1]. It adds to the accumulators, or
     * where operands[N / 2 + 2] (an int, when present) is 0 overwrites
     * them. They may be touched again only after a TP_WGMMA_WAIT that
     * covers its group. */
    TP_WGMMA,
    TP_WGMMA_FENCE,  /* before the first TP_WGMMA that reads registers written since */
    TP_WGMMA_COMMIT, /* the warpgroup's TP_WGMMAs since the last commit form one group */
    TP_WGMMA_WAIT,   /* until at most `pending` of the warpgroup's groups are in flight */
    /* Orders the thread's writes to shared memory before the asynchronous
     * reads of a TP_WGMMA (which a barrier then orders for the group). */
    TP_ASYNC_PROXY_FENCE,
    /* Like TP_BARRIER, for the thread's warpgroup of 128 (threads numbered
     * x fastest) alone: each warpgroup meets at a hardware barrier of its
     * own, 1 + its index. */
    TP_WARPGROUP_BARRIER,
    /* Pins the variables operands[0 .. matrices - 1] to their registers
     * here: the compiler neither moves nor copies them across it, so that
     * accumulators a TP_WGMMA is still writing are left alone. */
    TP_REGISTER_FENCE,
    /* One wave-wide matrix multiply-accumulate on AMD's units, 16x16x16
     * with f32 products: MFMA on 64 lanes, WMMA on 32. Every lane of the
     * wave gives its share of the operands in the unit's layout (see
     * core/lower_wave_units.c) and must take part, never under a
     * condition that splits the wave. */
    TP_MFMA,
    TP_WMMA,
    /* One sub-group-wide matrix multiply-accumulate on Intel's unit, DPAS
     * 8 x S x 16 with f32 products, S the sub-group size: likewise every
     * work-item of the sub-group takes part. */
    TP_DPAS,
} tp_stmt_kind;

/* TP_MMA_SYNC's operands, in order: the four f32 accumulators (updated in
 * place); then A's four and B's two registers of the unit's fragments,
 * 32-bit variables (TSR_I32) that hold two 16-bit values each, as
 * TP_LDMATRIX loads them, or one tf32 value each (TP_TO_TF32). */
enum { TP_MMA_ACC = 4, TP_MMA_A = 4, TP_MMA_B = 2, TP_MMA_OPERANDS = 10 };
/* TP_MFMA's operands, in order: the four f32 accumulators (updated in
 * place); then A's four and B's four 16-bit values, as stored (f16 or
 * bf16 bits, the type in mma_type), consecutive in k. */
enum { TP_MFMA_ACC = 4, TP_MFMA_A = 4, TP_MFMA_B = 4, TP_MFMA_OPERANDS = 12 };
/* TP_WMMA's likewise: eight accumulators, then A's and B's sixteen values
 * each, k 0 .. 15. */
enum { TP_WMMA_ACC = 8, TP_WMMA_A = 16, TP_WMMA_B = 16, TP_WMMA_OPERANDS = 40 };
/* TP_DPAS's likewise: eight accumulators (rows 0 .. 7), then A's values,
 * sixteen at sub-groups of 8 (rows 0 .. 7, two of k each) or eight at
 * sub-groups of 16 (rows 0 .. 7, one of k), then B's sixteen (k 0 .. 15). */
enum { TP_DPAS_ACC = 8, TP_DPAS_B = 16, TP_DPAS_MOST_OPERANDS = 40 };
static inline int tp_dpas_a_values(int subgroup)
{
    return subgroup == 8 ? 16 : 8;
}

/* TP_WGMMA's shape and its operands' layouts, A's first: N; whether A
 * (B) is stored M-major (N-major), its rows running along m (n) rather
 * than k; and the leading and stride byte offsets of its shared-memory
 * matrix descriptor (PTX ISA, "Matrix Descriptor Format"), of operands in
 * the 128-byte swizzle (tsr_tile.swizzled). */
typedef struct tp_wgmma_shape {
    int n;
    bool predicated; /* a third operand says whether it accumulates */
    bool mn_major[2];
    int leading[2], stride[2];
} tp_wgmma_shape;

typedef struct tp_stmt tp_stmt;
typedef struct tp_block {
    tp_stmt **items;
    int count, cap;
} tp_block;

struct tp_stmt {
    tp_stmt_kind kind;
    const tp_var *var; /* TP_DECL, TP_FOR induction variable */
    tp_expr *init;     /* TP_DECL */
    tp_expr *target;   /* TP_ASSIGN: TP_VAR or TP_ELEM */
    tp_expr *value;    /* TP_ASSIGN */
    bool accumulate;   /* TP_ASSIGN: += */
    /* TP_ASSIGN of a vector from global memory (a TP_VLOAD) to a shared
     * array (an aligned TP_VLOAD) by an asynchronous copy, which completes
     * at a TP_ASYNC_WAIT. */
    bool async;
    int pending;                 /* TP_ASYNC_WAIT */
    tp_expr *begin, *end, *step; /* TP_FOR */
    int unroll;            /* TP_FOR: 0 leave to the compiler, 1 never, n > 1 by n, -1 fully */
    tp_expr *cond;         /* TP_IF */
    tp_block body;         /* TP_FOR, TP_IF then, TP_BLOCK */
    tp_block orelse;       /* TP_IF else */
    const char *text;      /* TP_COMMENT */
    tsr_dtype mma_type;    /* TP_MMA_SYNC, TP_MFMA, TP_WMMA: the inputs' type */
    tp_expr **operands;    /* TP_MMA_SYNC: TP_MMA_OPERANDS of them; TP_MFMA,
                              TP_WMMA: TP_MFMA_OPERANDS, TP_WMMA_OPERANDS;
                              TP_LDMATRIX: the
                              registers, then the lane's row address (an element) */
    int matrices;          /* TP_LDMATRIX */
    int subgroup;          /* TP_DPAS: the sub-group size, 8 or 16 */
    bool trans;            /* TP_LDMATRIX */
    tp_wgmma_shape *wgmma; /* TP_WGMMA */
    /* TP_MMA_SYNC on doubles: spelled as four m8n8k4 (sm_80's unit), the
     * same registers, rather than one m16n8k8 (sm_90's). */
    bool mma_k4;
};

/* One kernel: its name, parameters, fixed work-group size and body. */
typedef struct tp_kernel {
    const char *name;
    int n_params;
    tp_param *params;
    int dims;
    int local[3]; /* the work-group size the kernel requires */
    /* The sub-group size it requires (Intel's matrix unit, whose operands
     * are laid out across a sub-group of that size); 0: any. */
    int subgroup_size;
    tp_block body;
} tp_kernel;

/* Builders. All allocate from the arena and return NULL when it is out of
 * memory; a NULL operand yields NULL, so a chain is checked once at the end. */
typedef struct tp_builder {
    tsr_arena *arena;
    bool failed; /* latched on any allocation failure */
} tp_builder;

tp_expr *tp_int(tp_builder *b, long value);
tp_expr *tp_float(tp_builder *b, tsr_dtype dtype, double value);
tp_expr *tp_ref(tp_builder *b, const tp_var *var);
tp_expr *tp_param_ref(tp_builder *b, const tp_param *param);
tp_expr *tp_builtin_ref(tp_builder *b, tp_builtin which, int axis);
tp_expr *tp_bin(tp_builder *b, tp_binop op, tp_expr *lhs, tp_expr *rhs);
tp_expr *tp_call(tp_builder *b, tp_func func, int n_args, tp_expr *a0, tp_expr *a1, tp_expr *a2);
tp_expr *tp_select(tp_builder *b, tp_expr *cond, tp_expr *then, tp_expr *otherwise);
tp_expr *tp_elem(tp_builder *b, const tp_var *array, tp_expr *i0, tp_expr *i1);
tp_expr *tp_buf(tp_builder *b, const tp_param *buffer, tp_expr *index);
/* buffer[index] as stored (see tp_expr.raw). */
tp_expr *tp_buf_raw(tp_builder *b, const tp_param *buffer, tp_expr *index);
tp_expr *tp_vload(tp_builder *b, const tp_param *buffer, tp_expr *index, int width);
/* `width` values of a buffer of 16-bit floats from index, as stored. */
tp_expr *tp_vload_raw(tp_builder *b, const tp_param *buffer, tp_expr *index, int width);
tp_expr *tp_vload_array(tp_builder *b, const tp_var *array, tp_expr *i0, tp_expr *i1, int width);
tp_expr *tp_splat(tp_builder *b, tp_expr *scalar, int width);
tp_expr *tp_lane(tp_builder *b, tp_expr *vector, int lane);
tp_expr *tp_placeholder(tp_builder *b, tsr_dtype dtype);
/* A placeholder for slot `slot` > 0: a second value a template reads, such
 * as the column's element of a per-column vector (see tsr_stmt.operands). */
tp_expr *tp_placeholder_slot(tp_builder *b, tsr_dtype dtype, int slot);

/* Integer arithmetic that folds constants, so that printed index
 * expressions stay short ("tx * 4 + 1", not "(tx * 4 + 0 * 1) + 1"). */
tp_expr *tp_add(tp_builder *b, tp_expr *lhs, tp_expr *rhs);
tp_expr *tp_mul(tp_builder *b, tp_expr *lhs, tp_expr *rhs);
tp_expr *tp_addi(tp_builder *b, tp_expr *lhs, long rhs);
tp_expr *tp_muli(tp_builder *b, tp_expr *lhs, long rhs);

/* Replaces every TP_PLACEHOLDER of slot 0 of a template with `value` (a
 * deep copy). */
tp_expr *tp_substitute(tp_builder *b, const tp_expr *template_expr, tp_expr *value);
/* The same for slots 0..n_values-1, slot k by values[k]; placeholders of
 * other slots are copied as they are. */
tp_expr *tp_substitute_slots(tp_builder *b, const tp_expr *template_expr, tp_expr *const *values,
                             int n_values);

tp_var *tp_new_var(tp_builder *b, const char *name, tsr_dtype dtype, tp_space space, int n_dims,
                   int dim0, int dim1);

tp_stmt *tp_decl(tp_builder *b, tp_block *block, const tp_var *var, tp_expr *init);
tp_stmt *tp_assign(tp_builder *b, tp_block *block, tp_expr *target, tp_expr *value);
tp_stmt *tp_accumulate(tp_builder *b, tp_block *block, tp_expr *target, tp_expr *value);
/* Returns the loop; append to its body. */
tp_stmt *tp_for(tp_builder *b, tp_block *block, const tp_var *var, tp_expr *begin, tp_expr *end,
                tp_expr *step, int unroll);
tp_stmt *tp_if(tp_builder *b, tp_block *block, tp_expr *cond);
tp_stmt *tp_barrier(tp_builder *b, tp_block *block);
tp_stmt *tp_global_fence(tp_builder *b, tp_block *block);
tp_stmt *tp_comment(tp_builder *b, tp_block *block, const char *text);
/* A nested { } scope, so that lowering can reuse local names. */
tp_stmt *tp_scope(tp_builder *b, tp_block *block);
/* A TP_MMA_SYNC of `type` on operands[TP_MMA_OPERANDS] (copied). */
tp_stmt *tp_mma_sync(tp_builder *b, tp_block *block, tsr_dtype type, tp_expr *const *operands);
/* TP_MFMA_OPERANDS (TP_WMMA_OPERANDS) operands, as TP_MFMA (TP_WMMA) says. */
tp_stmt *tp_mfma(tp_builder *b, tp_block *block, tsr_dtype type, tp_expr *const *operands);
tp_stmt *tp_wmma(tp_builder *b, tp_block *block, tsr_dtype type, tp_expr *const *operands);
/* TP_DPAS's operands at a sub-group of `subgroup`. */
tp_stmt *tp_dpas(tp_builder *b, tp_block *block, tsr_dtype type, int subgroup,
                 tp_expr *const *operands);
/* An asynchronous copy of the vector `value` (a global TP_VLOAD) into
 * `target` (an aligned TP_VLOAD of a shared array); a commit; a wait. */
tp_stmt *tp_async_copy(tp_builder *b, tp_block *block, tp_expr *target, tp_expr *value);
tp_stmt *tp_async_commit(tp_builder *b, tp_block *block);
tp_stmt *tp_async_wait(tp_builder *b, tp_block *block, int pending);
/* A TP_LDMATRIX of `matrices` into the variables dst[] from the shared
 * element `row` (see TP_LDMATRIX). */
tp_stmt *tp_ldmatrix(tp_builder *b, tp_block *block, int matrices, bool trans,
                     const tp_var *const *dst, tp_expr *row);

/* A TP_WGMMA of `type` (f16 or bf16) on the accumulator variables acc[n /
 * 2] from the core matrices at the shared elements a0 and b0, adding to
 * them where `accumulate` is NULL or nonzero. */
tp_stmt *tp_wgmma(tp_builder *b, tp_block *block, tsr_dtype type, const tp_wgmma_shape *shape,
                  const tp_var *const *acc, tp_expr *a0, tp_expr *b0, tp_expr *accumulate);
/* A TP_REGISTER_FENCE of the variables vars[count]. */
tp_stmt *tp_register_fence(tp_builder *b, tp_block *block, const tp_var *const *vars, int count);
/* TP_WGMMA_FENCE, _COMMIT, _WAIT and TP_ASYNC_PROXY_FENCE. */
tp_stmt *tp_sync(tp_builder *b, tp_block *block, tp_stmt_kind kind, int pending);

bool tp_is_int(const tp_expr *e, long value);
/* The sub-group width the kernel's sub-group calls assume (their last
 * argument); 0 when it makes none. */
int tp_subgroup_width(const tp_kernel *kernel);

#endif
