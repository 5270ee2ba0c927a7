/* test_itab.c - the store's open-addressing table (common/itab.h): runs that
 * wrap around the end, a table as full as insertion lets it get, and the
 * EMPTY slot every probe relies on to end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "itab.h"

/* The hash whose probe starts at slot want of t (pk_hash_range is
 * hash * cap >> 32). */
static uint32_t hash_for_slot(const pk_itab *t, uint32_t want) {
    uint64_t h = (((uint64_t)want << 32) + t->cap - 1) / t->cap;
    assert_int_equal(pk_itab_first(t, (uint32_t)h), want);
    return (uint32_t)h;
}

static const pk_islot *find(const pk_itab *t, uint32_t key, uint32_t hash) {
    uint32_t pos = pk_itab_first(t, hash);
    return pk_itab_next_match(t, key, &pos);
}

/* All keys start their probe at the last slot: the run wraps to slot 0 and
 * fills the table but for the one EMPTY slot insertion always leaves. */
static void test_full_table_probes_end(void **state) {
    (void)state;
    pk_itab t;
    assert_int_equal(pk_itab_init(&t, 10), 0);
    uint32_t cap = t.cap;
    uint32_t h = hash_for_slot(&t, cap - 1);
    bool found;
    uint32_t key = 1000;
    for (; t.n < cap - 1; key++) {
        pk_islot *sl = pk_itab_insert(&t, key, h, key - 1000, NULL, NULL, &found);
        assert_non_null(sl);
        assert_false(found);
    }
    /* the item that would fill the last slot is refused */
    assert_null(pk_itab_insert(&t, key, h, 0, NULL, NULL, &found));
    for (uint32_t k = 1000; k < key; k++) {
        const pk_islot *sl = find(&t, k, h);
        assert_non_null(sl);
        assert_int_equal(sl->ref, k - 1000);
    }
    /* absent keys, from every start: each probe stops at the EMPTY slot */
    for (uint32_t start = 0; start < cap; start++)
        assert_null(find(&t, 7, hash_for_slot(&t, start)));
    pk_itab_free(&t);
}

/* Equal keys are found in turn by the cursor; an insert with an equal key
 * reports the slot already there. */
static void test_equal_keys_in_turn(void **state) {
    (void)state;
    pk_itab t;
    assert_int_equal(pk_itab_init(&t, 8), 0);
    uint32_t h = hash_for_slot(&t, 2);
    bool found;
    assert_non_null(pk_itab_insert(&t, 5, h, 0, NULL, NULL, &found));
    assert_non_null(pk_itab_insert(&t, 9, h, 1, NULL, NULL, &found));
    assert_non_null(pk_itab_insert(&t, 5, h, 2, NULL, NULL, &found));
    assert_true(found);                      /* no eq(): same key is enough */
    uint32_t pos = pk_itab_first(&t, h);
    const pk_islot *a = pk_itab_next_match(&t, 9, &pos);
    assert_non_null(a);
    assert_int_equal(a->ref, 1);
    assert_null(pk_itab_next_match(&t, 9, &pos));
    pk_itab_free(&t);
}

static void test_empty_table(void **state) {
    (void)state;
    pk_itab t;
    assert_int_equal(pk_itab_init(&t, 0), 0);
    assert_null(find(&t, 1, 12345));
    bool found;
    assert_null(pk_itab_insert(&t, 1, 12345, 0, NULL, NULL, &found));
    pk_itab_free(&t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_table_probes_end),
        cmocka_unit_test(test_equal_keys_in_turn),
        cmocka_unit_test(test_empty_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
