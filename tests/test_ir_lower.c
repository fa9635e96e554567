/* The tile programs the ops build, the constraints that refuse configs,
 * the search space, configs and geometry as text, and the checks of
 * lowering and printing. No device is needed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ir.h"
#include "core/lower.h"
#include "core/op.h"
#include "core/opspec.h"
#include "core/profile.h"
#include "core/space.h"
#include "generators/generator.h"
#include "tests/check.h"
#include "tests/check_profile.h"

/* ---- fixtures ------------------------------------------------------------------ */

static tsr_opspec *parse_spec(const char *text)
{
    tsr_opspec *spec = NULL;
    tsr_error err = {{0}};
    CHECK_MSG(tsr_opspec_parse("t.yaml", text, strlen(text), &spec, &err) == TSR_OK, "%s", err.msg);
    return spec;
}

static tsr_opspec *gemm_spec(const char *a, const char *b, double beta)
{
    char text[512];
    snprintf(text, sizeof text,
             "schema: 1\nname: g\nop: gemm\ndtype: f32\n"
             "gemm: {a: %s, b: %s, alpha: 1.0, beta: %g}\n"
             "shapes:\n  - {m: 7, n: 13, k: 17}\n",
             a, b, beta);
    return parse_spec(text);
}

static tsr_opspec *softmax_spec(void)
{
    return parse_spec("schema: 1\nname: s\nop: softmax\ndtype: f32\n"
                      "shapes:\n  - {rows: 3, cols: 5}\n");
}

/* A profile with the three limits the constraints read. */
static tsr_profile *small_profile(int max_threads, int shared_bytes, int registers)
{
    char text[1024];
    snprintf(text, sizeof text,
             "schema: 1\nname: small\ndescription: \"made by the test\"\nvendor: v\narch: a\n"
             "compute:\n"
             "  units: {value: 1, source: \"test\"}\n"
             "  simd_width: {value: 8, source: \"test\"}\n"
             "  max_work_group_size: {value: %d, source: \"test\"}\n"
             "registers:\n  per_thread: {value: %d, source: \"test\"}\n"
             "memory:\n  shared_per_block: {value: %d, source: \"test\"}\n"
             "backends: [opencl]\n",
             max_threads, registers, shared_bytes);
    tsr_profile *profile = NULL;
    tsr_error err = {{0}};
    CHECK_MSG(tsr_profile_parse("small.yaml", text, strlen(text), &profile, &err) == TSR_OK, "%s",
              err.msg);
    return profile;
}

static int param_index(const tsr_op_def *op, const char *name)
{
    for (int i = 0; i < op->n_params; i++)
        if (strcmp(op->params[i].name, name) == 0)
            return i;
    fprintf(stderr, "op %s has no param %s\n", op->name, name);
    abort();
}

/* Sets params from "K=V,..." directly, so that a test can also write values
 * the param does not list (the constraints must still refuse them). */
static tsr_config config_of(const tsr_op_def *op, const char *text)
{
    tsr_config config;
    tsr_config_default(op, &config);
    char copy[256];
    snprintf(copy, sizeof copy, "%s", text);
    for (char *save = NULL, *item = strtok_r(copy, ",", &save); item;
         item = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(item, '=');
        *eq = '\0';
        config.value[param_index(op, item)] = atoi(eq + 1);
    }
    return config;
}

/* check() refuses `config_text` (over the op's defaults) for the spec on
 * the profile, with a message holding `why`. */
static void expect_refused(const tsr_opspec *spec, const tsr_profile *profile,
                           const char *config_text, const char *why)
{
    tsr_config config = config_of(spec->op, config_text);
    tsr_error err = {{0}};
    CHECK_MSG(spec->op->check(spec, profile, &config, &err) == TSR_ERR_UNSUPPORTED, "%s: %s",
              config_text, why);
    CHECK_STR_CONTAINS(err.msg, why);
}

/* Accepted on the small profile in every layout; the refusals below each
 * change one or two params of it. */
#define BASE "BM=32,BN=32,BK=8,TM=4,TN=4,VW=4,SA=1,SB=1,PAD=0,STRM=0,STRN=1,KU=4"

static const tsr_tile *shared_tile_of(const tsr_tile_program *p, bool transposed)
{
    for (int i = 0; i < p->n_tiles; i++)
        if (p->tiles[i]->space == TSR_SPACE_SHARED && p->tiles[i]->transposed == transposed)
            return p->tiles[i];
    return NULL;
}

static int count_kind(const tsr_stmt_list *list, tsr_stmt_kind kind)
{
    int n = 0;
    for (int i = 0; i < list->count; i++) {
        n += list->items[i]->kind == kind;
        if (list->items[i]->kind == TSR_S_LOOP)
            n += count_kind(&list->items[i]->body, kind);
    }
    return n;
}

static int index_of(const tsr_stmt_list *list, tsr_stmt_kind kind, int from)
{
    for (int i = from; i < list->count; i++)
        if (list->items[i]->kind == kind)
            return i;
    return -1;
}

static char *dump(const tsr_tile_program *p)
{
    tsr_strbuf sb;
    tsr_strbuf_init(&sb);
    tsr_ir_format(p, &sb);
    return tsr_strbuf_take(&sb);
}

/* A tile program built by an op on a roomy profile, and what owns it. */
typedef struct built {
    tsr_opspec *spec;
    tsr_profile *profile;
    tsr_arena *arena;
    tsr_tile_program *p;
} built;

static bool build(built *b, tsr_opspec *spec, const char *config_text)
{
    *b = (built){
        .spec = spec, .profile = small_profile(4096, 1 << 20, 255), .arena = tsr_arena_create()};
    if (!spec || !b->profile || !b->arena)
        return false;
    tsr_config config = config_of(spec->op, config_text);
    tsr_error err = {{0}};
    CHECK_MSG(spec->op->build(b->arena, spec, b->profile, &config, &b->p, &err) == TSR_OK, "%s",
              err.msg);
    return b->p != NULL;
}

/* The launch rule of `config_text` for b's spec, and its text. */
static tsr_geometry_rule rule_of(const built *b, const char *config_text, char *text, size_t size)
{
    tsr_config config = config_of(b->spec->op, config_text);
    tsr_geometry_rule rule;
    b->spec->op->geometry_rule(b->spec, &config, &rule);
    tsr_geometry_rule_format(b->spec->op, &rule, text, size);
    return rule;
}

static void built_free(built *b)
{
    tsr_arena_destroy(b->arena);
    tsr_profile_free(b->profile);
    tsr_opspec_free(b->spec);
}

/* ---- GEMM tile program ----------------------------------------------------------- */

static void staged_gemm_has_shared_tiles_a_k_loop_with_barriers_and_a_store(void)
{
    built b;
    if (!build(&b, gemm_spec("row", "row", 0.0), "BM=64,BN=32,BK=16,TM=4,TN=2,VW=4,SA=1,SB=1,KU=4"))
        goto out;
    const tsr_tile_program *p = b.p;
    /* The third axis picks the problem of a batch. */
    CHECK(p->dims == 3 && p->local[0] == 32 / 2 && p->local[1] == 64 / 4 && p->local[2] == 1);
    const tsr_tile *as = shared_tile_of(p, true), *bs = shared_tile_of(p, false);
    CHECK(as && as->rows == 64 && as->cols == 16); /* BM x BK, stored k-major */
    CHECK(bs && bs->rows == 16 && bs->cols == 32); /* BK x BN */
    bool acc_found = false;
    for (int i = 0; i < p->n_tiles; i++)
        acc_found |= p->tiles[i]->space == TSR_SPACE_REGISTER && p->tiles[i]->rows == 4 &&
                     p->tiles[i]->cols == 2;
    CHECK(acc_found);

    int loop_at = index_of(&p->body, TSR_S_LOOP, 0);
    CHECK(loop_at >= 0 && index_of(&p->body, TSR_S_LOOP, loop_at + 1) < 0); /* no tail loop */
    if (loop_at < 0)
        goto out;
    CHECK(tp_is_int(p->body.items[loop_at]->step, 16));
    const tsr_stmt_list *body = &p->body.items[loop_at]->body;
    int load_a = index_of(body, TSR_S_LOAD, 0), load_b = index_of(body, TSR_S_LOAD, load_a + 1);
    int mma = index_of(body, TSR_S_MMA, 0);
    CHECK(count_kind(body, TSR_S_LOAD) == 2 && count_kind(body, TSR_S_MMA) == 1);
    CHECK(load_a >= 0 && load_b > load_a && mma > load_b);
    if (load_b < 0 || mma < 0)
        goto out;
    CHECK(body->items[load_a]->tile == as && body->items[load_b]->tile == bs);
    CHECK(!strcmp(body->items[load_a]->view->buffer->name, "A"));
    CHECK(!strcmp(body->items[load_b]->view->buffer->name, "B"));
    CHECK(body->items[load_a]->vector_width == 4);
    /* every thread must see both tiles before the mma, and finish it before
     * the next step overwrites them */
    int before = index_of(body, TSR_S_BARRIER, load_b);
    CHECK(before > load_b && before < mma);
    CHECK(index_of(body, TSR_S_BARRIER, mma) > mma);
    const tsr_stmt *m = body->items[mma];
    CHECK(m->a.tile == as && m->b.tile == bs && m->k_count == 16 && m->k_unroll == 4);
    CHECK(m->map.threads_rows == 16 && m->map.threads_cols == 16);

    int store_at = index_of(&p->body, TSR_S_STORE, loop_at);
    CHECK(store_at > loop_at);
    if (store_at > loop_at) {
        const tsr_stmt *s = p->body.items[store_at];
        CHECK(!strcmp(s->view->buffer->name, "C") && s->tile == m->tile);
        CHECK(s->alpha && s->beta == NULL); /* beta = 0: C is never read */
    }
    char *text = dump(p);
    CHECK_STR_CONTAINS(text, "barrier");
    CHECK_STR_CONTAINS(text, "transposed");
    free(text);
out:
    built_free(&b);
}

static void direct_gemm_has_no_shared_tiles_no_barrier_and_a_tail_loop(void)
{
    built b;
    if (!build(&b, gemm_spec("col", "row", 0.0), "SA=0,SB=0,VW=1,PAD=0,BK=8,KU=2"))
        goto out;
    const tsr_tile_program *p = b.p;
    for (int i = 0; i < p->n_tiles; i++)
        CHECK(p->tiles[i]->space != TSR_SPACE_SHARED);
    CHECK(count_kind(&p->body, TSR_S_BARRIER) == 0);
    CHECK(count_kind(&p->body, TSR_S_LOAD) == 0);
    int main_loop = index_of(&p->body, TSR_S_LOOP, 0);
    int tail = index_of(&p->body, TSR_S_LOOP, main_loop + 1);
    CHECK(main_loop >= 0 && tail > main_loop);
    if (tail < 0)
        goto out;
    const tsr_stmt *steps = p->body.items[main_loop], *rest = p->body.items[tail];
    CHECK(tp_is_int(steps->step, 8) && tp_is_int(rest->step, 1));
    int mma = index_of(&rest->body, TSR_S_MMA, 0);
    CHECK(mma >= 0 && rest->body.items[mma]->k_count == 1);
    if (mma >= 0) {
        const tsr_stmt *m = rest->body.items[mma];
        CHECK(m->a.tile == NULL && m->b.tile == NULL);
        CHECK(!strcmp(m->a.view->buffer->name, "A") && !strcmp(m->b.view->buffer->name, "B"));
    }
    CHECK(index_of(&p->body, TSR_S_STORE, tail) > tail);
out:
    built_free(&b);
}

static void beta_nonzero_makes_the_store_read_c(void)
{
    built b;
    if (build(&b, gemm_spec("row", "col", 0.5), "KU=4")) {
        int at = index_of(&b.p->body, TSR_S_STORE, 0);
        CHECK(at >= 0 && b.p->body.items[at]->beta && b.p->body.items[at]->alpha);
        CHECK(b.spec->op->reads_output(b.spec));
    }
    built_free(&b);
}

/* RS binds the tile's row and col once, ahead of every statement that
 * reads them; without it the group ids are the tile. (That each band's
 * walk covers every tile once is what the PoCL sweeps verify, on shapes
 * whose last band is narrower.) */
static void banded_tile_order_binds_the_tile_first(void)
{
    static const char *const names[] = {"band", "band_rows", "in_band", "tile_row", "tile_col"};
    built b;
    if (build(&b, gemm_spec("row", "row", 0.0), "RS=8")) {
        for (int i = 0; i < 5; i++) {
            const tsr_stmt *s = b.p->body.items[i];
            CHECK_MSG(s->kind == TSR_S_LET && !strcmp(s->var->name, names[i]),
                      "statement %d is not let %s", i, names[i]);
        }
        char *text = dump(b.p);
        CHECK_STR_CONTAINS(text, "let band = (((group_id(1) * num_groups(0)) + group_id(0)) / "
                                 "(num_groups(0) * 8))");
        CHECK_STR_CONTAINS(text, "let band_rows = min((num_groups(1) - (band * 8)), 8)");
        CHECK_STR_CONTAINS(text, "let tile_row = ((band * 8) + (in_band % band_rows))");
        CHECK_STR_CONTAINS(text, "let tile_col = (in_band / band_rows)");
        CHECK_STR_CONTAINS(text, "load As <- A[(tile_row * 64), k0]");
        free(text);
    }
    built_free(&b);
    if (build(&b, gemm_spec("row", "row", 0.0), "RS=0"))
        CHECK(count_kind(&b.p->body, TSR_S_LET) == 0);
    built_free(&b);
}

/* ---- constraints ----------------------------------------------------------------- */

/* BASE with `changes` is accepted when `needles` is NULL, else refused by
 * check and by build alike with a message that holds every needle. */
static void expect_check(const tsr_opspec *spec, const tsr_profile *profile, const char *changes,
                         const char *const *needles)
{
    char text[512];
    snprintf(text, sizeof text, "%s,%s", BASE, changes);
    tsr_config config = config_of(spec->op, text);
    tsr_error err = {{0}}, build_err = {{0}};
    tsr_status st = spec->op->check(spec, profile, &config, &err);
    if (!needles) {
        CHECK_MSG(st == TSR_OK, "%s: %s", changes, err.msg);
        return;
    }
    CHECK_MSG(st == TSR_ERR_UNSUPPORTED, "%s: status %d", changes, (int)st);
    for (int i = 0; needles[i]; i++)
        CHECK_MSG(strstr(err.msg, needles[i]) != NULL, "%s: \"%s\" lacks \"%s\"", changes, err.msg,
                  needles[i]);
    tsr_arena *arena = tsr_arena_create();
    tsr_tile_program *p = NULL;
    CHECK(arena && spec->op->build(arena, spec, profile, &config, &p, &build_err) != TSR_OK);
    CHECK(strcmp(build_err.msg, err.msg) == 0);
    tsr_arena_destroy(arena);
}

#define ACCEPTED NULL
#define NEEDLES(...) ((const char *const[]){__VA_ARGS__, NULL})

static void gemm_check_refuses_each_constraint_naming_the_numbers(void)
{
    tsr_opspec *spec = gemm_spec("row", "row", 0.0);
    tsr_profile *profile = small_profile(64, 4096, 40);
    if (!spec || !profile)
        goto out;
    expect_check(spec, profile, "KU=4", ACCEPTED);
    /* Listed values are powers of two, so only an unlisted one can break
     * divisibility; the constraint must still hold. */
    expect_check(spec, profile, "TM=3", NEEDLES("BM=32", "TM=3"));
    expect_check(spec, profile, "TN=3", NEEDLES("BN=32", "TN=3"));
    expect_check(spec, profile, "BM=64,BN=64", NEEDLES("256 threads", "64"));
    expect_check(spec, profile, "BM=16,BN=16,TM=8,TN=8", NEEDLES("4 threads", "8"));
    expect_check(spec, profile, "BK=4,KU=8", NEEDLES("KU=8", "BK=4"));
    tsr_config probe;
    tsr_config_default(spec->op, &probe);
    if (tsr_config_get(spec->op, &probe, "VN") >= 0) /* vector accumulators, where built */
        expect_check(spec, profile, "TN=4,VN=8", NEEDLES("VN=8", "TN=4"));
    expect_check(spec, profile, "SA=0,SB=0,VW=4,PAD=0", NEEDLES("VW=4", "PAD=0"));
    expect_check(spec, profile, "SA=0,SB=0,VW=1,PAD=1", NEEDLES("VW=1", "PAD=1"));
    expect_check(spec, profile, "SA=0,SB=0,VW=1,PAD=0", ACCEPTED);
    /* 4 bytes * (32 * 32 + 32 * 32) */
    expect_check(spec, profile, "BK=32", NEEDLES("8192", "4096"));
    /* 8 * 8 accumulators + 8 + 8 operands */
    expect_check(spec, profile, "BM=64,BN=64,TM=8,TN=8,SA=0,SB=0,VW=1", NEEDLES("80", "40"));
out:
    tsr_profile_free(profile);
    tsr_opspec_free(spec);
}

/* A's vector loads run along k when A is row-major and along m when it is
 * column-major; B's along n when row-major and along k when column-major. */
static void vector_width_must_divide_the_contiguous_extent_of_each_layout(void)
{
    tsr_opspec *a_row = gemm_spec("row", "row", 0.0), *a_col = gemm_spec("col", "col", 0.0);
    tsr_profile *profile = small_profile(64, 4096, 40);
    if (!a_row || !a_col || !profile)
        goto out;
    /* A only (SB=0): BM=20 breaks a column-major A; BK=4 a row-major one. */
    expect_check(a_row, profile, "SB=0,BM=20,VW=8", ACCEPTED);
    expect_check(a_col, profile, "SB=0,BM=20,VW=8", NEEDLES("VW=8", "A's", "20"));
    expect_check(a_row, profile, "SB=0,BK=4,VW=8", NEEDLES("VW=8", "A's", "4"));
    expect_check(a_col, profile, "SB=0,BK=4,VW=8", ACCEPTED);
    /* B only (SA=0): BN=20 breaks a row-major B; BK=4 a column-major one. */
    expect_check(a_row, profile, "SA=0,BN=20,VW=8", NEEDLES("VW=8", "B's", "20"));
    expect_check(a_col, profile, "SA=0,BN=20,VW=8", ACCEPTED);
    expect_check(a_row, profile, "SA=0,BK=4,VW=8", ACCEPTED);
    expect_check(a_col, profile, "SA=0,BK=4,VW=8", NEEDLES("VW=8", "B's", "4"));
out:
    tsr_profile_free(profile);
    tsr_opspec_free(a_col);
    tsr_opspec_free(a_row);
}

/* ---- the search space ------------------------------------------------------------ */

/* Decodes every combination in enumeration order (first param slowest),
 * asks check, and walks the space alongside: same configs, same order.
 * A refining param (GEMM's SK) past its first value is asked only where
 * the combination is accepted at it, as the walk does; that nothing is
 * lost so is checked on every 4099th combination refused there. */
static void space_is_exactly_the_configs_check_accepts_in_order(void)
{
    tsr_opspec *spec = gemm_spec("col", "row", 0.0);
    tsr_profile *profile = small_profile(64, 4096, 40);
    tsr_arena *arena = tsr_arena_create();
    tsr_search_space space;
    tsr_error err = {{0}};
    if (!spec || !profile || !arena)
        goto out;
    CHECK_MSG(tsr_space_build(arena, spec, profile, &space, &err) == TSR_OK, "%s", err.msg);
    const tsr_op_def *op = spec->op;
    CHECK(space.op == op);
    long combinations = 1, accepted = 0, differing = 0, checked = 0, lost = 0;
    int outer = op->n_params;
    while (outer > 0 && op->params[outer - 1].refines)
        outer--;
    long refinements = 1;
    for (int i = 0; i < op->n_params; i++)
        *(i < outer ? &combinations : &refinements) *= op->params[i].n_values;
    CHECK(outer < op->n_params && refinements == 5);
    for (long r = 0; r < combinations * refinements; r++) {
        tsr_config config;
        memset(&config, 0, sizeof config);
        for (long rest = r, i = op->n_params - 1; i >= 0; rest /= op->params[i].n_values, i--)
            config.value[i] = op->params[i].values[rest % op->params[i].n_values];
        bool base = r % refinements == 0;
        checked++;
        if (op->check(spec, profile, &config, NULL) != TSR_OK) {
            if (base && (r / refinements) % 4099 == 0)
                for (long f = 1; f < refinements; f++) {
                    tsr_config refined = config;
                    for (long rest = f, i = op->n_params - 1; i >= outer;
                         rest /= op->params[i].n_values, i--)
                        refined.value[i] = op->params[i].values[rest % op->params[i].n_values];
                    lost += op->check(spec, profile, &refined, NULL) == TSR_OK;
                }
            if (base)
                r += refinements - 1; /* the walk asks no more of it */
            continue;
        }
        differing += accepted >= space.count || memcmp(config.value, space.configs[accepted].value,
                                                       sizeof(int) * (size_t)op->n_params) != 0;
        accepted++;
    }
    CHECK_MSG(space.count == accepted, "space %d, brute force %ld", space.count, accepted);
    CHECK(space.count > 0 && space.count + space.rejected == checked);
    CHECK_MSG(lost == 0, "%ld refined configs accepted where their first value is not", lost);
    CHECK_MSG(differing == 0, "%ld configs differ from the brute force's", differing);
out:
    tsr_arena_destroy(arena);
    tsr_profile_free(profile);
    tsr_opspec_free(spec);
}

static void empty_space_is_refused_with_the_default_configs_reason(void)
{
    tsr_opspec *spec = gemm_spec("row", "row", 0.0);
    tsr_profile *profile = small_profile(4, 4096, 40); /* fewer threads than any config needs */
    tsr_arena *arena = tsr_arena_create();
    if (spec && profile && arena) {
        tsr_search_space space;
        tsr_error err = {{0}};
        CHECK(tsr_space_build(arena, spec, profile, &space, &err) == TSR_ERR_UNSUPPORTED);
        CHECK_STR_CONTAINS(err.msg, "small");
        CHECK_STR_CONTAINS(err.msg, "256 threads"); /* the default's 64x64 / 4x4 */
    }
    tsr_arena_destroy(arena);
    tsr_profile_free(profile);
    tsr_opspec_free(spec);
}

/* ---- configs as text ------------------------------------------------------------- */

static void config_format_and_parse_round_trip(void)
{
    const tsr_op_def *op = tsr_op_find("gemm");
    CHECK(op != NULL);
    if (!op)
        return;
    tsr_config config = config_of(op, "BM=128,BN=16,BK=2,TM=8,TN=1,VW=2,SA=0,SB=1,PAD=1,KU=2");
    char buf[512];
    const char *text = buf;
    tsr_config_format(op, &config, buf, sizeof buf);
    CHECK_STR_CONTAINS(text, "BM=128,BN=16,BK=2,TM=8,TN=1,VW=2,SA=0,SB=1,PAD=1,");
    tsr_config parsed;
    memset(&parsed, 0, sizeof parsed);
    tsr_error err = {{0}};
    CHECK_MSG(tsr_config_parse(op, text, &parsed, &err) == TSR_OK, "%s", err.msg);
    CHECK(memcmp(parsed.value, config.value, sizeof(int) * (size_t)op->n_params) == 0);
    CHECK(tsr_config_get(op, &parsed, "BM") == 128 && tsr_config_get(op, &parsed, "TN") == 1);
    CHECK(tsr_config_get(op, &parsed, "NOPE") == -1);

    /* params not named keep the base's values */
    tsr_config base;
    tsr_config_default(op, &base);
    CHECK(tsr_config_parse(op, "TM=8", &base, &err) == TSR_OK);
    CHECK(tsr_config_get(op, &base, "TM") == 8);
    CHECK(tsr_config_get(op, &base, "BM") == op->params[param_index(op, "BM")].default_value);
    CHECK(tsr_config_parse(op, "", &base, &err) == TSR_OK);
}

static void config_parse_names_what_is_wrong(void)
{
    const tsr_op_def *op = tsr_op_find("gemm");
    static const struct {
        const char *text;
        const char *needles[3];
    } cases[] = {
        {"BM=64,XX=3", {"XX", "BM"}}, /* unknown name; the known ones are listed */
        {"BM=64,TN=4,BM=32", {"BM", "twice"}},
        {"BM=48", {"BM=48", "16, 32, 64, 128"}},
        {"BM=64x", {"BM=64x"}},
        {"BM=", {"BM", "value"}},
        {"BM", {"NAME=VALUE"}},
    };
    for (size_t i = 0; op && i < sizeof cases / sizeof cases[0]; i++) {
        tsr_config config;
        tsr_config_default(op, &config);
        tsr_error err = {{0}};
        CHECK_MSG(tsr_config_parse(op, cases[i].text, &config, &err) == TSR_ERR_INPUT, "%s",
                  cases[i].text);
        for (int n = 0; n < 3 && cases[i].needles[n]; n++)
            CHECK_MSG(strstr(err.msg, cases[i].needles[n]) != NULL, "%s: \"%s\" lacks \"%s\"",
                      cases[i].text, err.msg, cases[i].needles[n]);
        CHECK(strchr(err.msg, '\n') == NULL);
    }
}

/* ---- launch geometry ------------------------------------------------------------- */

static void gemm_geometry_rule_reads_as_text_and_covers_ragged_shapes(void)
{
    tsr_opspec *spec = gemm_spec("row", "row", 0.0);
    if (!spec)
        return;
    tsr_config config = config_of(spec->op, "BM=64,BN=32,TM=4,TN=2");
    tsr_geometry_rule rule;
    spec->op->geometry_rule(spec, &config, &rule);
    char text[128];
    tsr_geometry_rule_format(spec->op, &rule, text, sizeof text);
    CHECK_MSG(strcmp(text, "n/32x16,m/64x16,batch/1x1") == 0, "got %s", text);
    static const struct {
        long m, n, batch;
        size_t groups_n, groups_m;
    } cases[] = {{1, 1, 1, 1, 1},    {64, 32, 1, 1, 1},    {65, 33, 1, 2, 2},
                 {129, 97, 3, 4, 3}, {7, 4097, 1, 129, 1}, {7, 5, 1000, 1, 1}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tsr_shape shape = {{cases[i].m, cases[i].n, 5, cases[i].batch}};
        tsr_geometry g;
        tsr_geometry_apply(&rule, &shape, &g);
        CHECK(g.dims == 3 && g.local[0] == 16 && g.local[1] == 16 && g.local[2] == 1);
        CHECK_MSG(g.groups[0] == cases[i].groups_n && g.groups[1] == cases[i].groups_m &&
                      g.groups[2] == (size_t)cases[i].batch,
                  "m=%ld n=%ld: %zu x %zu groups", cases[i].m, cases[i].n, g.groups[0],
                  g.groups[1]);
        tsr_geometry direct;
        tsr_op_geometry(spec, &config, &shape, &direct);
        CHECK(memcmp(&direct.groups, &g.groups, sizeof g.groups) == 0);
    }
    tsr_opspec_free(spec);
}

static void lone_group_axes_and_softmax_rows_read_as_text(void)
{
    const tsr_op_def *gemm = tsr_op_find("gemm");
    tsr_geometry_rule rule = {
        .dims = 2, .dim = {1, -1, -1}, .per_group = {16, 1, 1}, .local = {8, 4, 1}};
    char text[128];
    tsr_geometry_rule_format(gemm, &rule, text, sizeof text);
    CHECK_MSG(strcmp(text, "n/16x8,1x4") == 0, "got %s", text);
    tsr_shape shape = {{1000, 17, 3, 1}};
    tsr_geometry g;
    tsr_geometry_apply(&rule, &shape, &g);
    CHECK(g.groups[0] == 2 && g.groups[1] == 1 && g.local[1] == 4);

    tsr_opspec *spec = softmax_spec();
    if (!spec)
        return;
    tsr_config config = config_of(spec->op, "WG=128,VW=2");
    spec->op->geometry_rule(spec, &config, &rule);
    tsr_geometry_rule_format(spec->op, &rule, text, sizeof text);
    CHECK_MSG(strcmp(text, "rows/1x128") == 0, "got %s", text);
    tsr_shape rows = {{7, 4097}};
    tsr_geometry_apply(&rule, &rows, &g);
    CHECK(g.dims == 1 && g.groups[0] == 7 && g.local[0] == 128);
    tsr_opspec_free(spec);
}

/* ---- softmax tile program -------------------------------------------------------- */

static void softmax_program_has_two_row_reductions_then_a_row_map(void)
{
    built b;
    if (!build(&b, softmax_spec(), "WG=32,VW=4"))
        goto out;
    const tsr_tile_program *p = b.p;
    CHECK(p->dims == 1 && p->local[0] == 32);
    int max_at = index_of(&p->body, TSR_S_ROW_REDUCE, 0);
    int sum_at = index_of(&p->body, TSR_S_ROW_REDUCE, max_at + 1);
    int map_at = index_of(&p->body, TSR_S_ROW_MAP, 0);
    CHECK(count_kind(&p->body, TSR_S_ROW_REDUCE) == 2 && count_kind(&p->body, TSR_S_ROW_MAP) == 1);
    CHECK(max_at >= 0 && sum_at > max_at && map_at > sum_at);
    if (max_at < 0 || sum_at < 0 || map_at < 0)
        goto out;
    const tsr_stmt *max = p->body.items[max_at], *sum = p->body.items[sum_at];
    const tsr_stmt *map = p->body.items[map_at];
    CHECK(max->reduce == TSR_REDUCE_MAX && sum->reduce == TSR_REDUCE_SUM);
    CHECK(max->result && sum->result && max->result != sum->result);
    CHECK(max->threads == 32 && max->vector_width == 4 && map->vector_width == 4);
    CHECK(max->tile && max->tile->space == TSR_SPACE_SHARED && max->tile->rows >= 32);
    CHECK(!strcmp(map->view->buffer->name, "X") && !strcmp(map->dst->buffer->name, "Y"));
    char *text = dump(p);
    CHECK_STR_CONTAINS(text, "max over");
    CHECK_STR_CONTAINS(text, "sum over");
    CHECK_STR_CONTAINS(text, "map Y");
    free(text);
    tp_kernel *kernel = NULL;
    tsr_error err = {{0}};
    CHECK_MSG(tsr_lower(p, b.arena, &kernel, &err) == TSR_OK, "%s", err.msg);
out:
    built_free(&b);
}

/* ---- split row reduction --------------------------------------------------------- */

/* CHUNK splits each row among groups along the launch's second axis,
 * which join through the workspace, the kernel's last argument: its rule
 * says how much a group needs; each dialect spells the join's atomics,
 * fences and bit casts; CHUNK=0 takes none of it. */
static void split_reduction_joins_through_a_workspace_in_every_dialect(void)
{
    static const struct {
        const char *name, *must[4];
    } dialects[] = {
        {"opencl",
         {"atomic_add(&workspace[", "mem_fence(CLK_GLOBAL_MEM_FENCE)", "as_int(group_total)",
          "as_float(atomic_xchg("}},
        {"cuda",
         {"atomicAdd(&workspace[", "__threadfence()", "__float_as_int(group_total)",
          "__int_as_float(atomicExch("}},
        {"hip",
         {"atomicAdd(&workspace[", "__threadfence()", "__float_as_int(group_total)",
          "__int_as_float(atomicExch("}},
    };
    const char *spec_text = "schema: 1\nname: r\nop: reduce\ndtype: f32\nreduce: {kind: mean}\n"
                            "shapes:\n  - {rows: 3, cols: 5}\n";
    for (int chunk = 0; chunk <= 4096; chunk += 4096) {
        char config_text[64];
        snprintf(config_text, sizeof config_text, "WG=64,VW=4,CHUNK=%d", chunk);
        built b;
        if (!build(&b, parse_spec(spec_text), config_text)) {
            built_free(&b);
            continue;
        }
        const tsr_tile_program *p = b.p;
        char text[128];
        tsr_geometry_rule rule = rule_of(&b, config_text, text, sizeof text);
        int join_at = index_of(&p->body, TSR_S_ROW_JOIN, 0);
        if (!chunk) {
            CHECK_MSG(!strcmp(text, "rows/1x64"), "got %s", text);
            CHECK(join_at < 0 && p->n_params == 4);
        } else {
            CHECK_MSG(!strcmp(text, "rows/1x64,cols/4096x1,workspace=8"), "got %s", text);
            CHECK(join_at >= 0 && p->n_params == 5);
            CHECK(!strcmp(p->params[p->n_params - 1].name, "workspace") &&
                  p->params[p->n_params - 1].dtype == TSR_I32);
            tsr_shape shape = {{3, 10000}};
            tsr_geometry g;
            tsr_geometry_apply(&rule, &shape, &g);
            CHECK(g.groups[0] == 3 && g.groups[1] == 3 && g.workspace_bytes == 3 * 3 * 8);
            int reduce_at = index_of(&p->body, TSR_S_ROW_REDUCE, 0);
            CHECK(reduce_at >= 0 && reduce_at < join_at && p->body.items[reduce_at]->col_begin);
            char *dumped = dump(p);
            CHECK_STR_CONTAINS(dumped, "join Y row");
            CHECK_STR_CONTAINS(dumped, "through workspace");
            free(dumped);
        }
        for (size_t d = 0; d < sizeof dialects / sizeof dialects[0]; d++) {
            tp_kernel *kernel = NULL;
            tsr_error err = {{0}};
            tsr_strbuf out;
            tsr_strbuf_init(&out);
            tsr_status st = tsr_lower(p, b.arena, &kernel, &err);
            if (st == TSR_OK)
                st = tsr_generate(kernel, tsr_dialect_find(dialects[d].name), "test", &out, &err);
            CHECK_MSG(st == TSR_OK, "%s: %s", dialects[d].name, err.msg);
            for (int i = 0; st == TSR_OK && i < 4; i++)
                CHECK_MSG(!strstr(out.data, dialects[d].must[i]) == !chunk, "%s, CHUNK=%d: %s %s",
                          dialects[d].name, chunk, dialects[d].must[i],
                          chunk ? "missing" : "printed");
            tsr_strbuf_free(&out);
        }
        built_free(&b);
    }
    /* A chunk less than one pass of the group's vectors is refused. */
    tsr_opspec *spec = parse_spec(spec_text);
    tsr_profile *profile = small_profile(4096, 1 << 20, 255);
    if (spec && profile) {
        tsr_config config = config_of(spec->op, "WG=1024,VW=8,CHUNK=4096");
        tsr_error err = {{0}};
        CHECK(spec->op->check(spec, profile, &config, &err) == TSR_ERR_UNSUPPORTED);
        CHECK_STR_CONTAINS(err.msg, "CHUNK=4096 columns are fewer than one pass");
    }
    tsr_profile_free(profile);
    tsr_opspec_free(spec);
}

/* ---- lowering and printing ------------------------------------------------------- */

static void every_layout_of_a_few_gemm_configs_lowers_and_prints(void)
{
    static const char *layouts[4][2] = {
        {"row", "row"}, {"row", "col"}, {"col", "row"}, {"col", "col"}};
    static const char *configs[] = {
        "KU=4",          "SA=0,SB=0,VW=1,PAD=0",
        "SA=1,SB=0",     "SA=0,SB=1,PAD=1",
        "STRM=1,STRN=0", "BM=64,BN=64,TM=8,TN=8,SA=0,SB=0,VW=1",
    };
    const tsr_dialect *opencl = tsr_dialect_find("opencl");
    CHECK(opencl != NULL);
    for (int l = 0; l < 4 && opencl; l++)
        for (size_t c = 0; c < sizeof configs / sizeof configs[0]; c++) {
            char text[512];
            snprintf(text, sizeof text, "%s,%s", BASE, configs[c]);
            built b;
            tp_kernel *kernel = NULL;
            tsr_error err = {{0}};
            tsr_strbuf out;
            tsr_strbuf_init(&out);
            tsr_status st = build(&b, gemm_spec(layouts[l][0], layouts[l][1], 0.0), text)
                                ? tsr_lower(b.p, b.arena, &kernel, &err)
                                : TSR_ERR_INPUT;
            if (st == TSR_OK)
                st = tsr_generate(kernel, opencl, "test", &out, &err);
            CHECK_MSG(st == TSR_OK && out.data && strstr(out.data, "__kernel"), "a=%s b=%s %s: %s",
                      layouts[l][0], layouts[l][1], configs[c], err.msg);
            tsr_strbuf_free(&out);
            built_free(&b);
        }
}

/* One lowered program, three dialects: each speaks its own syntax and none
 * leaks another's. (The vendor compilers check the rest: vendor-compile.) */
static void one_program_prints_in_every_dialect_in_its_own_syntax(void)
{
    static const struct {
        const char *name, *must[3], *must_not[3];
    } dialects[] = {
        {"opencl",
         {"__kernel", "get_local_id(0)", "barrier(CLK_LOCAL_MEM_FENCE)"},
         {"__global__", "threadIdx", "__syncthreads"}},
        {"cuda",
         {"extern \"C\" __global__", "threadIdx.x", "__syncthreads()"},
         {"__kernel", "get_local_id", "#include"}},
        {"hip",
         {"#include <hip/hip_runtime.h>", "amdgpu_flat_work_group_size(1, 8)", "blockIdx.y"},
         {"__kernel", "get_group_id", "__launch_bounds__"}},
    };
    const char *config =
        "BM=32,BN=16,BK=32,TM=4,TN=16,VN=8,VW=8,SA=0,SB=1,PAD=1,STRM=0,STRN=0,KU=4";
    for (size_t d = 0; d < sizeof dialects / sizeof dialects[0]; d++) {
        const tsr_dialect *dialect = tsr_dialect_find(dialects[d].name);
        CHECK_MSG(dialect != NULL, "no dialect %s", dialects[d].name);
        built b;
        tp_kernel *kernel = NULL;
        tsr_error err = {{0}};
        tsr_strbuf out;
        tsr_strbuf_init(&out);
        tsr_status st = dialect && build(&b, gemm_spec("row", "col", 1.0), config)
                            ? tsr_lower(b.p, b.arena, &kernel, &err)
                            : TSR_ERR_INPUT;
        if (st == TSR_OK)
            st = tsr_generate(kernel, dialect, "test", &out, &err);
        CHECK_MSG(st == TSR_OK, "%s: %s", dialects[d].name, err.msg);
        for (int i = 0; st == TSR_OK && i < 3; i++) {
            CHECK_STR_CONTAINS(out.data, dialects[d].must[i]);
            CHECK_MSG(!strstr(out.data, dialects[d].must_not[i]), "%s output has %s",
                      dialects[d].name, dialects[d].must_not[i]);
        }
        tsr_strbuf_free(&out);
        if (dialect)
            built_free(&b);
    }
}

/* The printer keeps the parentheses the program's operators need: integer
 * division does not associate with the product on its left, ?: binds
 * more loosely than any operator around it (a loop's bound too), and
 * floating-point sums and products do not associate at all (integer ones
 * do). */
static void printer_keeps_the_parentheses_operators_need(void)
{
    tsr_arena *arena = tsr_arena_create();
    tp_builder b = {.arena = arena};
    tp_param params[4] = {
        {.name = "X", .kind = TSR_ARG_BUFFER, .dtype = TSR_F32, .writable = true},
        {.name = "a", .kind = TSR_ARG_INT, .dtype = TSR_I32},
        {.name = "p", .kind = TSR_ARG_INT, .dtype = TSR_I32},
        {.name = "q", .kind = TSR_ARG_INT, .dtype = TSR_I32},
    };
    tp_kernel k = {.name = "k", .n_params = 4, .params = params, .dims = 1, .local = {1, 1, 1}};
    tp_expr *a = tp_param_ref(&b, &params[1]), *pp = tp_param_ref(&b, &params[2]);
    tp_expr *q = tp_param_ref(&b, &params[3]);
    /* X[a * (p / q)] = X[a * (p % q) + (p < q ? p : q)] */
    tp_expr *quotient = tp_bin(&b, TP_MUL, a, tp_bin(&b, TP_DIV, pp, q));
    tp_expr *pick = tp_select(&b, tp_bin(&b, TP_LT, pp, q), pp, q);
    tp_expr *rest = tp_add(&b, tp_bin(&b, TP_MUL, a, tp_bin(&b, TP_MOD, pp, q)), pick);
    tp_assign(&b, &k.body, tp_buf(&b, &params[0], quotient), tp_buf(&b, &params[0], rest));
    /* X[a + (p + q)] = X[a] * (X[p] * X[q]) + (X[a] + X[p]) */
    tp_expr *xa = tp_buf(&b, &params[0], a), *xp = tp_buf(&b, &params[0], pp);
    tp_expr *product = tp_bin(&b, TP_MUL, xa, tp_bin(&b, TP_MUL, xp, tp_buf(&b, &params[0], q)));
    tp_expr *sum =
        tp_bin(&b, TP_ADD, product,
               tp_bin(&b, TP_ADD, tp_buf(&b, &params[0], a), tp_buf(&b, &params[0], pp)));
    tp_assign(&b, &k.body, tp_buf(&b, &params[0], tp_bin(&b, TP_ADD, a, tp_bin(&b, TP_ADD, pp, q))),
              sum);
    /* for (i = a; i < (p < q ? p : q); ...): a loop's bound is the right
     * operand of its < */
    tp_var i = {.name = "i", .dtype = TSR_I32, .width = 1};
    tp_stmt *loop = tp_for(&b, &k.body, &i, a, tp_select(&b, tp_bin(&b, TP_LT, pp, q), pp, q),
                           tp_int(&b, 1), 0);
    if (loop)
        tp_assign(&b, &loop->body, tp_buf(&b, &params[0], tp_ref(&b, &i)),
                  tp_float(&b, TSR_F32, 0.0));
    CHECK(!b.failed);
    tsr_strbuf out;
    tsr_strbuf_init(&out);
    tsr_error err = {{0}};
    CHECK(!b.failed && tsr_generate(&k, tsr_dialect_find("opencl"), NULL, &out, &err) == TSR_OK);
    if (out.data) {
        CHECK_STR_CONTAINS(out.data, "X[a * (p / q)] = X[a * (p % q) + ((p < q) ? p : q)];");
        CHECK_STR_CONTAINS(out.data, "X[a + p + q] = X[a] * (X[p] * X[q]) + (X[a] + X[p]);");
        CHECK_STR_CONTAINS(out.data, "for (int i = a; i < ((p < q) ? p : q); i++)");
    }
    tsr_strbuf_free(&out);
    tsr_arena_destroy(arena);
}

/* The kernel in `dialect` (the caller frees it; NULL when refused). */
static char *generated(const tp_kernel *kernel, const char *dialect)
{
    tsr_strbuf out;
    tsr_error err = {{0}};
    tsr_strbuf_init(&out);
    tsr_status st =
        kernel ? tsr_generate(kernel, tsr_dialect_find(dialect), NULL, &out, &err) : TSR_ERR_INPUT;
    CHECK_MSG(st == TSR_OK, "%s: %s", dialect, err.msg);
    if (st == TSR_OK)
        return out.data;
    tsr_strbuf_free(&out);
    return NULL;
}

/* axis: middle: one COL_REDUCE, launched along inner in windows of WG /
 * RT x VW cols and along rows; its kernel takes inner after cols, loads
 * whole vectors of inner, and with RT > 1 meets once at a barrier; every
 * dialect prints it; CHUNK splits the reduced rows along a third axis,
 * joining through the workspace. check() keeps SG at its default there,
 * and RT at its default on the last axis. */
static void middle_axis_reduction_walks_inner_side_by_side(void)
{
    static const struct {
        const char *name, *vector_load;
    } dialects[] = {{"opencl", "vload4("}, {"cuda", "tsr_vload<4>("}, {"hip", "tsr_vload<4>("}};
    const char *spec_text = "schema: 1\nname: r\nop: reduce\ndtype: f32\n"
                            "reduce: {kind: mean, axis: middle}\n"
                            "shapes:\n  - {rows: 3, cols: 5, inner: 7}\n";
    for (int rt = 1; rt <= 4; rt *= 4) {
        char config_text[64];
        snprintf(config_text, sizeof config_text, "WG=64,VW=4,RT=%d", rt);
        built b;
        if (!build(&b, parse_spec(spec_text), config_text)) {
            built_free(&b);
            continue;
        }
        const tsr_tile_program *p = b.p;
        char text[128];
        tsr_geometry_rule rule = rule_of(&b, config_text, text, sizeof text);
        CHECK_MSG(!strcmp(text, rt == 1 ? "inner/256x64,rows/1x1" : "inner/64x64,rows/1x1"),
                  "got %s", text);
        tsr_shape shape = {{3, 10, 1000}};
        tsr_geometry g;
        tsr_geometry_apply(&rule, &shape, &g);
        CHECK(g.dims == 2 && g.groups[0] == (rt == 1 ? 4u : 16u) && g.groups[1] == 3 &&
              g.local[0] == 64 && g.workspace_bytes == 0);
        CHECK(p->body.count == 1 && p->body.items[0]->kind == TSR_S_COL_REDUCE &&
              p->n_params == 5 && !strcmp(p->params[4].name, "inner"));
        char *dumped = dump(p);
        CHECK_STR_CONTAINS(dumped, "Y row group_id(1) <- sum down the cols");
        CHECK_STR_CONTAINS(dumped, "(x / cols)");
        free(dumped);
        tp_kernel *kernel = NULL;
        tsr_error err = {{0}};
        CHECK_MSG(tsr_lower(p, b.arena, &kernel, &err) == TSR_OK, "%s", err.msg);
        for (size_t d = 0; kernel && d < sizeof dialects / sizeof dialects[0]; d++) {
            char *text = generated(kernel, dialects[d].name);
            if (!text)
                continue;
            CHECK_STR_CONTAINS(text, dialects[d].vector_load);
            CHECK_STR_CONTAINS(text, " * inner");
            /* One barrier with runs, none without. */
            const char *barrier =
                strcmp(dialects[d].name, "opencl") ? "__syncthreads()" : "barrier(";
            CHECK_MSG(check_count(text, barrier) == (rt > 1), "%s, RT=%d: %d barriers",
                      dialects[d].name, rt, check_count(text, barrier));
            free(text);
        }
        built_free(&b);
    }
    /* CHUNK: a group per CHUNK reduced rows along the third axis, the
     * window's groups joining through the workspace. */
    built split;
    if (build(&split, parse_spec(spec_text), "WG=64,VW=2,RT=4,CHUNK=4096")) {
        char text[128];
        tsr_geometry_rule rule = rule_of(&split, "WG=64,VW=2,RT=4,CHUNK=4096", text, sizeof text);
        CHECK_MSG(!strcmp(text, "inner/32x64,rows/1x1,cols/4096x1,workspace=132"), "got %s", text);
        tsr_shape shape = {{2, 10000, 40}};
        tsr_geometry g;
        tsr_geometry_apply(&rule, &shape, &g);
        CHECK(g.dims == 3 && g.groups[0] == 2 && g.groups[1] == 2 && g.groups[2] == 3 &&
              g.workspace_bytes == 2 * 2 * 3 * 132);
        const tsr_tile_program *p = split.p;
        CHECK(p->n_params == 6 && !strcmp(p->params[5].name, "workspace"));
        char *dumped = dump(p);
        CHECK_STR_CONTAINS(dumped, "part group_id(2) of num_groups(2) through workspace");
        free(dumped);
        tp_kernel *kernel = NULL;
        tsr_error err = {{0}};
        CHECK_MSG(tsr_lower(p, split.arena, &kernel, &err) == TSR_OK, "%s", err.msg);
        char *cuda = kernel ? generated(kernel, "cuda") : NULL;
        if (cuda) {
            CHECK_STR_CONTAINS(cuda, "atomicAdd(&workspace[");
            CHECK_STR_CONTAINS(cuda, "__int_as_float(atomicExch(&workspace[");
        }
        free(cuda);
    }
    built_free(&split);
    static const struct {
        const char *spec_axis, *config, *why;
    } refused[] = {
        {", axis: middle", "WG=64,VW=4,SG=1", "SG=1: axis: middle reduces"},
        {", axis: middle", "WG=16,VW=4,RT=32", "RT=32 runs of threads need more than WG=16"},
        {"", "WG=64,VW=4,RT=2", "RT=2: runs along the reduced axis are axis: middle's"},
    };
    tsr_profile *profile = small_profile(4096, 1 << 20, 255);
    for (size_t i = 0; profile && i < sizeof refused / sizeof refused[0]; i++) {
        char text[256];
        snprintf(text, sizeof text,
                 "schema: 1\nname: r\nop: reduce\ndtype: f32\nreduce: {kind: sum%s}\n"
                 "shapes:\n  - {rows: 3, cols: 5}\n",
                 refused[i].spec_axis);
        tsr_opspec *spec = parse_spec(text);
        if (!spec)
            continue;
        tsr_config config = config_of(spec->op, refused[i].config);
        tsr_error err = {{0}};
        CHECK_MSG(spec->op->check(spec, profile, &config, &err) == TSR_ERR_UNSUPPORTED, "%s",
                  refused[i].config);
        CHECK_STR_CONTAINS(err.msg, refused[i].why);
        tsr_opspec_free(spec);
    }
    tsr_profile_free(profile);
}

/* The kernel of `spec` with the config `config_text` on `profile`, built
 * and lowered in `arena` (NULL, and a failed check, where either fails). */
static tp_kernel *lowered(tsr_arena *arena, const tsr_opspec *spec, const tsr_profile *profile,
                          const char *config_text)
{
    tsr_tile_program *p = NULL;
    tp_kernel *kernel = NULL;
    tsr_error err = {{0}};
    CHECK(arena && spec && profile);
    if (!arena || !spec || !profile)
        return NULL;
    tsr_config config = config_of(spec->op, config_text);
    CHECK_MSG(spec->op->build(arena, spec, profile, &config, &p, &err) == TSR_OK, "%s", err.msg);
    CHECK_MSG(p && tsr_lower(p, arena, &kernel, &err) == TSR_OK, "%s", err.msg);
    return kernel;
}

/* Whether `dialect` refuses the kernel with a message holding `refusal`. */
static void check_refused(const tp_kernel *kernel, const char *dialect, const char *refusal)
{
    tsr_strbuf out;
    tsr_error err = {{0}};
    tsr_strbuf_init(&out);
    CHECK(kernel &&
          tsr_generate(kernel, tsr_dialect_find(dialect), NULL, &out, &err) == TSR_ERR_UNSUPPORTED);
    CHECK_STR_CONTAINS(err.msg, refusal);
    tsr_strbuf_free(&out);
}

/* The kernel in CUDA (the caller frees it; NULL when refused), after
 * checking that HIP and OpenCL, which spell neither the kernel's matrix
 * unit nor its copies, refuse it with a message holding `refusal`. */
static char *cuda_only(const tp_kernel *kernel, const char *refusal)
{
    check_refused(kernel, "hip", refusal);
    check_refused(kernel, "opencl", refusal);
    return generated(kernel, "cuda");
}

/* The kernel in CUDA, and in OpenCL through inline PTX (*opencl; both for
 * the caller to free, NULL when refused), after checking that HIP refuses
 * it with a message holding `refusal`. The OpenCL text defines the PTX
 * helpers, which a kernel without the unit or the copies leaves out. */
static char *nvidia_only(const tp_kernel *kernel, const char *refusal, char **opencl)
{
    check_refused(kernel, "hip", refusal);
    *opencl = generated(kernel, "opencl");
    if (*opencl) {
        CHECK_STR_CONTAINS(*opencl, "#define TSR_CP_ASYNC(dst, src, bytes, cache)");
        CHECK_STR_CONTAINS(*opencl, "__asm__(\"cvt.rna.tf32.f32 %0, %1;\"");
    }
    return generated(kernel, "cuda");
}

/* The shared tiles of a program in the order it declares them (A's first). */
static const tsr_tile *nth_shared_tile(const tsr_tile_program *p, int n)
{
    for (int i = 0; i < p->n_tiles; i++)
        if (p->tiles[i]->space == TSR_SPACE_SHARED && n-- == 0)
            return p->tiles[i];
    return NULL;
}

/* The warpgroup unit (MU=2): warpgroups of 128 threads, both tiles in 8 x
 * 8 cores padded by 16 bytes, a ring one stage deeper than the copies'
 * (the unit still reads the last step's), one wgmma per slice and 16 of
 * k in CUDA with its descriptors' steps, the first step's overwriting the
 * unfilled accumulators; refused by HIP and OpenCL, by check() without
 * the unit, and with KU past 1. */
static void warpgroup_unit_gemm_lowers_to_wgmma_on_cuda_only(void)
{
    tsr_profile *h200 = check_repo_profile("nvidia-h200"),
                *a100 = check_repo_profile("nvidia-a100-80gb");
    tsr_error err = {{0}};
    tsr_opspec *spec = parse_spec("schema: 1\nname: h\nop: gemm\ndtype: f16\n"
                                  "shapes:\n  - {m: 7, n: 13, k: 17}\n");
    tsr_opspec *tn = parse_spec("schema: 1\nname: t\nop: gemm\ndtype: bf16\n"
                                "gemm: {a: col, b: col}\nshapes:\n  - {m: 7, n: 13, k: 17}\n");
    tsr_arena *arena = tsr_arena_create();
    if (!h200 || !a100 || !spec || !tn || !arena)
        goto out;
    const char *text = "MU=2,BM=128,BN=128,BK=64,TM=1,TN=16,STRN=0,KU=1,VN=1,VW=8,PAD=0,PF=2";
    tsr_config config = config_of(spec->op, text);
    tsr_tile_program *p = NULL;
    CHECK_MSG(spec->op->build(arena, spec, h200, &config, &p, &err) == TSR_OK, "%s", err.msg);
    if (p) {
        CHECK(p->local[0] == 128 && p->local[1] == 2);
        char *ir = dump(p);
        CHECK_STR_CONTAINS(ir, "warpgroups 2x1 on wgmma m64nNk16, 1 pending");
        CHECK_STR_CONTAINS(ir, "barrier for the async proxy");
        CHECK_STR_CONTAINS(ir, "wait for the matrix unit, 0 pending");
        CHECK(!strstr(ir, "fill acc"));
        free(ir);
        const tsr_tile *as = nth_shared_tile(p, 0), *bs = nth_shared_tile(p, 1);
        CHECK(as && as->swizzled && as->pad == 0 && as->stages == 3 && !as->transposed);
        CHECK(bs && bs->swizzled && bs->pad == 0 && bs->stages == 3 && !bs->transposed);
    }
    tp_kernel *kernel = NULL;
    CHECK(p && tsr_lower(p, arena, &kernel, &err) == TSR_OK);
    char *cuda = cuda_only(kernel, "cannot spell");
    if (cuda) {
        const char *out_data = cuda;
        /* BK / 16 = 4 multiplies of 64 x 128 a step. */
        int calls = check_count(out_data, "m64n128k16.f32.f16.f16 {");
        CHECK_MSG(calls == 4, "%d wgmma", calls);
        /* Groups of 8 swizzled rows 1024 bytes apart; B N-major, its
         * 64-wide columns 64 k-rows apart; the first multiply's
         * scale-d from the step. */
        CHECK_STR_CONTAINS(out_data, ", 16, 1024)), \"l\"(tsr_wgmma_desc(&Bs[");
        CHECK_STR_CONTAINS(out_data, ", 8192, 1024))");
        CHECK_STR_CONTAINS(out_data, "^ ");
        CHECK_STR_CONTAINS(out_data, "%64, %65, d, 1, 1, 0, 1;");
        CHECK_STR_CONTAINS(out_data, "%64, %65, 1, 1, 1, 0, 1;");
        CHECK_STR_CONTAINS(out_data, "\"r\"((int)(k0 != 0))");
        CHECK_STR_CONTAINS(out_data, "fence.proxy.async.shared::cta;");
        CHECK_STR_CONTAINS(out_data, "wgmma.wait_group.sync.aligned 1;");
        CHECK_STR_CONTAINS(out_data, "wgmma.wait_group.sync.aligned 0;");
        CHECK_STR_CONTAINS(out_data, "asm volatile(\"\" : \"+f\"(acc_0_0)::\"memory\");");
        CHECK(!strstr(out_data, "acc_0_0 = 0.0f"));
        /* The copies land whole in the swizzled rows: a row of the
         * 64-wide column a stage's rows in, its 16-byte chunk permuted
         * by the row's place among 8; a round 32 rows (256 threads over
         * 8 chunks a row of A's 64) further on. */
        CHECK_STR_CONTAINS(out_data, "tsr_cp_async_aligned<8>(&As[");
        CHECK_STR_CONTAINS(out_data, " % 64 / 8 ^ ");
        CHECK_STR_CONTAINS(out_data, " % 8) * 8 + ");
        CHECK_STR_CONTAINS(out_data, " * 32][(");
    }
    free(cuda);
    /* Both operands column-major: A M-major, B K-major. */
    char *tn_text = generated(lowered(arena, tn, h200, text), "cuda");
    if (tn_text) {
        CHECK_STR_CONTAINS(tn_text, "m64n128k16.f32.bf16.bf16 {");
        CHECK_STR_CONTAINS(tn_text, "%64, %65, 1, 1, 1, 1, 0;");
    }
    free(tn_text);
    CHECK(spec->op->check(spec, a100, &config, &err) == TSR_ERR_UNSUPPORTED);
    CHECK_STR_CONTAINS(err.msg, "no wgmma m64nNk16 unit for f16 inputs");
    tsr_config unrolled =
        config_of(spec->op, "MU=2,BM=128,BN=128,BK=64,TM=1,TN=16,STRN=0,KU=2,VN=1,VW=8,PAD=0,PF=2");
    CHECK(spec->op->check(spec, h200, &unrolled, &err) == TSR_ERR_UNSUPPORTED);
    CHECK_STR_CONTAINS(err.msg, "KU=2 1");
    tsr_config padded =
        config_of(spec->op, "MU=2,BM=128,BN=128,BK=64,TM=1,TN=16,STRN=0,KU=1,VN=1,VW=8,PAD=1,PF=2");
    CHECK(spec->op->check(spec, h200, &padded, &err) == TSR_ERR_UNSUPPORTED);
    CHECK_STR_CONTAINS(err.msg, "PAD=1 must be 0");
    tsr_config short_k =
        config_of(spec->op, "MU=2,BM=128,BN=128,BK=32,TM=1,TN=16,STRN=0,KU=1,VN=1,VW=8,PAD=0,PF=2");
    CHECK(spec->op->check(spec, h200, &short_k, &err) == TSR_ERR_UNSUPPORTED);
    CHECK_STR_CONTAINS(err.msg, "BK=32 must be a multiple");
    /* B column-major is k-contiguous too; with m and n contiguous any k-step
     * of 16 goes. */
    CHECK(tn->op->check(tn, h200, &short_k, &err) == TSR_ERR_UNSUPPORTED);
    tsr_opspec *mn = parse_spec("schema: 1\nname: mn\nop: gemm\ndtype: f16\n"
                                "gemm: {a: col, b: row}\nshapes:\n  - {m: 7, n: 13, k: 17}\n");
    CHECK(mn && mn->op->check(mn, h200, &short_k, &err) == TSR_OK);
    tsr_opspec_free(mn);
out:
    tsr_arena_destroy(arena);
    tsr_opspec_free(spec);
    tsr_opspec_free(tn);
    tsr_profile_free(h200);
    tsr_profile_free(a100);
}

/* The matrix unit (MU=1): a warp-fragment MMA in the tile program, one
 * mma.sync per fragment pair and 16 of k in CUDA and in OpenCL's inline
 * PTX, its fragments read by ldmatrix, refused by HIP, and by check()
 * where the profile lacks the unit for the input type. */
static void matrix_unit_gemm_lowers_to_mma_sync_on_nvidia_only(void)
{
    tsr_profile *h200 = check_repo_profile("nvidia-h200");
    tsr_error err = {{0}};
    tsr_opspec *spec = parse_spec("schema: 1\nname: h\nop: gemm\ndtype: f16\n"
                                  "shapes:\n  - {m: 7, n: 13, k: 17}\n");
    tsr_opspec *f32 = gemm_spec("row", "row", 0.0);
    tsr_arena *arena = tsr_arena_create();
    if (!h200 || !spec || !f32 || !arena)
        goto out;
    const char *text = "MU=1,BM=64,BN=64,BK=32,TM=2,TN=4,STRN=0,KU=2,VN=1,VW=1,PAD=1";
    tsr_config config = config_of(spec->op, text);
    tsr_tile_program *p = NULL;
    CHECK_MSG(spec->op->build(arena, spec, h200, &config, &p, &err) == TSR_OK, "%s", err.msg);
    if (p) {
        /* Two warps along each axis, 32 threads each along x. */
        CHECK(p->local[0] == 64 && p->local[1] == 2);
        char *ir = dump(p);
        CHECK_STR_CONTAINS(ir, "warps 2x2 on mma.sync m16n8k16");
        free(ir);
        /* The inputs stay 16-bit in shared memory, stored as their
         * row-major matrices lie (A as [m][k], B as [k][n]), rows padded
         * by 8. */
        const tsr_tile *as = nth_shared_tile(p, 0), *bs = nth_shared_tile(p, 1);
        CHECK(as && as->dtype == TSR_F16 && as->rows == 64 && as->cols == 32 && as->pad == 8 &&
              !as->transposed);
        CHECK(bs && bs->dtype == TSR_F16 && bs->rows == 32 && bs->cols == 64 && bs->pad == 8 &&
              !bs->transposed);
    }
    tp_kernel *kernel = NULL;
    CHECK(p && tsr_lower(p, arena, &kernel, &err) == TSR_OK);
    char *opencl = NULL, *cuda = nvidia_only(kernel, "matrix unit", &opencl);
    if (opencl) {
        CHECK_MSG(check_count(opencl, "tsr_mma_f16(") == 9, "%d mentions of tsr_mma_f16( in OpenCL",
                  check_count(opencl, "tsr_mma_f16("));
        CHECK_STR_CONTAINS(opencl, "tsr_ldmatrix_x4(fa");
        CHECK_STR_CONTAINS(opencl, "tsr_ldmatrix_x4_trans(fb");
        CHECK_STR_CONTAINS(opencl, "ldmatrix.sync.aligned.m8n8.x4\" trans");
        /* The 16-bit tiles as stored: ushort, which OpenCL C declares
         * without cl_khr_fp16. */
        CHECK_STR_CONTAINS(opencl, "__local __attribute__((aligned(16))) ushort As[");
        CHECK_STR_CONTAINS(opencl, "__global const ushort *restrict A");
    }
    free(opencl);
    if (cuda) {
        const char *out_data = cuda;
        /* 2 x 4 fragments, 2 steps of 16 (the unrolled loop runs twice):
         * eight calls, and the helper's definition. */
        int calls = check_count(out_data, "tsr_mma_f16(");
        CHECK_MSG(calls == 9, "%d mentions of tsr_mma_f16(", calls);
        CHECK_STR_CONTAINS(out_data, "mma.sync.aligned.m16n8k16.row.col.f32.");
        /* A's fragments as stored, B's (k across its rows) transposed. */
        CHECK_STR_CONTAINS(out_data, "tsr_ldmatrix_x4(fa");
        CHECK_STR_CONTAINS(out_data, "tsr_ldmatrix_x4_trans(fb");
    }
    free(cuda);
    /* f32 inputs only as tf32, which a plain f32 spec does not allow; no
     * unit at all on the small profile. */
    tsr_config on_f32 = config_of(f32->op, text);
    CHECK(f32->op->check(f32, h200, &on_f32, &err) == TSR_ERR_UNSUPPORTED);
    CHECK_STR_CONTAINS(err.msg, "MU=1 multiplies f32 inputs as tf32 only");
    tsr_profile *small = small_profile(4096, 1 << 20, 255);
    CHECK(small && spec->op->check(spec, small, &config, &err) == TSR_ERR_UNSUPPORTED);
    tsr_profile_free(small);
    /* What the unit makes meaningless stays at one value. */
    tsr_config strided = config_of(spec->op, "MU=1,BM=64,BN=64,BK=32,TM=2,TN=4,STRN=1,KU=2,VW=1");
    CHECK(spec->op->check(spec, h200, &strided, &err) == TSR_ERR_UNSUPPORTED);
    CHECK_STR_CONTAINS(err.msg, "VN, STRM, STRN must be 1, 0, 0");
    /* Vectors copy the 16-bit values as stored, each one aligned store:
     * both tiles' rows run along their matrices' rows. */
    const char *vector_text = "MU=1,BM=64,BN=64,BK=32,TM=2,TN=4,STRN=0,KU=2,VN=1,VW=8,PAD=1";
    tp_kernel *vk = lowered(arena, spec, h200, vector_text);
    char *vk_opencl = NULL, *vk_text = nvidia_only(vk, "cannot spell", &vk_opencl);
    if (vk_opencl)
        CHECK_STR_CONTAINS(vk_opencl, "= vload8(0, (const __global ushort *)(A + ");
    free(vk_opencl);
    if (vk_text) {
        const char *text = vk_text;
        CHECK_STR_CONTAINS(text, "const tsr_ushort8 v");
        CHECK_STR_CONTAINS(text, "= tsr_vload_u16<8>(A + ");
        CHECK_STR_CONTAINS(text, "tsr_vstore_aligned<8>(&As[");
        CHECK_STR_CONTAINS(text, "tsr_vload_u16<8>(B + ");
        CHECK_STR_CONTAINS(text, "tsr_vstore_aligned<8>(&Bs[");
    }
    free(vk_text);
    /* PF=2: a ring of three stages filled by cp.async, two k-steps ahead,
     * which only CUDA spells; refused where the profile lists no async
     * copies. */
    tsr_config ring =
        config_of(spec->op, "MU=1,BM=64,BN=64,BK=32,TM=2,TN=4,STRN=0,KU=2,VN=1,VW=8,PAD=1,PF=2");
    tsr_tile_program *rp = NULL;
    tp_kernel *rk = NULL;
    CHECK_MSG(spec->op->build(arena, spec, h200, &ring, &rp, &err) == TSR_OK, "%s", err.msg);
    if (rp) {
        CHECK(nth_shared_tile(rp, 0) && nth_shared_tile(rp, 0)->stages == 3);
        char *ir = dump(rp);
        CHECK_STR_CONTAINS(ir, "wait for async loads, 1 pending");
        CHECK_STR_CONTAINS(ir, "commit async loads");
        free(ir);
    }
    CHECK(rp && tsr_lower(rp, arena, &rk, &err) == TSR_OK);
    char *rk_opencl = NULL, *rk_text = nvidia_only(rk, "cannot spell", &rk_opencl);
    if (rk_opencl) {
        CHECK_STR_CONTAINS(rk_opencl, "tsr_cp_async_aligned(8, &As[");
        CHECK_STR_CONTAINS(rk_opencl, "(tsr_aligned(A, 16) && K % 8 == 0 && ");
    }
    free(rk_opencl);
    if (rk_text) {
        const char *text = rk_text;
        /* Each whole vector is copied without a test of its own: the
         * branch tests once that the buffer, its leading dim and the
         * batch's offset keep every vector 16-byte aligned. */
        CHECK_STR_CONTAINS(text, "tsr_cp_async_aligned<8>(&As[");
        CHECK_STR_CONTAINS(text, "tsr_cp_async_aligned<8>(&Bs[");
        CHECK_STR_CONTAINS(text, "(tsr_aligned(A, 16) && K % 8 == 0 && ");
        CHECK_STR_CONTAINS(text, "(tsr_aligned(B, 16) && N % 8 == 0 && ");
        CHECK(!strstr(text, "tsr_cp_async<"));
        CHECK_STR_CONTAINS(text, "cp.async.wait_group 1;");
    }
    free(rk_text);
    /* A gathered operand (conv2d's image) is read where the taps fall, so
     * each of its copies tests its own address. */
    tsr_opspec *conv = parse_spec("schema: 1\nname: c\nop: conv2d\ndtype: f16\n"
                                  "conv2d: {layout: nhwc, filter: 3, stride: 2, pad: 1}\n"
                                  "shapes:\n  - {n: 1, c: 16, h: 9, w: 9, k: 16}\n");
    char *conv_text =
        generated(lowered(arena, conv, h200,
                          "MU=1,BM=64,BN=64,BK=16,TM=2,TN=4,STRN=0,KU=1,VN=1,VW=8,PAD=1,PF=2"),
                  "cuda");
    if (conv_text) {
        CHECK_STR_CONTAINS(conv_text, "tsr_cp_async<8>(&As[");
        CHECK(!strstr(conv_text, "tsr_aligned(X"));
    }
    free(conv_text);
    tsr_opspec_free(conv);
    tsr_profile *no_async = small_profile(4096, 1 << 20, 255);
    tsr_config f32_ring = config_of(f32->op, "PF=2");
    CHECK(no_async && f32->op->check(f32, no_async, &f32_ring, &err) == TSR_ERR_UNSUPPORTED);
    CHECK_STR_CONTAINS(err.msg, "features: async_copy");
    tsr_profile_free(no_async);
    /* A transposed A (tn) is stored [k][m]: its fragments read transposed,
     * B's as stored. */
    tsr_opspec *tn = parse_spec("schema: 1\nname: h\nop: gemm\ndtype: bf16\n"
                                "gemm: {a: col, b: col}\n"
                                "shapes:\n  - {m: 7, n: 13, k: 17}\n");
    tsr_tile_program *tp = NULL;
    tp_kernel *tk = NULL;
    tsr_config vector = config_of(spec->op, vector_text);
    CHECK(tn && tn->op->build(arena, tn, h200, &vector, &tp, &err) == TSR_OK);
    CHECK(tp && nth_shared_tile(tp, 0)->transposed && nth_shared_tile(tp, 1)->transposed);
    CHECK(tp && tsr_lower(tp, arena, &tk, &err) == TSR_OK);
    char *tk_text = generated(tk, "cuda");
    if (tk_text) {
        CHECK_STR_CONTAINS(tk_text, "tsr_ldmatrix_x4_trans(fa");
        CHECK_STR_CONTAINS(tk_text, "tsr_ldmatrix_x4(fb");
    }
    free(tk_text);
    tsr_opspec_free(tn);
    tsr_config odd_k = config_of(spec->op, "MU=1,BM=64,BN=64,BK=8,TM=2,TN=4,STRN=0,KU=1,VW=1");
    CHECK(spec->op->check(spec, h200, &odd_k, &err) == TSR_ERR_UNSUPPORTED);
    CHECK_STR_CONTAINS(err.msg, "steps k by 16");
out:
    tsr_arena_destroy(arena);
    tsr_opspec_free(spec);
    tsr_opspec_free(f32);
    tsr_profile_free(h200);
}

/* f32 inputs the spec lets be multiplied as tf32 (`math: tf32`): MU=1 is
 * m16n8k8 on the f32 tiles, each fragment value read by itself and
 * rounded to tf32 (ldmatrix moves 16-bit pairs), in k-steps of 8;
 * refused by HIP and OpenCL, on a profile without the unit, and with KU
 * past BK / 8. */
static void tf32_gemm_lowers_to_mma_m16n8k8_on_nvidia_only(void)
{
    tsr_profile *h200 = check_repo_profile("nvidia-h200"),
                *mi300x = check_repo_profile("amd-mi300x");
    tsr_error err = {{0}};
    tsr_opspec *spec = parse_spec("schema: 1\nname: t\nop: gemm\ndtype: f32\n"
                                  "gemm: {math: tf32}\nshapes:\n  - {m: 7, n: 13, k: 17}\n");
    tsr_arena *arena = tsr_arena_create();
    if (!h200 || !mi300x || !spec || !arena)
        goto out;
    CHECK(spec->tf32);
    CHECK_STR_CONTAINS(tsr_opspec_key(spec), ".math=tf32");
    const char *text = "MU=1,BM=64,BN=64,BK=16,TM=2,TN=4,STRN=0,KU=2,VN=1,VW=4,PAD=1";
    tsr_config config = config_of(spec->op, text);
    tsr_tile_program *p = NULL;
    CHECK_MSG(spec->op->build(arena, spec, h200, &config, &p, &err) == TSR_OK, "%s", err.msg);
    if (p) {
        char *ir = dump(p);
        CHECK_STR_CONTAINS(ir, "warps 2x2 on mma.sync m16n8k8 tf32");
        free(ir);
        /* The tiles hold f32 as loaded, as their matrices lie. */
        const tsr_tile *as = nth_shared_tile(p, 0), *bs = nth_shared_tile(p, 1);
        CHECK(as && as->dtype == TSR_F32 && as->rows == 64 && as->cols == 16 && !as->transposed);
        CHECK(bs && bs->dtype == TSR_F32 && bs->rows == 16 && bs->cols == 64 && !bs->transposed);
    }
    tp_kernel *kernel = NULL;
    CHECK(p && tsr_lower(p, arena, &kernel, &err) == TSR_OK);
    char *opencl = NULL, *cuda = nvidia_only(kernel, "mma.sync m16n8k8 tf32", &opencl);
    /* OpenCL on NVIDIA: the same calls, the unit and the rounding in
     * inline PTX. */
    if (opencl) {
        int calls = check_count(opencl, "tsr_mma_tf32(");
        CHECK_MSG(calls == 9, "%d mentions of tsr_mma_tf32( in OpenCL", calls);
        CHECK_MSG(check_count(opencl, "tsr_to_tf32(") == 17, "%d roundings in OpenCL",
                  check_count(opencl, "tsr_to_tf32("));
        CHECK_STR_CONTAINS(opencl, "#define tsr_mma_tf32(...) TSR_MMA(\"m16n8k8\", \"tf32\"");
        CHECK_STR_CONTAINS(opencl, " + 8 + tx % 32 / 4][k");
    }
    free(opencl);
    if (cuda) {
        /* 2 x 4 fragments per k-step of 8, the loop's body printed once:
         * eight calls and the helper. A's 4 values per fragment row, B's 2
         * per fragment col: 2 x 4 + 4 x 2 roundings and the helper. */
        int calls = check_count(cuda, "tsr_mma_tf32(");
        CHECK_MSG(calls == 9, "%d mentions of tsr_mma_tf32(", calls);
        int rounded = check_count(cuda, "tsr_to_tf32(");
        CHECK_MSG(rounded == 17, "%d mentions of tsr_to_tf32(", rounded);
        CHECK_STR_CONTAINS(cuda, "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32");
        CHECK_STR_CONTAINS(cuda, "cvt.rna.tf32.f32");
        CHECK_STR_CONTAINS(cuda, " < 16; kk16 += 8) {");
        /* a1 and a3 eight rows down, a2 and a3 (and b1) four k along. */
        CHECK_STR_CONTAINS(cuda, " + 8 + tx % 32 / 4][k");
        CHECK_STR_CONTAINS(cuda, " + 4 + tx % 32 % 4][tx / 32 * 32 + tx % 32 / 4]");
        CHECK(!strstr(cuda, "tsr_ldmatrix_x4(fa") && !strstr(cuda, "tsr_ldmatrix_x4_trans(fb"));
    }
    free(cuda);
    /* k-steps of 8: BK=8 is whole, KU at most BK / 8. */
    tsr_config short_k = config_of(spec->op, "MU=1,BM=64,BN=64,BK=8,TM=2,TN=4,STRN=0,KU=1,VW=4");
    CHECK_MSG(spec->op->check(spec, h200, &short_k, &err) == TSR_OK, "%s", err.msg);
    expect_refused(spec, h200, "MU=1,BM=64,BN=64,BK=16,TM=2,TN=4,STRN=0,KU=4",
                   "MU=1 steps k by 8: BK=16 must be a multiple and KU=4");
    /* The MI300X lists tf32 for its MFMA, not NVIDIA's mma. */
    expect_refused(spec, mi300x, text, "no mma m16n8k8 unit for tf32 inputs");
    /* The warpgroup's unit reads K-major tf32 only (see the next test). */
    expect_refused(spec, h200,
                   "MU=2,BM=128,BN=128,BK=64,TM=1,TN=16,STRN=0,KU=1,VN=1,VW=4,PAD=0,PF=2",
                   "MU=2 on tf32 reads K-major tiles only");
out:
    tsr_arena_destroy(arena);
    tsr_opspec_free(spec);
    tsr_profile_free(h200);
    tsr_profile_free(mi300x);
}

/* The op's model estimate (its last feature, log2 of seconds) for a config
 * on the spec's first shape. */
static double model_log2_seconds(const tsr_opspec *spec, const tsr_profile *profile,
                                 const tsr_config *config)
{
    double f[TSR_MAX_OP_FEATURES];
    int n = spec->op->features(spec, profile, &spec->shapes[0], config, NULL, f);
    return n > 0 ? f[n - 1] : -1;
}

/* f64 on the warp's unit (MU=1, sm_90 and later): m16n8k8 on the f64
 * tiles into f64 accumulators, each fragment value a double read by
 * itself, laid out as tf32's, in k-steps of 8; refused by HIP, on a
 * profile without the unit (the A100's, whose f64 unit is m8n8k4) and
 * with a split of K. The H200's start is the unit's measured ring, and the
 * model prices it at the unit's own rate. */
static void f64_gemm_lowers_to_mma_m16n8k8_on_nvidia_only(void)
{
    tsr_profile *h200 = check_repo_profile("nvidia-h200"), *pocl = check_repo_profile("pocl-cpu");
    tsr_error err = {{0}};
    tsr_opspec *spec = parse_spec("schema: 1\nname: d\nop: gemm\ndtype: f64\n"
                                  "shapes:\n  - {m: 4096, n: 4096, k: 4096}\n");
    tsr_arena *arena = tsr_arena_create();
    if (!h200 || !pocl || !spec || !arena)
        goto out;
    const char *text = "MU=1,BM=64,BN=64,BK=16,TM=2,TN=4,STRN=0,KU=2,VN=1,VW=2,PAD=1";
    tsr_config config = config_of(spec->op, text);
    tsr_tile_program *p = NULL;
    CHECK_MSG(spec->op->build(arena, spec, h200, &config, &p, &err) == TSR_OK, "%s", err.msg);
    if (p) {
        char *ir = dump(p);
        CHECK_STR_CONTAINS(ir, "warps 2x2 on mma.sync m16n8k8 f64");
        CHECK_STR_CONTAINS(ir, "tile acc register f64 4x8");
        free(ir);
        const tsr_tile *as = nth_shared_tile(p, 0), *bs = nth_shared_tile(p, 1);
        CHECK(as && as->dtype == TSR_F64 && bs && bs->dtype == TSR_F64);
    }
    tp_kernel *kernel = NULL;
    CHECK(p && tsr_lower(p, arena, &kernel, &err) == TSR_OK);
    char *opencl = NULL, *cuda = nvidia_only(kernel, "mma.sync m16n8k8 f64", &opencl);
    if (opencl) {
        CHECK_MSG(check_count(opencl, "tsr_mma_f64(") == 9, "%d mentions of tsr_mma_f64( in OpenCL",
                  check_count(opencl, "tsr_mma_f64("));
        CHECK_STR_CONTAINS(opencl, "mma.sync.aligned.m16n8k8.row.col.f64.f64.f64.f64");
        CHECK_STR_CONTAINS(opencl, ": \"+d\"(c0), \"+d\"(c1)");
    }
    free(opencl);
    if (cuda) {
        /* 2 x 4 fragments per k-step of 8: eight calls and the helper; A's
         * 4 doubles per fragment row and B's 2 per fragment col, unrounded. */
        CHECK_MSG(check_count(cuda, "tsr_mma_f64(") == 9, "%d mentions of tsr_mma_f64(",
                  check_count(cuda, "tsr_mma_f64("));
        CHECK_MSG(check_count(cuda, "double fa") == 8, "%d A registers",
                  check_count(cuda, "double fa"));
        CHECK_MSG(check_count(cuda, "double fb") == 8, "%d B registers",
                  check_count(cuda, "double fb"));
        CHECK(check_count(cuda, "tsr_to_tf32(") == 1); /* the helper alone */
        CHECK_STR_CONTAINS(cuda, "mma.sync.aligned.m16n8k8.row.col.f64.f64.f64.f64");
        CHECK_STR_CONTAINS(cuda, "\"+d\"(c0)");
        CHECK_STR_CONTAINS(cuda, " < 16; kk16 += 8) {");
        CHECK_STR_CONTAINS(cuda, " + 8 + tx % 32 / 4][k");
        CHECK_STR_CONTAINS(cuda, " + 4 + tx % 32 % 4][tx / 32 * 32 + tx % 32 / 4]");
    }
    free(cuda);
    /* Only an f64 kernel on the unit carries the unit's f64 helper: not the
     * FMAs' f64 kernel (with cp.async, which prints the other unit
     * helpers), nor a 16-bit kernel on the unit. */
    tp_kernel *fmas_kernel = lowered(arena, spec, h200, "MU=0,PF=2,VW=2");
    tsr_opspec *half = parse_spec(
        "schema: 1\nname: h\nop: gemm\ndtype: f16\nshapes:\n  - {m: 64, n: 64, k: 64}\n");
    tp_kernel *half_kernel =
        lowered(arena, half, h200, "MU=1,BM=64,BN=64,BK=16,TM=2,TN=4,STRN=0,KU=1,VW=8,PAD=1");
    for (int d = 0; d < 2; d++) {
        const char *dialect = d ? "opencl" : "cuda";
        char *fmas_text = fmas_kernel ? generated(fmas_kernel, dialect) : NULL;
        char *half_text = half_kernel ? generated(half_kernel, dialect) : NULL;
        CHECK_MSG(fmas_text && strstr(fmas_text, "tsr_cp_async") &&
                      !strstr(fmas_text, "tsr_mma_f64"),
                  "%s: the FMAs' f64 kernel", dialect);
        CHECK_MSG(half_text && strstr(half_text, "tsr_mma_f16(") && !strstr(half_text, "double"),
                  "%s: an f16 kernel on the unit", dialect);
        free(fmas_text);
        free(half_text);
    }
    tsr_opspec_free(half);
    expect_refused(spec, h200, "MU=1,BM=64,BN=64,BK=16,TM=2,TN=4,STRN=0,KU=4",
                   "MU=1 steps k by 8: BK=16 must be a multiple and KU=4");
    expect_refused(spec, pocl, text,
                   "MU=1: the profile lists no mma m16n8k8 or m8n8k4 unit for f64 inputs "
                   "with f64 products");
    /* The start: the unit's ring where the profile lists it. */
    tsr_config start;
    const char *origin = NULL;
    CHECK(tsr_config_start(spec, h200, &start, &origin, &err) == TSR_OK);
    CHECK(origin && !strcmp(origin, "suggested"));
    CHECK(tsr_config_get(spec->op, &start, "MU") == 1 &&
          tsr_config_get(spec->op, &start, "BK") == 8 &&
          tsr_config_get(spec->op, &start, "TM") == 2 &&
          tsr_config_get(spec->op, &start, "TN") == 4 &&
          tsr_config_get(spec->op, &start, "VW") == 2 &&
          tsr_config_get(spec->op, &start, "PF") == 2 &&
          tsr_config_get(spec->op, &start, "RS") == 8);
    /* The model: the unit's ring at the unit's 67 TFLOP/s beats the
     * threads' FMAs' best at their 34 (measured 3.38 against 9.46 ms). */
    tsr_config fmas = config_of(spec->op, "BM=128,BN=64,BK=16,TM=8,TN=8,VW=8,SA=0,SB=1,PAD=0,"
                                          "STRM=1,STRN=1,KU=2,VN=1,PF=2");
    tsr_config ring = config_of(spec->op, "MU=1,BM=128,BN=128,BK=32,TM=4,TN=4,VW=2,PAD=1,STRN=0,"
                                          "KU=4,PF=2");
    double t_fmas = model_log2_seconds(spec, h200, &fmas);
    double t_ring = model_log2_seconds(spec, h200, &ring);
    CHECK_MSG(t_ring < t_fmas - 1, "ring 2^%g s, FMAs 2^%g s", t_ring, t_fmas);
out:
    tsr_arena_destroy(arena);
    tsr_opspec_free(spec);
    tsr_profile_free(h200);
    tsr_profile_free(pocl);
}

/* The text from a kernel's entry on (after the helpers). */
static const char *kernel_entry(const char *text)
{
    const char *entry = text ? strstr(text, "tsr_gemm(") : NULL;
    CHECK(entry != NULL);
    return entry ? entry : "";
}

/* An A100's unit for doubles is m8n8k4, four of which take the registers
 * of one m16n8k8: the same program, lowering and kernel as on an H200,
 * but for the unit's helper, which spells each product as four; the
 * A100's start is the H200's, and the model prices it at the unit's 19.5
 * TFLOP/s, above the FMAs' 9.7. */
static void f64_gemm_on_an_a100_is_four_m8n8k4(void)
{
    tsr_profile *h200 = check_repo_profile("nvidia-h200"),
                *a100 = check_repo_profile("nvidia-a100-80gb");
    tsr_error err = {{0}};
    tsr_opspec *spec = parse_spec("schema: 1\nname: d\nop: gemm\ndtype: f64\n"
                                  "shapes:\n  - {m: 4096, n: 4096, k: 4096}\n");
    tsr_arena *arena = tsr_arena_create();
    if (!h200 || !a100 || !spec || !arena)
        goto out;
    const char *text = "MU=1,BM=64,BN=64,BK=16,TM=2,TN=4,STRN=0,KU=2,VN=1,VW=2,PAD=1";
    tsr_config config = config_of(spec->op, text);
    tsr_tile_program *p = NULL;
    CHECK_MSG(spec->op->build(arena, spec, a100, &config, &p, &err) == TSR_OK, "%s", err.msg);
    if (p) {
        char *ir = dump(p);
        CHECK_STR_CONTAINS(ir, "warps 2x2 on mma.sync m8n8k4 f64, four a 16 x 8 x 8");
        free(ir);
    }
    tp_kernel *kernel = NULL;
    CHECK(p && tsr_lower(p, arena, &kernel, &err) == TSR_OK);
    tp_kernel *h200_kernel = lowered(arena, spec, h200, text);
    char *opencl = NULL, *cuda = nvidia_only(kernel, "mma.sync m8n8k4 f64", &opencl);
    for (int d = 0; d < 2; d++) {
        const char *dialect = d ? "opencl" : "cuda";
        char *text_a100 = d ? opencl : cuda;
        char *text_h200 = h200_kernel ? generated(h200_kernel, dialect) : NULL;
        /* Eight calls a k-step of 8, and the helper; m8n8k4 four times in
         * it, through one macro, and no m16n8k8 of doubles. */
        CHECK_MSG(check_count(text_a100, "tsr_mma_f64(") == 9, "%s: %d mentions of tsr_mma_f64(",
                  dialect, check_count(text_a100, "tsr_mma_f64("));
        CHECK_MSG(check_count(text_a100, "mma.sync.aligned.m8n8k4.row.col.f64.f64.f64.f64") == 1,
                  "%s", dialect);
        CHECK_MSG(check_count(text_a100, d ? "tsr_mma_f64_k4(" : "TSR_MMA_F64_K4(") == 5, "%s",
                  dialect);
        CHECK_MSG(text_a100 && !strstr(text_a100, "m16n8k8.row.col.f64"), "%s", dialect);
        CHECK_MSG(text_h200 && !strstr(text_h200, "m8n8k4"), "%s", dialect);
        CHECK_MSG(!strcmp(kernel_entry(text_a100), kernel_entry(text_h200)),
                  "%s: the kernels differ past their helpers", dialect);
        free(text_h200);
    }
    free(opencl);
    free(cuda);
    tsr_config start;
    const char *origin = NULL;
    tsr_config h200_start;
    CHECK(tsr_config_start(spec, h200, &h200_start, &origin, &err) == TSR_OK);
    CHECK(tsr_config_start(spec, a100, &start, &origin, &err) == TSR_OK);
    CHECK(origin && !strcmp(origin, "suggested"));
    CHECK(tsr_config_get(spec->op, &start, "MU") == 1 &&
          !memcmp(&start, &h200_start, sizeof start));
    CHECK(spec->op->check(spec, a100, &start, &err) == TSR_OK);
    tsr_config fmas = config_of(spec->op, "BM=128,BN=64,BK=16,TM=8,TN=8,VW=8,SA=0,SB=1,PAD=0,"
                                          "STRM=1,STRN=1,KU=2,VN=1,PF=2");
    double t_fmas = model_log2_seconds(spec, a100, &fmas);
    double t_ring = model_log2_seconds(spec, a100, &start);
    CHECK_MSG(t_ring < t_fmas - 0.5, "ring 2^%g s, FMAs 2^%g s", t_ring, t_fmas);
out:
    tsr_arena_destroy(arena);
    tsr_opspec_free(spec);
    tsr_profile_free(h200);
    tsr_profile_free(a100);
}

/* tf32 on the warpgroup's unit (MU=2): wgmma m64nNk8 reads K-major tiles
 * only, so A row-major and B column-major (a linear layer's weights); the
 * f32 tiles lie in the 128-byte swizzle as columns of 32 values in chunks
 * of 4, and the instruction takes no transpose operands. Refused for other
 * layouts, vectors wider than a chunk, k-steps that are not whole swizzled
 * rows, a spec without tf32, and a profile without the unit. */
static void tf32_gemm_lowers_to_wgmma_m64nk8_for_k_major_tiles(void)
{
    tsr_profile *h200 = check_repo_profile("nvidia-h200"),
                *a100 = check_repo_profile("nvidia-a100-80gb");
    tsr_error err = {{0}};
    tsr_opspec *nt = parse_spec("schema: 1\nname: t\nop: gemm\ndtype: f32\n"
                                "gemm: {b: col, math: tf32}\nshapes:\n  - {m: 7, n: 13, k: 17}\n");
    tsr_opspec *nn = parse_spec("schema: 1\nname: t\nop: gemm\ndtype: f32\n"
                                "gemm: {math: tf32}\nshapes:\n  - {m: 7, n: 13, k: 17}\n");
    tsr_opspec *plain = parse_spec("schema: 1\nname: t\nop: gemm\ndtype: f32\ngemm: {b: col}\n"
                                   "shapes:\n  - {m: 7, n: 13, k: 17}\n");
    tsr_arena *arena = tsr_arena_create();
    if (!h200 || !a100 || !nt || !nn || !plain || !arena)
        goto out;
    const char *text = "MU=2,BM=128,BN=128,BK=32,TM=1,TN=16,STRN=0,KU=1,VN=1,VW=4,PAD=0,PF=3";
    tsr_config config = config_of(nt->op, text);
    tsr_tile_program *p = NULL;
    CHECK_MSG(nt->op->build(arena, nt, h200, &config, &p, &err) == TSR_OK, "%s", err.msg);
    if (p) {
        char *ir = dump(p);
        CHECK_STR_CONTAINS(ir, "on wgmma m64nNk8 tf32");
        free(ir);
        const tsr_tile *as = nth_shared_tile(p, 0), *bs = nth_shared_tile(p, 1);
        CHECK(as && as->dtype == TSR_F32 && as->swizzled && !as->transposed);
        CHECK(bs && bs->dtype == TSR_F32 && bs->swizzled && bs->transposed);
    }
    tp_kernel *kernel = NULL;
    CHECK(p && tsr_lower(p, arena, &kernel, &err) == TSR_OK);
    char *cuda = cuda_only(kernel, "cannot spell");
    if (cuda) {
        /* Four k-steps of 8 in BK = 32, one slice each. */
        int calls = check_count(cuda, "wgmma.mma_async.sync.aligned.m64n128k8.f32.tf32.tf32 {");
        CHECK_MSG(calls == 4, "%d wgmma m64n128k8", calls);
        CHECK_STR_CONTAINS(cuda, "}, %64, %65, 1, 1, 1;");
        CHECK(!strstr(cuda, "1, 1, 0, 0;") && !strstr(cuda, "1, 1, 0, 1;"));
        /* A 128-byte row of 32 f32 in chunks of 4, permuted by the row. */
        CHECK_STR_CONTAINS(cuda, " % 32 / 4 ^ ");
        CHECK_STR_CONTAINS(cuda, "tsr_cp_async_aligned<4>(&As[");
        /* The k-step of 8 starts 32 bytes into the row, as 16 halves do. */
        CHECK_STR_CONTAINS(cuda, "][8 % 32 / 4 * 4], 16, 1024)");
    }
    free(cuda);
    expect_refused(nt, h200, "MU=2,BM=128,BN=128,BK=32,TM=1,TN=16,STRN=0,KU=1,VW=8",
                   "VW=8 must be at most 4");
    expect_refused(nt, h200, "MU=2,BM=128,BN=128,BK=16,TM=1,TN=16,STRN=0,KU=1,VW=4",
                   "in rows of 32: BK=16");
    expect_refused(nn, h200, text, "K-major tiles only");
    expect_refused(plain, h200, text, "MU=2 multiplies f32 inputs as tf32 only");
    expect_refused(nt, a100, text, "no wgmma m64nNk8 unit for tf32 inputs");
out:
    tsr_arena_destroy(arena);
    tsr_opspec_free(nt);
    tsr_opspec_free(nn);
    tsr_opspec_free(plain);
    tsr_profile_free(h200);
    tsr_profile_free(a100);
}

/* OpenCL kernels without the matrix unit or the copies (every kernel of a
 * profile that lists neither, PoCL's among them) carry no inline PTX:
 * only NVIDIA's OpenCL compiler would take it. */
static void opencl_prints_inline_ptx_only_where_used(void)
{
    tsr_profile *pocl = check_repo_profile("pocl-cpu"), *h200 = check_repo_profile("nvidia-h200");
    tsr_arena *arena = tsr_arena_create();
    tsr_opspec *f32 = gemm_spec("row", "row", 0.0);
    const tsr_profile *profiles[] = {pocl, h200};
    for (int i = 0; i < 2; i++) {
        char *text = generated(
            lowered(arena, f32, profiles[i], "BM=64,BN=64,BK=16,TM=4,TN=4,VW=4,PF=1"), "opencl");
        if (text) {
            CHECK(!strstr(text, "__asm__") && !strstr(text, "tsr_cp_async"));
            CHECK(!strstr(text, "tsr_aligned") && !strstr(text, "tsr_mma_tf32"));
        }
        free(text);
    }
    tsr_arena_destroy(arena);
    tsr_opspec_free(f32);
    tsr_profile_free(pocl);
    tsr_profile_free(h200);
}

/* AMD's wave unit (MU=3): waves of 64 threads, 16-bit tiles as loaded,
 * rows padded by 8, four values of each operand per lane and one MFMA
 * 16x16x16 per fragment and 16 of k; in HIP the instruction's builtin, in
 * OpenCL a helper that is the instruction on AMD's targets and its
 * emulation elsewhere, beside a local scratch of 512 floats a wave; CUDA
 * refuses it, check() refuses it without the unit, and the unit's helpers
 * stay out of kernels that do not use it. */
static void wave_unit_gemm_lowers_to_mfma_for_hip_and_opencl(void)
{
    tsr_profile *mi250x = check_repo_profile("amd-mi250x"),
                *h200 = check_repo_profile("nvidia-h200");
    tsr_error err = {{0}};
    tsr_opspec *spec = parse_spec("schema: 1\nname: h\nop: gemm\ndtype: f16\n"
                                  "shapes:\n  - {m: 7, n: 13, k: 17}\n");
    tsr_opspec *bf16 = parse_spec("schema: 1\nname: b\nop: gemm\ndtype: bf16\ngemm: {a: col}\n"
                                  "shapes:\n  - {m: 7, n: 13, k: 17}\n");
    tsr_arena *arena = tsr_arena_create();
    if (!mi250x || !h200 || !spec || !bf16 || !arena)
        goto out;
    const char *text = "MU=3,BM=64,BN=64,BK=32,TM=2,TN=2,STRN=0,KU=1,VN=1,VW=8,PAD=1";
    tsr_config config = config_of(spec->op, text);
    tsr_tile_program *p = NULL;
    CHECK_MSG(spec->op->build(arena, spec, mi250x, &config, &p, &err) == TSR_OK, "%s", err.msg);
    if (p) {
        /* Two waves along each axis, 64 threads each along x. */
        CHECK(p->local[0] == 128 && p->local[1] == 2);
        char *ir = dump(p);
        CHECK_STR_CONTAINS(ir, "waves 2x2 on mfma 16x16x16");
        free(ir);
        const tsr_tile *as = nth_shared_tile(p, 0), *bs = nth_shared_tile(p, 1);
        CHECK(as && as->dtype == TSR_F16 && as->rows == 64 && as->cols == 32 && as->pad == 8 &&
              !as->transposed);
        CHECK(bs && bs->dtype == TSR_F16 && bs->cols == 64 && !bs->transposed);
    }
    tp_kernel *kernel = NULL;
    CHECK(p && tsr_lower(p, arena, &kernel, &err) == TSR_OK);
    check_refused(kernel, "cuda", "MFMA 16x16x16");
    char *hip = generated(kernel, "hip"), *opencl = generated(kernel, "opencl");
    if (hip) {
        /* 2 x 2 fragments, 2 steps of 16 (a loop of one step at a time):
         * four calls, and the helpers' definitions. */
        CHECK_MSG(check_count(hip, "tsr_mfma_f16(acc_") == 4, "%d calls in HIP",
                  check_count(hip, "tsr_mfma_f16(acc_"));
        CHECK_STR_CONTAINS(hip, "__builtin_amdgcn_mfma_f32_16x16x16f16");
        /* Lane l reads A's row l % 16 at k 4 (l / 16) .. + 3. */
        CHECK_STR_CONTAINS(hip, "tx % 64 % 16][k");
        CHECK_STR_CONTAINS(hip, "tx % 64 / 16 * 4 + 3]");
        CHECK(!strstr(hip, "tsr_wave_scratch"));
    }
    if (opencl) {
        CHECK_MSG(check_count(opencl, "tsr_mfma_f16(&acc_") == 4, "%d calls in OpenCL",
                  check_count(opencl, "tsr_mfma_f16(&acc_"));
        CHECK_STR_CONTAINS(opencl,
                           "__local float tsr_wave_scratch[256 * TSR_WAVE_FLOATS_PER_ITEM];");
        CHECK_STR_CONTAINS(opencl, "__builtin_amdgcn_mfma_f32_16x16x16f16(");
        CHECK_STR_CONTAINS(opencl, "float4 tsr_mfma_emulated(");
        CHECK_STR_CONTAINS(opencl, "(ushort4)(fa");
        CHECK(!strstr(opencl, "__asm__"));
    }
    free(hip);
    free(opencl);
    /* bf16 with A column-major: A's tile stored as it lies, [k][m]. */
    tsr_config on_bf16 = config_of(bf16->op, text);
    p = NULL;
    CHECK_MSG(bf16->op->build(arena, bf16, mi250x, &on_bf16, &p, &err) == TSR_OK, "%s", err.msg);
    const tsr_tile *at = p ? nth_shared_tile(p, 0) : NULL;
    CHECK(at && at->dtype == TSR_BF16 && at->transposed);
    kernel = NULL;
    CHECK(p && tsr_lower(p, arena, &kernel, &err) == TSR_OK);
    hip = generated(kernel, "hip");
    if (hip)
        CHECK_MSG(check_count(hip, "tsr_mfma_bf16(acc_") == 4, "%d bf16 calls",
                  check_count(hip, "tsr_mfma_bf16(acc_"));
    free(hip);
    /* No unit on NVIDIA's profiles; fragments past a wave's 4 x 4; k-steps of 16. */
    CHECK(spec->op->check(spec, h200, &config, &err) == TSR_ERR_UNSUPPORTED);
    CHECK_STR_CONTAINS(err.msg, "no mfma 16x16x16 unit for f16");
    tsr_config wide = config_of(spec->op, "MU=3,BM=128,BN=128,BK=32,TM=8,TN=2,STRN=0,KU=1,VW=8");
    CHECK(spec->op->check(spec, mi250x, &wide, &err) == TSR_ERR_UNSUPPORTED);
    CHECK_STR_CONTAINS(err.msg, "exceed a wave's 4 x 4");
    tsr_config short_k = config_of(spec->op, "MU=3,BM=64,BN=64,BK=8,TM=2,TN=2,STRN=0,KU=1,VW=8");
    CHECK(spec->op->check(spec, mi250x, &short_k, &err) == TSR_ERR_UNSUPPORTED);
    CHECK_STR_CONTAINS(err.msg, "MU=3 steps k by 16");
    /* A kernel without the unit carries none of its helpers. */
    char *plain =
        generated(lowered(arena, spec, mi250x, "BM=64,BN=64,BK=16,TM=4,TN=4,VW=4"), "opencl");
    if (plain)
        CHECK(!strstr(plain, "tsr_mfma") && !strstr(plain, "__asm__"));
    free(plain);
out:
    tsr_arena_destroy(arena);
    tsr_opspec_free(spec);
    tsr_opspec_free(bf16);
    tsr_profile_free(mi250x);
    tsr_profile_free(h200);
}

/* RDNA3's wave unit (MU=4): waves of 32 threads, sixteen values of each
 * operand per lane along k and eight accumulators a fragment, rows 2i + h;
 * WMMA in HIP, OpenCL's helper (the instruction on gfx11, its emulation
 * elsewhere); refused by CUDA and where the profile has no such unit. */
static void wave32_unit_gemm_lowers_to_wmma_for_hip_and_opencl(void)
{
    tsr_profile *rdna3 = check_repo_profile("amd-rx-7900xtx"),
                *mi250x = check_repo_profile("amd-mi250x");
    tsr_error err = {{0}};
    tsr_opspec *spec = parse_spec("schema: 1\nname: h\nop: gemm\ndtype: f16\n"
                                  "shapes:\n  - {m: 7, n: 13, k: 17}\n");
    tsr_arena *arena = tsr_arena_create();
    if (!rdna3 || !mi250x || !spec || !arena)
        goto out;
    const char *text = "MU=4,BM=64,BN=64,BK=32,TM=2,TN=2,STRN=0,KU=1,VN=1,VW=8,PAD=1";
    tsr_config config = config_of(spec->op, text);
    tsr_tile_program *p = NULL;
    CHECK_MSG(spec->op->build(arena, spec, rdna3, &config, &p, &err) == TSR_OK, "%s", err.msg);
    if (p) {
        /* Two waves of 32 along each axis. */
        CHECK(p->local[0] == 64 && p->local[1] == 2);
        char *ir = dump(p);
        CHECK_STR_CONTAINS(ir, "waves32 2x2 on wmma 16x16x16");
        free(ir);
    }
    tp_kernel *kernel = NULL;
    CHECK(p && tsr_lower(p, arena, &kernel, &err) == TSR_OK);
    check_refused(kernel, "cuda", "WMMA 16x16x16");
    char *hip = generated(kernel, "hip"), *opencl = generated(kernel, "opencl");
    if (hip) {
        CHECK_MSG(check_count(hip, "tsr_wmma_f16(acc_") == 4, "%d calls in HIP",
                  check_count(hip, "tsr_wmma_f16(acc_"));
        CHECK_STR_CONTAINS(hip, "__builtin_amdgcn_wmma_f32_16x16x16_f16_w32");
        /* Lane l reads A's row l % 16 at k 0 .. 15, and stores rows 2i + l / 16. */
        CHECK_STR_CONTAINS(hip, "tx % 32 % 16][k");
        CHECK_STR_CONTAINS(hip, " + 15]");
        CHECK_STR_CONTAINS(hip, "+ 2 + tx % 32 / 16;");
    }
    if (opencl) {
        CHECK_MSG(check_count(opencl, "tsr_wmma_f16(&acc_") == 4, "%d calls in OpenCL",
                  check_count(opencl, "tsr_wmma_f16(&acc_"));
        CHECK_STR_CONTAINS(opencl, "(ushort16)(fa");
        CHECK_STR_CONTAINS(opencl, "float8 tsr_wmma_emulated(");
        CHECK_STR_CONTAINS(opencl,
                           "__local float tsr_wave_scratch[128 * TSR_WAVE_FLOATS_PER_ITEM];");
    }
    free(hip);
    free(opencl);
    CHECK(spec->op->check(spec, mi250x, &config, &err) == TSR_ERR_UNSUPPORTED);
    CHECK_STR_CONTAINS(err.msg, "no wmma 16x16x16 unit for f16");
out:
    tsr_arena_destroy(arena);
    tsr_opspec_free(spec);
    tsr_profile_free(rdna3);
    tsr_profile_free(mi250x);
}

/* Intel's sub-group unit (MU=5 at sub-groups of 8, MU=6 at 16): fragments
 * of 8 x S, a work-item holding eight rows of A at one or two of k and
 * B's sixteen k of its col; the kernel requires its sub-group size; only
 * OpenCL spells it (the extension's call where the device has it, the
 * emulation elsewhere), and check() wants the unit of that sub-group size. */
static void subgroup_unit_gemm_lowers_to_dpas_for_opencl_only(void)
{
    tsr_profile *arc = check_repo_profile("intel-arc-a770"),
                *max = check_repo_profile("intel-max-1550");
    tsr_error err = {{0}};
    tsr_opspec *spec = parse_spec("schema: 1\nname: h\nop: gemm\ndtype: f16\n"
                                  "shapes:\n  - {m: 7, n: 13, k: 17}\n");
    tsr_arena *arena = tsr_arena_create();
    if (!arc || !max || !spec || !arena)
        goto out;
    static const struct {
        const char *config, *ir, *call, *attribute, *a_vector;
        int local_x, local_y;
    } cases[] = {
        {"MU=5,BM=32,BN=32,BK=32,TM=2,TN=2,STRN=0,KU=1,VN=1,VW=8,PAD=1", "subgroups8 2x2",
         "tsr_dpas8_f16(&acc_", "intel_reqd_sub_group_size(8)", "(ushort16)(fa", 16, 2},
        {"MU=6,BM=32,BN=64,BK=32,TM=2,TN=2,STRN=0,KU=1,VN=1,VW=8,PAD=1", "subgroups16 2x2",
         "tsr_dpas16_f16(&acc_", "intel_reqd_sub_group_size(16)", "(ushort8)(fa", 32, 2},
    };
    for (int c = 0; c < 2; c++) {
        const tsr_profile *profile = c ? max : arc;
        tsr_config config = config_of(spec->op, cases[c].config);
        tsr_tile_program *p = NULL;
        CHECK_MSG(spec->op->build(arena, spec, profile, &config, &p, &err) == TSR_OK, "%s",
                  err.msg);
        if (!p)
            continue;
        CHECK(p->local[0] == cases[c].local_x && p->local[1] == cases[c].local_y);
        char *ir = dump(p);
        CHECK_STR_CONTAINS(ir, cases[c].ir);
        CHECK_STR_CONTAINS(ir, "on dpas 8xSx16");
        free(ir);
        tp_kernel *kernel = NULL;
        CHECK(tsr_lower(p, arena, &kernel, &err) == TSR_OK);
        check_refused(kernel, "cuda", "DPAS 8xSx16");
        check_refused(kernel, "hip", "DPAS 8xSx16");
        char *opencl = generated(kernel, "opencl");
        if (opencl) {
            /* 2 x 2 fragments, 2 steps of 16 in a loop: four calls. */
            CHECK_MSG(check_count(opencl, cases[c].call) == 4, "%d calls",
                      check_count(opencl, cases[c].call));
            CHECK_STR_CONTAINS(opencl, cases[c].attribute);
            CHECK_STR_CONTAINS(opencl, cases[c].a_vector);
            CHECK_STR_CONTAINS(opencl, "intel_sub_group_f16_f16_matrix_mad_k16(");
            CHECK_STR_CONTAINS(opencl, "float8 tsr_dpas_emulated(");
            CHECK_STR_CONTAINS(opencl, c ? "#define TSR_REQD_SUBGROUP_SIZE 16"
                                         : "#define TSR_REQD_SUBGROUP_SIZE 8");
        }
        free(opencl);
    }
    /* The Arc's unit is 8 x 8 at sub-groups of 8 alone. */
    tsr_config wide = config_of(spec->op, cases[1].config);
    CHECK(spec->op->check(spec, arc, &wide, &err) == TSR_ERR_UNSUPPORTED);
    CHECK_STR_CONTAINS(err.msg, "no dpas 8x16x16 unit for f16");
out:
    tsr_arena_destroy(arena);
    tsr_opspec_free(spec);
    tsr_profile_free(arc);
    tsr_profile_free(max);
}

static void lowering_refuses_a_register_tile_too_large_for_registers(void)
{
    tsr_arena *arena = tsr_arena_create();
    tsr_tile_program *p = arena ? tsr_ir_new(arena, "big", 1) : NULL;
    CHECK(p != NULL);
    if (!p) {
        tsr_arena_destroy(arena);
        return;
    }
    p->params[0] =
        (tp_param){.name = "X", .kind = TSR_ARG_BUFFER, .dtype = TSR_F32, .writable = true};
    const tsr_tile *acc = tsr_ir_tile(p, "acc", TSR_F32, TSR_SPACE_REGISTER, 64, 64, 0, false);
    tsr_stmt *fill = tsr_ir_append(p, &p->body, TSR_S_FILL);
    if (fill)
        fill->tile = acc;
    tp_kernel *kernel = NULL;
    tsr_error err = {{0}};
    CHECK(tsr_lower(p, arena, &kernel, &err) == TSR_ERR_UNSUPPORTED);
    CHECK_STR_CONTAINS(err.msg, "acc");
    CHECK_STR_CONTAINS(err.msg, "64x64");
    tsr_arena_destroy(arena);
}

static tsr_status generate_named(const char *kernel_name, const char *param_name,
                                 const char *comment, tsr_error *err)
{
    tp_param param = {
        .name = param_name, .kind = TSR_ARG_BUFFER, .dtype = TSR_F32, .writable = true};
    tp_kernel kernel = {
        .name = kernel_name, .n_params = 1, .params = &param, .dims = 1, .local = {1, 1, 1}};
    tsr_strbuf out;
    tsr_strbuf_init(&out);
    tsr_status st = tsr_generate(&kernel, tsr_dialect_find("opencl"), comment, &out, err);
    if (st == TSR_OK) {
        CHECK_STR_CONTAINS(out.data, kernel_name);
        CHECK_STR_CONTAINS(out.data, param_name);
    }
    tsr_strbuf_free(&out);
    return st;
}

static void generator_refuses_names_that_are_not_identifiers(void)
{
    tsr_error err = {{0}};
    CHECK_MSG(generate_named("good_name1", "X", "a comment", &err) == TSR_OK, "%s", err.msg);
    CHECK(generate_named("bad name", "X", NULL, &err) == TSR_ERR_INPUT);
    CHECK_STR_CONTAINS(err.msg, "bad name");
    CHECK(generate_named("k(){}//", "X", NULL, &err) == TSR_ERR_INPUT);
    CHECK(generate_named("1k", "X", NULL, &err) == TSR_ERR_INPUT);
    CHECK(generate_named("", "X", NULL, &err) == TSR_ERR_INPUT);
    CHECK(generate_named("k", "X, __global float *Y", NULL, &err) == TSR_ERR_INPUT);
    CHECK_STR_CONTAINS(err.msg, "X, __global float *Y");
    CHECK(generate_named("k", "X", "ends here */ int evil;", &err) == TSR_ERR_INPUT);
    CHECK_STR_CONTAINS(err.msg, "*/");
}

/* The starting config follows the profile: wide per-work-item vectors get
 * vector accumulators of that width; without them the params' defaults;
 * and a profile that refuses both still gets a valid config. */
static void starting_config_follows_the_profiles_vector_width(void)
{
    tsr_opspec *spec = gemm_spec("row", "row", 0.0);
    tsr_profile *simt = small_profile(1024, 65536, 255);
    tsr_profile *tiny = small_profile(16, 4096, 64);
    tsr_profile *wide = small_profile(1024, 1 << 20, 512);
    if (!spec || !simt || !tiny || !wide)
        return;
    wide->preferred_vector_width = (tsr_quantity){16, "test", true};
    const tsr_op_def *op = spec->op;
    tsr_config config, fallback;
    const char *origin = NULL;
    tsr_error err = {{0}};

    CHECK(tsr_config_start(spec, wide, &config, &origin, &err) == TSR_OK);
    CHECK(origin && strcmp(origin, "suggested") == 0);
    CHECK(config.value[param_index(op, "VN")] == 16);
    CHECK(op->check(spec, wide, &config, NULL) == TSR_OK);

    CHECK(tsr_config_start(spec, simt, &config, &origin, &err) == TSR_OK);
    tsr_config_default(op, &fallback);
    CHECK(origin && strcmp(origin, "default") == 0);
    CHECK(memcmp(&config, &fallback, sizeof config) == 0);

    CHECK(tsr_config_start(spec, tiny, &config, &origin, &err) == TSR_OK);
    CHECK(origin && strcmp(origin, "first valid") == 0);
    CHECK(op->check(spec, tiny, &config, NULL) == TSR_OK);
    tsr_profile_free(simt);
    tsr_profile_free(tiny);
    tsr_profile_free(wide);
    tsr_opspec_free(spec);
}

/* A GPU with the matrix units for the inputs starts GEMM from the
 * warpgroup unit's ring and conv2d from the warp unit's, an AMD one both
 * from its wave unit; f32 on a GPU with asynchronous copies from 128 x 256
 * tiles of 8 x 16 fetched three steps ahead; each start passes the check.
 * A GPU without the unit for the type keeps the FMAs. */
static void starting_config_uses_the_matrix_unit_where_the_profile_has_it(void)
{
    tsr_profile *h200 = check_repo_profile("nvidia-h200"),
                *mi300 = check_repo_profile("amd-mi300x");
    tsr_error err = {{0}};
    tsr_opspec *specs[] = {
        parse_spec(
            "schema: 1\nname: h\nop: gemm\ndtype: f16\nshapes:\n  - {m: 64, n: 64, k: 64}\n"),
        parse_spec("schema: 1\nname: c\nop: conv2d\ndtype: bf16\n"
                   "conv2d: {layout: nhwc, filter: 3, pad: 1}\n"
                   "shapes:\n  - {n: 1, c: 16, h: 9, w: 9, k: 16}\n"),
        gemm_spec("row", "row", 0.0),
    };
    for (int i = 0; i < 3 && h200 && mi300; i++) {
        tsr_opspec *spec = specs[i];
        tsr_config config;
        const char *origin = NULL;
        CHECK(spec && tsr_config_start(spec, h200, &config, &origin, &err) == TSR_OK);
        if (!spec)
            continue;
        CHECK_MSG(origin && strcmp(origin, "suggested") == 0, "%s", origin ? origin : "");
        CHECK(spec->op->check(spec, h200, &config, NULL) == TSR_OK);
        /* GEMM on 16-bit inputs takes the warpgroup unit (conv2d has the
         * warp's alone). */
        bool half = spec->dtype != TSR_F32, wide = half && !strcmp(spec->op->name, "gemm");
        CHECK(tsr_config_get(spec->op, &config, "MU") == (wide ? 2 : half ? 1 : 0));
        CHECK(tsr_config_get(spec->op, &config, "PF") == 3);
        CHECK(tsr_config_get(spec->op, &config, "BM") == (wide ? 256 : 128));
        CHECK(tsr_config_get(spec->op, &config, "TN") == (wide || !half ? 16 : 8));
        /* On an MI300X, AMD's wave unit for 16-bit inputs (GEMM's and
         * conv2d's), the FMAs for f32. */
        CHECK(tsr_config_start(spec, mi300, &config, &origin, &err) == TSR_OK);
        CHECK(tsr_config_get(spec->op, &config, "MU") == (half ? 3 : 0));
        CHECK(spec->op->check(spec, mi300, &config, NULL) == TSR_OK);
        if (half)
            CHECK_MSG(origin && strcmp(origin, "suggested") == 0, "%s", origin ? origin : "");
    }
    for (int i = 0; i < 3; i++)
        tsr_opspec_free(specs[i]);
    tsr_profile_free(h200);
    tsr_profile_free(mi300);
}

/* f32 that may be multiplied as tf32 starts from the warp unit's tuned
 * tf32 ring on every profile that lists mma.sync m16n8k8 for tf32, and
 * passes the check there; elsewhere from the threads' FMAs. With K-major
 * operands (A row-major, B column-major) a profile with the warpgroup's
 * tf32 unit starts from that unit's ring; every start passes the check. */
static void starting_config_multiplies_as_tf32_where_the_profile_can(void)
{
    static const char *const names[] = {"nvidia-h200", "nvidia-h100-sxm", "nvidia-a100-80gb",
                                        "nvidia-l40s", "nvidia-rtx-4090", "amd-mi300x",
                                        "pocl-cpu"};
    tsr_opspec *spec = parse_spec("schema: 1\nname: t\nop: gemm\ndtype: f32\n"
                                  "gemm: {math: tf32}\nshapes:\n  - {m: 64, n: 64, k: 64}\n");
    tsr_opspec *nt = parse_spec("schema: 1\nname: t\nop: gemm\ndtype: f32\n"
                                "gemm: {b: col, math: tf32}\nshapes:\n  - {m: 64, n: 64, k: 64}\n");
    for (size_t i = 0; spec && i < sizeof names / sizeof names[0]; i++) {
        tsr_profile *profile = check_repo_profile(names[i]);
        tsr_config config;
        const char *origin = NULL;
        tsr_error err = {{0}};
        if (!profile)
            continue;
        bool unit = tsr_profile_has_mma_m16n8k8(profile, TSR_TF32);
        CHECK(unit == (strncmp(names[i], "nvidia", 6) == 0));
        CHECK_MSG(tsr_config_start(spec, profile, &config, &origin, &err) == TSR_OK, "%s", err.msg);
        CHECK_MSG(spec->op->check(spec, profile, &config, &err) == TSR_OK, "%s: %s", names[i],
                  err.msg);
        CHECK_MSG(tsr_config_get(spec->op, &config, "MU") == (unit ? 1 : 0), "%s", names[i]);
        if (unit)
            CHECK(tsr_config_get(spec->op, &config, "BN") == 256 &&
                  tsr_config_get(spec->op, &config, "BK") == 16 &&
                  tsr_config_get(spec->op, &config, "PF") == 2 &&
                  tsr_config_get(spec->op, &config, "VW") == 4);
        if (nt) {
            bool warpgroup = tsr_profile_has_wgmma(profile, TSR_TF32);
            CHECK(warpgroup ==
                  (!strcmp(names[i], "nvidia-h200") || !strcmp(names[i], "nvidia-h100-sxm")));
            CHECK(tsr_config_start(nt, profile, &config, &origin, &err) == TSR_OK);
            CHECK_MSG(nt->op->check(nt, profile, &config, &err) == TSR_OK, "%s: %s", names[i],
                      err.msg);
            /* Elsewhere the warp unit's ring where it fits (B's tile,
             * [n][k] padded, takes 110592 bytes: not on the 99-KiB GPUs). */
            CHECK_MSG(warpgroup ? tsr_config_get(nt->op, &config, "MU") == 2
                                : tsr_config_get(nt->op, &config, "MU") < 2,
                      "%s", names[i]);
            if (warpgroup)
                CHECK(tsr_config_get(nt->op, &config, "BM") == 256 &&
                      tsr_config_get(nt->op, &config, "BN") == 128 &&
                      tsr_config_get(nt->op, &config, "BK") == 32 &&
                      tsr_config_get(nt->op, &config, "VW") == 4);
        }
        tsr_profile_free(profile);
    }
    tsr_opspec_free(spec);
    tsr_opspec_free(nt);
}

/* The FMAs' ring on a profile with asynchronous copies: A's tile lies
 * across A's rows ([k][m], read as columns of m), which no copy can
 * transpose, so A is fetched into registers for step t + PF before step t
 * is multiplied and deposited after it, while B goes by cp.async; the
 * first PF steps likewise before the loop. A tile that widens f16 for the
 * FMAs keeps the copies through registers in place (ring_fetches). */
static void fma_ring_fetches_what_cannot_copy_asynchronously(void)
{
    tsr_profile *h200 = check_repo_profile("nvidia-h200");
    tsr_error err = {{0}};
    tsr_arena *arena = tsr_arena_create();
    tsr_opspec *f32 = gemm_spec("row", "row", 0.0);
    tsr_opspec *f16 = parse_spec("schema: 1\nname: h\nop: gemm\ndtype: f16\n"
                                 "shapes:\n  - {m: 64, n: 64, k: 64}\n");
    const char *ring = "BM=64,BN=256,BK=16,TM=8,TN=8,VW=4,KU=8,VN=4,PF=3,STRN=1,MU=0";
    tsr_tile_program *p = NULL;
    tp_kernel *kernel = NULL;
    tsr_config config = f32 ? config_of(f32->op, ring) : (tsr_config){{0}};
    CHECK_MSG(h200 && arena && f32 && f32->op->build(arena, f32, h200, &config, &p, &err) == TSR_OK,
              "%s", err.msg);
    const tsr_stmt *loop = NULL;
    for (int i = 0; p && i < p->body.count; i++)
        if (p->body.items[i]->kind == TSR_S_LOOP)
            loop = p->body.items[i];
    CHECK(loop != NULL);
    if (loop) {
        /* wait, barrier, B's copies, commit, A's fetch, multiply, A's deposit */
        static const tsr_stmt_kind kinds[] = {TSR_S_ASYNC_WAIT,   TSR_S_BARRIER, TSR_S_LOAD,
                                              TSR_S_ASYNC_COMMIT, TSR_S_LOAD,    TSR_S_MMA,
                                              TSR_S_LOAD};
        static const tsr_load_mode modes[] = {
            0, 0, TSR_LOAD_ASYNC, 0, TSR_LOAD_FETCH, 0, TSR_LOAD_DEPOSIT};
        CHECK(loop->body.count == 7);
        for (int i = 0; i < 7 && i < loop->body.count; i++) {
            const tsr_stmt *s = loop->body.items[i];
            CHECK_MSG(s->kind == kinds[i], "loop statement %d", i);
            if (s->kind == TSR_S_LOAD)
                CHECK_MSG(s->load_mode == modes[i] && s->tile->transposed == (i != 2),
                          "loop statement %d", i);
        }
    }
    CHECK(p && tsr_lower(p, arena, &kernel, &err) == TSR_OK);
    char *opencl = NULL, *text = nvidia_only(kernel, "asynchronous copies", &opencl);
    if (text) {
        CHECK_STR_CONTAINS(text, "fAs_0 = tsr_vload<4>(A + ");
        CHECK_STR_CONTAINS(text, "tsr_cp_async_aligned<4>(&Bs[");
        CHECK(!strstr(text, "tsr_cp_async_aligned<4>(&As["));
    }
    /* OpenCL on NVIDIA: the same copies in inline PTX, guarded by the
     * same alignment test. */
    if (opencl) {
        CHECK_STR_CONTAINS(opencl, "fAs_0 = vload4(0, A + ");
        CHECK_STR_CONTAINS(opencl, "tsr_cp_async_aligned(4, &Bs[");
        CHECK_STR_CONTAINS(opencl, "__local __attribute__((aligned(16))) float Bs[");
        CHECK(!strstr(opencl, "tsr_cp_async_aligned(4, &As["));
        CHECK_STR_CONTAINS(opencl, "(tsr_aligned(B, 16) && N % 4 == 0");
        CHECK_STR_CONTAINS(opencl,
                           "__asm__ __volatile__(\"cp.async.commit_group;\" ::: \"memory\");");
        CHECK_STR_CONTAINS(opencl,
                           "__asm__ __volatile__(\"cp.async.wait_group 2;\" ::: \"memory\");");
    }
    free(text);
    free(opencl);
    /* f16 widened to f32 for the FMAs: no fetch anywhere. */
    config = f16 ? config_of(f16->op, ring) : config;
    p = NULL;
    CHECK_MSG(f16 && f16->op->build(arena, f16, h200, &config, &p, &err) == TSR_OK, "%s", err.msg);
    int fetches = 0;
    for (int i = 0; p && i < p->body.count; i++) {
        const tsr_stmt *s = p->body.items[i];
        fetches += s->kind == TSR_S_LOAD && s->load_mode == TSR_LOAD_FETCH;
        for (int j = 0; s->kind == TSR_S_LOOP && j < s->body.count; j++)
            fetches += s->body.items[j]->kind == TSR_S_LOAD &&
                       s->body.items[j]->load_mode == TSR_LOAD_FETCH;
    }
    CHECK(p && fetches == 0);
    tsr_opspec_free(f16);
    tsr_opspec_free(f32);
    tsr_arena_destroy(arena);
    tsr_profile_free(h200);
}

/* ---- split-K GEMM ----------------------------------------------------------------- */

/* How a dialect spells a split-K GEMM's join: the arrival count's atomic
 * add, the last group's atomic exchanges (which take the parts and leave
 * the workspace zero), the fence on global memory, and the accumulators'
 * bits through 32-bit words, out and back. */
typedef struct join_spelling {
    const char *dialect, *must[5];
} join_spelling;

static const join_spelling opencl_join = {
    "opencl",
    {"atomic_add(&workspace[", "atomic_xchg(&workspace[", "mem_fence(CLK_GLOBAL_MEM_FENCE)",
     "] = as_int(acc_0_0);", "+= as_float(atomic_xchg(&workspace["}};
static const join_spelling cuda_join = {"cuda",
                                        {"atomicAdd(&workspace[", "atomicExch(&workspace[",
                                         "__threadfence()", "] = __float_as_int(acc_0_0);",
                                         "+= __int_as_float(atomicExch(&workspace["}};
static const join_spelling hip_join = {"hip",
                                       {"atomicAdd(&workspace[", "atomicExch(&workspace[",
                                        "__threadfence()", "] = __float_as_int(acc_0_0);",
                                        "+= __int_as_float(atomicExch(&workspace["}};
/* f64's: each value's low and high halves, and the value back from the
 * two exchanges (high first). */
static const join_spelling opencl_f64_join = {
    "opencl",
    {"atomic_add(&workspace[", "atomic_xchg(&workspace[", "] = tsr_double_hi_bits(acc_0_0",
     "] = tsr_double_lo_bits(acc_0_0", "+= tsr_bits_double(atomic_xchg(&workspace["}};
static const join_spelling cuda_f64_join = {
    "cuda",
    {"atomicAdd(&workspace[", "atomicExch(&workspace[", "] = __double2hiint(acc_0_0",
     "] = __double2loint(acc_0_0", "+= __hiloint2double(atomicExch(&workspace["}};
static const join_spelling hip_f64_join = {
    "hip",
    {"atomicAdd(&workspace[", "atomicExch(&workspace[", "] = __double2hiint(acc_0_0",
     "] = __double2loint(acc_0_0", "+= __hiloint2double(atomicExch(&workspace["}};

/* The last statement of `kind` in `list` (not inside loops), or -1. */
static int last_index_of(const tsr_stmt_list *list, tsr_stmt_kind kind)
{
    int at = -1;
    for (int i = 0; i < list->count; i++)
        if (list->items[i]->kind == kind)
            at = i;
    return at;
}

/* `base` with SK=`sk` on `profile`: accepted; its rule launches SK groups
 * a problem of the batch along the third axis, each with a workspace of
 * the tile's accumulators and 4 words more (tsr_tile_join_words) as
 * 32-bit words (two an f64 accumulator); the workspace is the last param, an i32 buffer; the join
 * follows the k-loop and holds the store, and each dialect spells its
 * atomics, fence and bit casts. At SK=1 none of it: the kernel is the
 * one `base` alone gives, in every dialect. */
static void check_split_k(const tsr_opspec *spec, const tsr_profile *profile, const char *base,
                          int sk, const join_spelling *const *dialects, int n_dialects)
{
    tsr_arena *arena = tsr_arena_create();
    char text[256];
    snprintf(text, sizeof text, "%s,SK=%d", base, sk);
    tsr_config config = config_of(spec->op, text), plain = config_of(spec->op, base);
    tsr_error err = {{0}};
    tsr_tile_program *p = NULL, *q = NULL;
    CHECK(arena && spec && profile);
    if (!arena || !spec || !profile)
        goto out;
    CHECK_MSG(spec->op->check(spec, profile, &config, &err) == TSR_OK, "%s: %s", text, err.msg);
    CHECK_MSG(spec->op->build(arena, spec, profile, &config, &p, &err) == TSR_OK, "%s: %s", text,
              err.msg);
    CHECK_MSG(spec->op->build(arena, spec, profile, &plain, &q, &err) == TSR_OK, "%s: %s", base,
              err.msg);
    if (!p || !q)
        goto out;

    /* The rule: the batch's groups SK times over, and a group's words. */
    int bm = tsr_config_get(spec->op, &config, "BM"), bn = tsr_config_get(spec->op, &config, "BN");
    int threads = (int)(p->local[0] * p->local[1]);
    int per_value = spec->dtype == TSR_F64 ? 2 : 1;
    long words = tsr_tile_join_words(threads, per_value * bm * bn / threads);
    CHECK_MSG(words == (long)per_value * bm * bn + 4, "%s: %ld words a group", text, words);
    tsr_geometry_rule rule;
    spec->op->geometry_rule(spec, &config, &rule);
    char rule_text[160], want[160];
    tsr_geometry_rule_format(spec->op, &rule, rule_text, sizeof rule_text);
    if (sk == 1)
        snprintf(want, sizeof want, "n/%dx%d,m/%dx%d,batch/1x1", bn, p->local[0], bm, p->local[1]);
    else
        snprintf(want, sizeof want, "n/%dx%d,m/%dx%d,%d*batch/1x1,workspace=%ld", bn, p->local[0],
                 bm, p->local[1], sk, 4 * words);
    CHECK_MSG(!strcmp(rule_text, want), "%s: rule %s, expected %s", text, rule_text, want);
    tsr_shape shape = {{100, 70, 1000, 3}}; /* m, n, k, batch */
    tsr_geometry g;
    tsr_geometry_apply(&rule, &shape, &g);
    size_t groups_n = (size_t)(70 + bn - 1) / (size_t)bn,
           groups_m = (size_t)(100 + bm - 1) / (size_t)bm;
    CHECK_MSG(g.groups[0] == groups_n && g.groups[1] == groups_m && g.groups[2] == 3 * (size_t)sk,
              "%s: %zu x %zu x %zu groups", text, g.groups[0], g.groups[1], g.groups[2]);
    CHECK_MSG(g.workspace_bytes ==
                  (sk > 1 ? groups_n * groups_m * 3 * (size_t)sk * 4 * (size_t)words : 0),
              "%s: %zu workspace bytes", text, g.workspace_bytes);

    /* The program: the workspace last, the join after the k-loop, the
     * store inside it. */
    const tp_param *last = &p->params[p->n_params - 1];
    int loop_at = last_index_of(&p->body, TSR_S_LOOP);
    int join_at = index_of(&p->body, TSR_S_TILE_JOIN, 0);
    char *ir = dump(p);
    CHECK(loop_at >= 0);
    if (sk == 1) {
        CHECK(p->n_params == q->n_params && strcmp(last->name, "workspace") != 0);
        CHECK(join_at < 0 && index_of(&p->body, TSR_S_STORE, 0) > loop_at);
        CHECK_MSG(!strstr(ir, "workspace") && !strstr(ir, "join") && !strstr(ir, "k_share"),
                  "%s: %s", text, ir);
    } else {
        CHECK(p->n_params == q->n_params + 1 && !strcmp(last->name, "workspace") &&
              last->kind == TSR_ARG_BUFFER && last->dtype == TSR_I32 && last->writable);
        CHECK_MSG(join_at > loop_at && last_index_of(&p->body, TSR_S_TILE_JOIN) == join_at,
                  "%s: the loop at %d, the join at %d", text, loop_at, join_at);
        CHECK(index_of(&p->body, TSR_S_STORE, 0) < 0); /* the last group's alone */
        if (join_at > loop_at) {
            const tsr_stmt *join = p->body.items[join_at];
            int store_at = index_of(&join->body, TSR_S_STORE, 0);
            CHECK(join->workspace == last && tp_is_int(join->parts, sk));
            CHECK(join->tile && join->tile->space == TSR_SPACE_REGISTER);
            CHECK(store_at >= 0 && join->body.items[store_at]->tile == join->tile &&
                  !strcmp(join->body.items[store_at]->view->buffer->name, "C"));
        }
        char line[128];
        snprintf(line, sizeof line, "let part = (group_id(2) %% %d)", sk);
        CHECK_STR_CONTAINS(ir, line);
        snprintf(line, sizeof line, "let problem = (group_id(2) / %d)", sk);
        CHECK_STR_CONTAINS(ir, line);
        CHECK_STR_CONTAINS(ir, "loop k0 in [0, k_length)");
        snprintf(line, sizeof line,
                 "join acc of tile tile <- sum, part part of %d through workspace; the last:", sk);
        CHECK_STR_CONTAINS(ir, line);
    }
    free(ir);

    /* Every dialect: the join's spelling at SK > 1; at SK=1 the kernel
     * of the config without SK, to the byte. */
    tp_kernel *kernel = NULL, *plain_kernel = NULL;
    CHECK_MSG(tsr_lower(p, arena, &kernel, &err) == TSR_OK, "%s: %s", text, err.msg);
    CHECK_MSG(tsr_lower(q, arena, &plain_kernel, &err) == TSR_OK, "%s: %s", base, err.msg);
    for (int d = 0; kernel && plain_kernel && d < n_dialects; d++) {
        char *out = generated(kernel, dialects[d]->dialect);
        char *plain_out = generated(plain_kernel, dialects[d]->dialect);
        for (int i = 0; out && i < 5; i++)
            CHECK_MSG(!strstr(out, dialects[d]->must[i]) == (sk == 1), "%s, %s: %s %s",
                      dialects[d]->dialect, text, dialects[d]->must[i],
                      sk == 1 ? "printed" : "missing");
        if (out && sk > 1) {
            /* The arrival's add before the last group's exchanges. */
            const char *add = strstr(out, dialects[d]->must[0]);
            const char *take = strstr(out, dialects[d]->must[1]);
            CHECK_MSG(add && take && add < take, "%s, %s: the exchanges before the arrival",
                      dialects[d]->dialect, text);
            /* The kernel's groups as many words apart as the rule gives
             * them, the count in the word after the values. */
            char count_word[64];
            snprintf(count_word, sizeof count_word, " * %ld + %ld]", words, words - 4);
            const char *end = add ? strchr(add, ']') : NULL;
            size_t n = strlen(count_word);
            CHECK_MSG(end && (size_t)(end + 1 - add) >= n && !strncmp(end + 1 - n, count_word, n),
                      "%s, %s: the arrival count is not at \"%s\"", dialects[d]->dialect, text,
                      count_word);
        }
        if (out && plain_out && sk == 1)
            CHECK_MSG(!strcmp(out, plain_out), "%s: %s prints another kernel than %s",
                      dialects[d]->dialect, text, base);
        free(out);
        free(plain_out);
    }
out:
    tsr_arena_destroy(arena);
}

/* SK splits each tile's k-steps among SK groups along the third launch
 * axis, which join their accumulators through the workspace, the
 * kernel's last argument, the last of them storing the tile: on the
 * threads' FMAs in every dialect and on mma.sync (hgemm) in CUDA and
 * OpenCL's inline PTX (HIP cannot spell the unit); SK=1 takes none of
 * it; f64's accumulators alike, two words each. Refused, one line each:
 * with the FMAs any mapping but the staged tiles' one (RS=0, PAD=0,
 * STRM=0, SA=SB=1), f64's as f32's. */
static void split_k_gemm_joins_through_a_workspace_in_every_dialect(void)
{
    const join_spelling *every[] = {&opencl_join, &cuda_join, &hip_join};
    const join_spelling *nvidia[] = {&cuda_join, &opencl_join};
    tsr_opspec *f32 = gemm_spec("row", "row", 0.0);
    tsr_opspec *f16 = parse_spec("schema: 1\nname: h\nop: gemm\ndtype: f16\n"
                                 "shapes:\n  - {m: 7, n: 13, k: 17}\n");
    tsr_opspec *f64 = parse_spec("schema: 1\nname: d\nop: gemm\ndtype: f64\n"
                                 "shapes:\n  - {m: 7, n: 13, k: 17}\n");
    tsr_profile *roomy = small_profile(4096, 1 << 20, 255);
    tsr_profile *small = small_profile(64, 4096, 40);
    tsr_profile *h200 = check_repo_profile("nvidia-h200");
    tsr_profile *pocl = check_repo_profile("pocl-cpu");
    tsr_arena *arena = tsr_arena_create();
    if (!f32 || !f16 || !f64 || !roomy || !small || !h200 || !pocl || !arena)
        goto out;
    /* The op's defaults (64 x 64 tiles, 256 threads). */
    const char *fma = "KU=4";
    check_split_k(f32, roomy, fma, 1, every, 3);
    check_split_k(f32, roomy, fma, 4, every, 3);
    /* The matrix unit: 128 threads, 32 accumulators each, PAD=1 allowed. */
    const char *mma = "MU=1,BM=64,BN=64,BK=32,TM=2,TN=4,STRN=0,KU=2,VN=1,VW=1,PAD=1";
    check_split_k(f16, h200, mma, 1, nvidia, 2);
    check_split_k(f16, h200, mma, 4, nvidia, 2);
    char mma_split[128];
    snprintf(mma_split, sizeof mma_split, "%s,SK=4", mma);
    check_refused(lowered(arena, f16, h200, mma_split), "hip", "matrix unit");

    /* f64 accumulates in f64, two words a value; on the FMAs as f32. */
    const join_spelling *every_f64[] = {&opencl_f64_join, &cuda_f64_join, &hip_f64_join};
    check_split_k(f64, pocl, fma, 4, every_f64, 3);
    check_split_k(f64, pocl, fma, 1, every_f64, 3);
    const join_spelling *nvidia_f64[] = {&cuda_f64_join, &opencl_f64_join};
    const char *f64_mma = "MU=1,BM=64,BN=64,BK=16,TM=2,TN=4,STRN=0,KU=2,VN=1,VW=2,PAD=1";
    check_split_k(f64, h200, f64_mma, 2, nvidia_f64, 2);
    expect_check(f64, pocl, "SK=4,PAD=1",
                 NEEDLES("SK=4 with the threads' FMAs is tried at RS=0, PAD=0, STRM=0, SA=1 "
                         "and SB=1 only"));
    /* With the FMAs, only the staged tiles' one mapping splits. */
    expect_check(f32, small, "SK=16", ACCEPTED);
    static const struct {
        const char *changes, *given;
    } mappings[] = {
        {"SK=2,RS=8", "(given RS=8, PAD=0, STRM=0, SA=1, SB=1)"},
        {"SK=2,PAD=1", "(given RS=0, PAD=1, STRM=0, SA=1, SB=1)"},
        {"SK=2,STRM=1", "(given RS=0, PAD=0, STRM=1, SA=1, SB=1)"},
        {"SK=2,SA=0", "(given RS=0, PAD=0, STRM=0, SA=0, SB=1)"},
        {"SK=2,SB=0", "(given RS=0, PAD=0, STRM=0, SA=1, SB=0)"},
    };
    for (size_t i = 0; i < sizeof mappings / sizeof mappings[0]; i++)
        expect_check(f32, small, mappings[i].changes,
                     NEEDLES("SK=2 with the threads' FMAs is tried at RS=0, PAD=0, STRM=0, SA=1 "
                             "and SB=1 only",
                             mappings[i].given));
    /* Each refusal is one line. */
    const char *refusals[][2] = {{"f64", "SK=8,RS=8"}, {"f32", "SK=8,SA=0"}};
    for (int i = 0; i < 2; i++) {
        const tsr_opspec *spec = i ? f32 : f64;
        tsr_config config = config_of(spec->op, refusals[i][1]);
        tsr_error err = {{0}};
        CHECK_MSG(spec->op->check(spec, pocl, &config, &err) == TSR_ERR_UNSUPPORTED, "%s %s",
                  refusals[i][0], refusals[i][1]);
        CHECK_MSG(err.msg[0] && !strchr(err.msg, '\n'), "%s %s: \"%s\"", refusals[i][0],
                  refusals[i][1], err.msg);
    }

out:
    tsr_arena_destroy(arena);
    tsr_profile_free(pocl);
    tsr_profile_free(h200);
    tsr_profile_free(small);
    tsr_profile_free(roomy);
    tsr_opspec_free(f64);
    tsr_opspec_free(f16);
    tsr_opspec_free(f32);
}

int main(void)
{
    RUN_TEST(staged_gemm_has_shared_tiles_a_k_loop_with_barriers_and_a_store);
    RUN_TEST(starting_config_uses_the_matrix_unit_where_the_profile_has_it);
    RUN_TEST(starting_config_multiplies_as_tf32_where_the_profile_can);
    RUN_TEST(direct_gemm_has_no_shared_tiles_no_barrier_and_a_tail_loop);
    RUN_TEST(beta_nonzero_makes_the_store_read_c);
    RUN_TEST(banded_tile_order_binds_the_tile_first);
    RUN_TEST(fma_ring_fetches_what_cannot_copy_asynchronously);
    RUN_TEST(gemm_check_refuses_each_constraint_naming_the_numbers);
    RUN_TEST(vector_width_must_divide_the_contiguous_extent_of_each_layout);
    RUN_TEST(space_is_exactly_the_configs_check_accepts_in_order);
    RUN_TEST(empty_space_is_refused_with_the_default_configs_reason);
    RUN_TEST(config_format_and_parse_round_trip);
    RUN_TEST(config_parse_names_what_is_wrong);
    RUN_TEST(gemm_geometry_rule_reads_as_text_and_covers_ragged_shapes);
    RUN_TEST(lone_group_axes_and_softmax_rows_read_as_text);
    RUN_TEST(softmax_program_has_two_row_reductions_then_a_row_map);
    RUN_TEST(split_reduction_joins_through_a_workspace_in_every_dialect);
    RUN_TEST(middle_axis_reduction_walks_inner_side_by_side);
    RUN_TEST(split_k_gemm_joins_through_a_workspace_in_every_dialect);
    RUN_TEST(every_layout_of_a_few_gemm_configs_lowers_and_prints);
    RUN_TEST(one_program_prints_in_every_dialect_in_its_own_syntax);
    RUN_TEST(printer_keeps_the_parentheses_operators_need);
    RUN_TEST(opencl_prints_inline_ptx_only_where_used);
    RUN_TEST(wave_unit_gemm_lowers_to_mfma_for_hip_and_opencl);
    RUN_TEST(wave32_unit_gemm_lowers_to_wmma_for_hip_and_opencl);
    RUN_TEST(subgroup_unit_gemm_lowers_to_dpas_for_opencl_only);
    RUN_TEST(lowering_refuses_a_register_tile_too_large_for_registers);
    RUN_TEST(matrix_unit_gemm_lowers_to_mma_sync_on_nvidia_only);
    RUN_TEST(tf32_gemm_lowers_to_mma_m16n8k8_on_nvidia_only);
    RUN_TEST(f64_gemm_lowers_to_mma_m16n8k8_on_nvidia_only);
    RUN_TEST(f64_gemm_on_an_a100_is_four_m8n8k4);
    RUN_TEST(tf32_gemm_lowers_to_wgmma_m64nk8_for_k_major_tiles);
    RUN_TEST(warpgroup_unit_gemm_lowers_to_wgmma_on_cuda_only);
    RUN_TEST(generator_refuses_names_that_are_not_identifiers);
    RUN_TEST(starting_config_follows_the_profiles_vector_width);
    return check_summary();
}
