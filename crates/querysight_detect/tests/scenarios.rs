//! The detector-relevant cases of `shared/reference/runtime-scenarios.md` (sections A, B, C),
//! each encoded as the event stream Django would send, plus the crate's own guarantees
//! (interleaving, truncation, thresholds, bounded memory, estimator accuracy).
//!
//! Scenarios left out are about the runtime layer, not the detector: #20 and #21 (instrumenting
//! models without side effects), #37–#39 (blame and fix text), #40–#45 (scope isolation,
//! suppression, configuration).

use querysight_detect::{
    detect, DetectConfig, Duplicate, NPlusOne, QueryEvent, QueryKind, Report, Scope,
};

// Fingerprints: one per statement shape, as querysight_sql would compute them.
/// `SELECT ... FROM blog_post` (a list).
const POSTS: u64 = 0x1000;
/// `SELECT ... FROM auth_user WHERE auth_user.id = ? LIMIT 21` (forward FK, `.get()`).
const USER_BY_ID: u64 = 0x1001;
/// `SELECT ... FROM auth_user WHERE auth_user.id IN (?+)` (prefetch of a forward FK).
const USERS_BY_IDS: u64 = 0x1002;
/// `SELECT ... FROM blog_post WHERE blog_post.author_id = ?` (reverse FK).
const POSTS_BY_AUTHOR: u64 = 0x1003;
/// `SELECT ... FROM blog_post WHERE blog_post.author_id IN (?+)` (prefetch of a reverse FK).
const POSTS_BY_AUTHORS: u64 = 0x1004;
/// `SELECT ... FROM auth_user` (a list).
const USERS: u64 = 0x1005;
/// `SELECT ... FROM blog_post WHERE blog_post.id = ? LIMIT 21`.
const POST_BY_ID: u64 = 0x1006;
/// `SELECT ... FROM accounts_profile WHERE accounts_profile.user_id = ? LIMIT 21`.
const PROFILE_BY_USER: u64 = 0x1007;
/// `SELECT ... FROM auth_user INNER JOIN accounts_profile ...` (select_related).
const USERS_WITH_PROFILE: u64 = 0x1008;
/// `... INNER JOIN follow ON ... WHERE follow.from_user_id = ?` (`user.following`).
const FOLLOWING_OF: u64 = 0x1009;
/// `... INNER JOIN follow ON ... WHERE follow.to_user_id = ?` (`user.followers`).
const FOLLOWERS_OF: u64 = 0x100a;
/// `... INNER JOIN auth_user_groups ... WHERE auth_user_groups.group_id = ?` (`group.user_set`).
const USER_SET_OF: u64 = 0x100b;
/// `SELECT ... FROM auth_group INNER JOIN ... WHERE user_id = ? ORDER BY id LIMIT 1`.
const FIRST_GROUP_OF: u64 = 0x100c;
/// `SELECT ... FROM tag WHERE content_type_id = ? AND object_id = ?` (GenericRelation).
const TAGS_OF: u64 = 0x100d;
/// `... WHERE content_type_id = ? AND object_id IN (?+)` (prefetched GenericRelation).
const TAGS_OF_MANY: u64 = 0x100e;
/// `SELECT ... FROM blog_photo WHERE id = ? LIMIT 21` (a GenericForeignKey target).
const PHOTO_BY_ID: u64 = 0x100f;
/// `SELECT ... FROM tagged_item` (a list with GenericForeignKeys).
const TAGGED_ITEMS: u64 = 0x1010;
/// `SELECT username FROM auth_user WHERE id = ? LIMIT 21` (a deferred field).
const USERNAME_BY_ID: u64 = 0x1011;
/// `SELECT ... FROM store WHERE id IN (?+)`.
const STORES_BY_IDS: u64 = 0x1012;
/// `SELECT ... FROM region WHERE id IN (?+)`.
const REGIONS_BY_IDS: u64 = 0x1013;
/// `SELECT ... FROM shop_order`.
const ORDERS: u64 = 0x1014;
/// `SELECT ... FROM hobby INNER JOIN user_hobbies ... WHERE user_id IN (?+)`.
const HOBBIES_OF_USERS: u64 = 0x1015;
/// `SELECT ... FROM category WHERE id IN (?+)`.
const CATEGORIES_BY_IDS: u64 = 0x1016;
/// `SELECT COUNT(*) FROM book WHERE author_id = ?`.
const COUNT_BOOKS: u64 = 0x1017;
/// `SELECT 1 FROM book WHERE author_id = ? LIMIT 1`.
const EXISTS_BOOKS: u64 = 0x1018;
/// `SELECT AVG(price) FROM book WHERE author_id = ?`.
const AVG_PRICE: u64 = 0x1019;
/// `SELECT ... FROM book WHERE author_id = ? ORDER BY id ASC LIMIT 1`.
const FIRST_BOOK: u64 = 0x101a;
/// `SELECT ... FROM book WHERE author_id = ? ORDER BY id DESC LIMIT 1`.
const LAST_BOOK: u64 = 0x101b;
/// `SELECT title FROM book WHERE author_id = ?`.
const BOOK_TITLES: u64 = 0x101c;
/// `SELECT ... FROM book WHERE author_id = ? AND published`.
const PUBLISHED_BOOKS: u64 = 0x101d;
/// `SELECT ... FROM book WHERE author_id = ? ORDER BY title`.
const BOOKS_BY_TITLE: u64 = 0x101e;
/// `SELECT ... FROM author`.
const AUTHORS: u64 = 0x101f;
/// `SELECT ... FROM book WHERE author_id IN (?+)` (prefetch of `books`).
const BOOKS_OF_AUTHORS: u64 = 0x1020;
/// `SELECT ... FROM invoice WHERE customer_id = ? ORDER BY id LIMIT 1`.
const FIRST_INVOICE: u64 = 0x1021;
/// `SELECT total FROM report WHERE day = %s` (raw SQL).
const RAW_REPORT: u64 = 0x1022;
/// `SELECT ... FROM blog_comment WHERE id = ? LIMIT 21`.
const COMMENT_BY_ID: u64 = 0x1023;
/// `SELECT ... FROM blog_post WHERE id = ?`.
const POST_FILTER_ID: u64 = 0x1024;
/// `SELECT ... FROM blog_post WHERE id < ?`.
const POST_FILTER_ID_LT: u64 = 0x1025;
/// `SELECT ... FROM category WHERE id = ? LIMIT 21`.
const CATEGORY_BY_ID: u64 = 0x1026;
/// `UPDATE blog_post SET ... WHERE id = ?`.
const UPDATE_POST: u64 = 0x1027;
/// `SAVEPOINT ?`.
const SAVEPOINT: u64 = 0x1028;
/// `DECLARE ? CURSOR ...` / `FETCH FORWARD ? FROM ?` (`.iterator()` on PostgreSQL).
const DECLARE_CURSOR: u64 = 0x1029;
const FETCH_CURSOR: u64 = 0x102a;
/// `SELECT ... FROM place WHERE id = ? LIMIT 21` (multi-table inheritance parent).
const PLACE_BY_ID: u64 = 0x102b;
/// `SELECT ... FROM restaurant`.
const RESTAURANTS: u64 = 0x102c;
/// `SELECT id FROM blog_post` (`.values("id")`).
const POST_IDS: u64 = 0x102d;

// Interned relations (`Model.field`) and eager-load paths.
const POST_AUTHOR: u32 = 100;
const USER_POSTS: u32 = 101;
const PROFILE_USER: u32 = 102;
const USER_PROFILE: u32 = 103;
const USER_FOLLOWING: u32 = 104;
const USER_FOLLOWERS: u32 = 105;
const GROUP_USER_SET: u32 = 106;
const POST_TAGS: u32 = 107;
const ITEM_CONTENT_OBJECT: u32 = 108;
const USER_USERNAME_DEFERRED: u32 = 109;
const ORDER_MAIN_STORE: u32 = 110;
const ORDER_BACKUP_STORE: u32 = 111;
const STORE_REGION: u32 = 112;
const AUTHOR_BOOKS: u32 = 113;
const RESTAURANT_PLACE_PTR: u32 = 115;
const PERSON_OCCUPATION: u32 = 116;
const USER_HOBBIES: u32 = 117;
const EMPLOYEE_USER: u32 = 118;
const EMPLOYEE_USER_OCCUPATION: u32 = 119;
const POST_CATEGORY: u32 = 120;
const USER_HOBBIES_CATEGORY: u32 = 121;

// Interned call sites (file:line); a queryset's call site is also the `origin` of its rows.
const VIEW_QS: u32 = 1;
const LOOP_BODY: u32 = 2;
const LOOP_BODY_2: u32 = 3;
const LOOP_BODY_3: u32 = 4;
const LINE_A: u32 = 5;
const LINE_B: u32 = 6;
const LINE_C: u32 = 7;
const LINE_D: u32 = 8;
const MAIN_STORE_PREFETCH: u32 = 9;
const BACKUP_STORE_PREFETCH: u32 = 10;
const HOBBIES_PREFETCH: u32 = 11;

fn q(fingerprint: u64, params_hash: u64, call_site: u32) -> QueryEvent {
    QueryEvent::new(fingerprint, params_hash, call_site).with_duration_us(100)
}

/// A lazy load of `relation` on an instance of the queryset at `origin`.
fn lazy(
    fingerprint: u64,
    params_hash: u64,
    call_site: u32,
    relation: u32,
    origin: u32,
) -> QueryEvent {
    q(fingerprint, params_hash, call_site)
        .with_relation(relation)
        .with_origin(origin)
}

fn run(events: &[QueryEvent]) -> Report {
    detect(events.iter().copied(), &DetectConfig::default())
}

fn assert_nothing(report: &Report) {
    assert!(report.n_plus_one.is_empty(), "{:#?}", report.n_plus_one);
    assert!(report.duplicates.is_empty(), "{:#?}", report.duplicates);
    assert!(report.unused_eager.is_empty(), "{:#?}", report.unused_eager);
}

/// `for post in Post.objects.all(): post.<relation>` over `rows` rows.
fn fk_loop(list: u64, load: u64, relation: u32, rows: u64) -> impl Iterator<Item = QueryEvent> {
    std::iter::once(q(list, 0, VIEW_QS))
        .chain((1..=rows).map(move |id| lazy(load, id, LOOP_BODY, relation, VIEW_QS)))
}

fn only_n_plus_one(report: &Report) -> NPlusOne {
    assert_eq!(report.n_plus_one.len(), 1, "{:#?}", report.n_plus_one);
    report.n_plus_one[0]
}

// ---------------------------------------------------------------------------------------------
// A. Lazy relation loads

#[test]
fn s01_forward_fk_in_a_loop_is_an_n_plus_one() {
    let events: Vec<_> = fk_loop(POSTS, USER_BY_ID, POST_AUTHOR, 3).collect();
    let report = run(&events);
    assert_eq!(
        only_n_plus_one(&report),
        NPlusOne {
            fingerprint: USER_BY_ID,
            call_site: LOOP_BODY,
            relation: Some(POST_AUTHOR),
            origin: Some(VIEW_QS),
            kind: QueryKind::Select,
            count: 3,
            distinct_params: 3,
            total_duration_us: 300,
            first_index: 1,
            eager_defeated: false,
            one_call: false,
        }
    );
    assert!(report.duplicates.is_empty());
    assert_eq!((report.queries, report.total_duration_us), (4, 400));
}

#[test]
fn s01_forward_fk_in_a_loop_under_iterator_chunk_size_2() {
    // PostgreSQL server-side cursor: DECLARE, then a FETCH per chunk of 2 rows, interleaved
    // with the per-row loads.
    let other = |fp, p| q(fp, p, VIEW_QS).with_kind(QueryKind::Other);
    let events = [
        other(DECLARE_CURSOR, 0),
        other(FETCH_CURSOR, 0),
        lazy(USER_BY_ID, 1, LOOP_BODY, POST_AUTHOR, VIEW_QS),
        lazy(USER_BY_ID, 2, LOOP_BODY, POST_AUTHOR, VIEW_QS),
        other(FETCH_CURSOR, 0),
        lazy(USER_BY_ID, 3, LOOP_BODY, POST_AUTHOR, VIEW_QS),
        lazy(USER_BY_ID, 4, LOOP_BODY, POST_AUTHOR, VIEW_QS),
        other(FETCH_CURSOR, 0),
    ];
    let report = run(&events);
    let n = only_n_plus_one(&report);
    assert_eq!((n.fingerprint, n.count, n.first_index), (USER_BY_ID, 4, 2));
    // The repeated FETCHes are the cursor's, not the user's: never a finding.
    assert!(report.duplicates.is_empty());
    assert_eq!(report.queries, 8);
}

#[test]
fn s02_forward_fk_prefetched_instead_of_select_related_is_nothing() {
    let report = run(&[q(POSTS, 0, VIEW_QS), q(USERS_BY_IDS, 1, VIEW_QS)]);
    assert_nothing(&report);
}

#[test]
fn s03_single_objects_then_fk_on_two_of_them_is_nothing() {
    // p1 = Post.objects.get(pk=1); p2 = Post.objects.filter(pk=2).first()
    // p1.author; p2.author  (each line once)
    let report = run(&[
        q(POST_BY_ID, 1, LINE_A),
        q(POST_BY_ID, 2, LINE_B),
        q(USER_BY_ID, 10, LINE_C).with_relation(POST_AUTHOR),
        q(USER_BY_ID, 20, LINE_D).with_relation(POST_AUTHOR),
    ]);
    assert_nothing(&report);
}

#[test]
fn s04_reverse_fk_in_a_loop_is_an_n_plus_one() {
    let events: Vec<_> = fk_loop(USERS, POSTS_BY_AUTHOR, USER_POSTS, 5).collect();
    let n = only_n_plus_one(&run(&events));
    assert_eq!(
        (n.relation, n.count, n.distinct_params),
        (Some(USER_POSTS), 5, 5)
    );
}

#[test]
fn s04_related_queryset_evaluated_twice_on_one_object_is_not_an_n_plus_one() {
    // list(user.posts.all()) twice on one user, in one place (a helper called twice).
    let report = run(&[
        q(USER_BY_ID, 1, VIEW_QS),
        lazy(POSTS_BY_AUTHOR, 1, LOOP_BODY, USER_POSTS, VIEW_QS),
        lazy(POSTS_BY_AUTHOR, 1, LOOP_BODY, USER_POSTS, VIEW_QS),
    ]);
    assert!(report.n_plus_one.is_empty());
    // Same statement, same parameters: a duplicate (scenario #29), not an N+1.
    assert_eq!(report.duplicates.len(), 1);
    assert_eq!(report.duplicates[0].count, 2);
}

#[test]
fn s05_one_to_one_forward_and_reverse_in_a_loop_are_n_plus_ones() {
    let forward: Vec<_> = fk_loop(POSTS, USER_BY_ID, PROFILE_USER, 3).collect();
    assert_eq!(only_n_plus_one(&run(&forward)).relation, Some(PROFILE_USER));
    let reverse: Vec<_> = fk_loop(USERS, PROFILE_BY_USER, USER_PROFILE, 3).collect();
    assert_eq!(only_n_plus_one(&run(&reverse)).relation, Some(USER_PROFILE));
}

#[test]
fn s05_one_to_one_with_select_related_is_nothing() {
    assert_nothing(&run(&[q(USERS_WITH_PROFILE, 0, VIEW_QS)]));
}

#[test]
fn s06_m2m_forward_and_reverse_name_the_right_field() {
    let mut events = vec![q(USERS, 0, VIEW_QS)];
    for user in 1..=3 {
        events.push(lazy(FOLLOWING_OF, user, LOOP_BODY, USER_FOLLOWING, VIEW_QS));
        events.push(lazy(
            FOLLOWERS_OF,
            user,
            LOOP_BODY_2,
            USER_FOLLOWERS,
            VIEW_QS,
        ));
        events.push(lazy(
            USER_SET_OF,
            user,
            LOOP_BODY_3,
            GROUP_USER_SET,
            VIEW_QS,
        ));
    }
    let report = run(&events);
    let found: Vec<_> = report
        .n_plus_one
        .iter()
        .map(|n| (n.fingerprint, n.relation, n.count))
        .collect();
    assert_eq!(
        found,
        [
            (FOLLOWING_OF, Some(USER_FOLLOWING), 3),
            (FOLLOWERS_OF, Some(USER_FOLLOWERS), 3),
            (USER_SET_OF, Some(GROUP_USER_SET), 3),
        ]
    );
}

#[test]
fn s07_first_on_an_m2m_manager_for_two_objects_is_nothing() {
    // u1.groups.first(); u2.groups.first() on two lines
    let report = run(&[
        q(USER_BY_ID, 1, LINE_A),
        q(USER_BY_ID, 2, LINE_B),
        q(FIRST_GROUP_OF, 1, LINE_C),
        q(FIRST_GROUP_OF, 2, LINE_D),
    ]);
    assert_nothing(&report);
}

#[test]
fn s08_generic_relation_in_a_loop_is_an_n_plus_one() {
    let events: Vec<_> = fk_loop(POSTS, TAGS_OF, POST_TAGS, 4).collect();
    assert_eq!(only_n_plus_one(&run(&events)).relation, Some(POST_TAGS));
}

#[test]
fn s08_generic_relation_prefetched_is_nothing() {
    assert_nothing(&run(&[q(POSTS, 0, VIEW_QS), q(TAGS_OF_MANY, 1, VIEW_QS)]));
}

#[test]
fn s08_generic_foreign_key_in_a_loop_is_an_n_plus_one_per_target_table() {
    // Items pointing at posts and photos: one shape per target table, each repeated.
    let mut events = vec![q(TAGGED_ITEMS, 0, VIEW_QS)];
    for id in 1..=2 {
        events.push(lazy(
            POST_BY_ID,
            id,
            LOOP_BODY,
            ITEM_CONTENT_OBJECT,
            VIEW_QS,
        ));
        events.push(lazy(
            PHOTO_BY_ID,
            id,
            LOOP_BODY,
            ITEM_CONTENT_OBJECT,
            VIEW_QS,
        ));
    }
    let report = run(&events);
    let found: Vec<_> = report.n_plus_one.iter().map(|n| n.fingerprint).collect();
    assert_eq!(found, [POST_BY_ID, PHOTO_BY_ID]);
}

#[test]
fn s08_generic_foreign_key_prefetched_or_null_is_nothing() {
    // prefetch_related("content_object"): one IN query per content type.
    assert_nothing(&run(&[
        q(TAGGED_ITEMS, 0, VIEW_QS),
        q(POSTS_BY_AUTHORS, 1, VIEW_QS),
        q(USERS_BY_IDS, 1, VIEW_QS),
    ]));
    // A null GFK sends no query at all.
    assert_nothing(&run(&[q(TAGGED_ITEMS, 0, VIEW_QS)]));
}

#[test]
fn s09_deferred_field_in_a_loop_is_reported_as_the_deferred_field() {
    let events: Vec<_> = fk_loop(POSTS, USERNAME_BY_ID, USER_USERNAME_DEFERRED, 3).collect();
    assert_eq!(
        only_n_plus_one(&run(&events)).relation,
        Some(USER_USERNAME_DEFERRED)
    );
}

#[test]
fn s09_deferred_field_still_reported_after_an_unrelated_single_fetch() {
    let mut events = vec![q(USER_BY_ID, 1, LINE_A)];
    events.extend(fk_loop(POSTS, USERNAME_BY_ID, USER_USERNAME_DEFERRED, 3));
    let n = only_n_plus_one(&run(&events));
    assert_eq!((n.fingerprint, n.count), (USERNAME_BY_ID, 3));
}

#[test]
fn s09_only_the_needed_field_is_nothing() {
    // .only("author__username") joins the field in.
    assert_nothing(&run(&[q(POSTS, 0, VIEW_QS)]));
}

#[test]
fn s10_prefetch_related_objects_per_instance_is_an_n_plus_one() {
    // for u in users: prefetch_related_objects([u], "posts") -> one IN (?+) per user.
    let events: Vec<_> = fk_loop(USERS, POSTS_BY_AUTHORS, USER_POSTS, 3).collect();
    let n = only_n_plus_one(&run(&events));
    assert_eq!((n.fingerprint, n.count), (POSTS_BY_AUTHORS, 3));
}

#[test]
fn s10_one_bulk_prefetch_related_objects_is_nothing() {
    assert_nothing(&run(&[
        q(USERS, 0, VIEW_QS),
        q(POSTS_BY_AUTHORS, 7, LINE_A),
    ]));
}

#[test]
fn s11_converging_prefetch_paths_are_nothing() {
    // Order.objects.prefetch_related("main_store__region", "backup_store__region"): one batch
    // query per path level, all from the queryset's evaluation line.
    let batch = |fp, p, relation, origin| {
        q(fp, p, VIEW_QS)
            .with_relation(relation)
            .with_origin(origin)
    };
    let report = run(&[
        q(ORDERS, 0, VIEW_QS),
        batch(STORES_BY_IDS, 1, ORDER_MAIN_STORE, VIEW_QS),
        batch(REGIONS_BY_IDS, 11, STORE_REGION, MAIN_STORE_PREFETCH),
        batch(STORES_BY_IDS, 2, ORDER_BACKUP_STORE, VIEW_QS),
        batch(REGIONS_BY_IDS, 12, STORE_REGION, BACKUP_STORE_PREFETCH),
    ]);
    assert_nothing(&report);
    // The shapes are still visible as "similar" queries.
    let stores = report
        .shapes
        .iter()
        .find(|s| s.fingerprint == STORES_BY_IDS)
        .unwrap();
    assert_eq!((stores.count, stores.groups), (2, 2));
}

#[test]
fn s12_prefetch_then_filter_to_one_object_is_nothing() {
    assert_nothing(&run(&[
        q(POST_BY_ID, 1, VIEW_QS),
        q(USERS_BY_IDS, 1, VIEW_QS),
    ]));
}

#[test]
fn s13_same_relation_once_each_on_two_lines_is_nothing() {
    let report = run(&[
        q(POSTS, 0, VIEW_QS),
        lazy(USER_BY_ID, 1, LINE_A, POST_AUTHOR, VIEW_QS),
        lazy(USER_BY_ID, 2, LINE_B, POST_AUTHOR, VIEW_QS),
    ]);
    assert_nothing(&report);
}

#[test]
fn s14_get_per_row_is_an_n_plus_one() {
    // for c in comments: Post.objects.get(pk=c.post_id)
    let mut events = vec![q(COMMENT_BY_ID, 0, VIEW_QS)];
    events.extend((1..=3).map(|id| q(POST_BY_ID, id, LOOP_BODY)));
    let n = only_n_plus_one(&run(&events));
    assert_eq!(
        (n.fingerprint, n.relation, n.call_site),
        (POST_BY_ID, None, LOOP_BODY)
    );
}

#[test]
fn s14_two_gets_on_different_lines_are_nothing() {
    assert_nothing(&run(&[q(POST_BY_ID, 1, LINE_A), q(POST_BY_ID, 2, LINE_B)]));
}

#[test]
fn s15_values_querysets_are_nothing() {
    assert_nothing(&run(&[q(POST_IDS, 0, VIEW_QS)]));
}

#[test]
fn s16_threshold_3_with_2_accesses_is_nothing() {
    let config = DetectConfig {
        threshold: 3,
        ..DetectConfig::default()
    };
    let two: Vec<_> = fk_loop(POSTS, USER_BY_ID, POST_AUTHOR, 2).collect();
    assert_nothing(&detect(two, &config));
    let three: Vec<_> = fk_loop(POSTS, USER_BY_ID, POST_AUTHOR, 3).collect();
    assert_eq!(detect(three, &config).n_plus_one.len(), 1);
}

#[test]
fn s17_template_loop_over_a_prefetched_m2m_is_nothing() {
    assert_nothing(&run(&[
        q(USERS, 0, VIEW_QS),
        q(HOBBIES_OF_USERS, 1, VIEW_QS),
    ]));
    // Empty tables: no rows, so no prefetch query either.
    assert_nothing(&run(&[q(USERS, 0, VIEW_QS)]));
}

#[test]
fn s18_single_object_then_list_then_relation_on_the_single_one_is_nothing() {
    let report = run(&[
        q(USER_BY_ID, 1, LINE_A),
        q(USERS, 0, LINE_B),
        q(POSTS_BY_AUTHOR, 1, LINE_C).with_relation(USER_POSTS),
    ]);
    assert_nothing(&report);
}

#[test]
fn s19_multi_table_inheritance_parent_link_keeps_its_name() {
    let events: Vec<_> = fk_loop(RESTAURANTS, PLACE_BY_ID, RESTAURANT_PLACE_PTR, 3).collect();
    assert_eq!(
        only_n_plus_one(&run(&events)).relation,
        Some(RESTAURANT_PLACE_PTR)
    );
}

#[test]
fn s22_list_view_reported_two_detail_requests_not() {
    let list: Vec<_> = fk_loop(POSTS, USER_BY_ID, POST_AUTHOR, 3).collect();
    assert_eq!(run(&list).n_plus_one.len(), 1);
    // Two detail requests, one scope each: the same line runs once per scope.
    for post in 1..=2 {
        assert_nothing(&run(&[
            q(POST_BY_ID, post, VIEW_QS),
            lazy(USER_BY_ID, post, LOOP_BODY, POST_AUTHOR, VIEW_QS),
        ]));
    }
}

// ---------------------------------------------------------------------------------------------
// B. Per-row queries that descriptor hooks miss

#[test]
fn s23_count_exists_aggregate_per_row_are_n_plus_ones() {
    let mut events = vec![q(AUTHORS, 0, VIEW_QS)];
    for author in 1..=3 {
        events.push(q(COUNT_BOOKS, author, LOOP_BODY).with_relation(AUTHOR_BOOKS));
        events.push(q(EXISTS_BOOKS, author, LOOP_BODY_2).with_relation(AUTHOR_BOOKS));
        events.push(q(AVG_PRICE, author, LOOP_BODY_3).with_relation(AUTHOR_BOOKS));
    }
    let report = run(&events);
    let found: Vec<_> = report.n_plus_one.iter().map(|n| n.fingerprint).collect();
    assert_eq!(found, [COUNT_BOOKS, EXISTS_BOOKS, AVG_PRICE]);
}

#[test]
fn s24_relation_methods_per_row_are_n_plus_ones() {
    for (fingerprint, what) in [
        (FIRST_BOOK, "first"),
        (LAST_BOOK, "last"),
        (BOOK_TITLES, "values_list"),
        (PUBLISHED_BOOKS, "filter"),
        (BOOKS_BY_TITLE, "order_by"),
    ] {
        let events: Vec<_> = fk_loop(AUTHORS, fingerprint, AUTHOR_BOOKS, 3).collect();
        let n = only_n_plus_one(&run(&events));
        assert_eq!(
            (n.fingerprint, n.eager_defeated),
            (fingerprint, false),
            "{what}"
        );
    }
}

#[test]
fn s24_relation_method_on_a_prefetched_relation_says_the_prefetch_is_thrown_away() {
    // Author.objects.prefetch_related("books"), then a.books.first() per row.
    let mut scope = Scope::new(DetectConfig::default());
    scope.record(&q(AUTHORS, 0, VIEW_QS));
    scope.record(&q(BOOKS_OF_AUTHORS, 1, VIEW_QS));
    scope.eager_loaded(VIEW_QS, AUTHOR_BOOKS);
    for author in 1..=3 {
        scope.record(&lazy(FIRST_BOOK, author, LOOP_BODY, AUTHOR_BOOKS, VIEW_QS));
    }
    let report = scope.finish();
    let n = only_n_plus_one(&report);
    assert!(n.eager_defeated);
    // One finding for one cause: the unused prefetch is explained by the N+1.
    assert!(report.unused_eager.is_empty());
}

#[test]
fn s25_filter_first_per_row_is_an_n_plus_one() {
    // Invoice.objects.filter(customer=row.customer_id).first()
    let mut events = vec![q(USERS, 0, VIEW_QS)];
    events.extend((1..=4).map(|id| q(FIRST_INVOICE, id, LOOP_BODY)));
    assert_eq!(only_n_plus_one(&run(&events)).count, 4);
}

#[test]
fn s26_raw_sql_in_a_loop_is_an_n_plus_one() {
    let events: Vec<_> = (1..=3).map(|day| q(RAW_REPORT, day, LOOP_BODY)).collect();
    assert_eq!(only_n_plus_one(&run(&events)).fingerprint, RAW_REPORT);
}

#[test]
fn s26_raw_sql_in_a_loop_from_logs_without_call_sites() {
    // Logs: call site 0, so the fingerprint alone groups.
    let events: Vec<_> = (1..=3).map(|day| q(RAW_REPORT, day, 0)).collect();
    let n = only_n_plus_one(&run(&events));
    assert_eq!((n.call_site, n.count), (0, 3));
}

#[test]
fn s27_two_gets_on_two_tables_are_nothing() {
    // Different tables never share a fingerprint (querysight_sql), even from one line.
    assert_nothing(&run(&[q(POST_BY_ID, 1, LINE_A), q(USER_BY_ID, 1, LINE_A)]));
}

#[test]
fn s28_once_outside_and_once_inside_a_scope_is_nothing() {
    // The query outside the scope is never recorded: the scope sees one execution.
    assert_nothing(&run(&[q(POST_BY_ID, 1, LINE_A)]));
}

#[test]
fn s29_identical_query_twice_is_a_duplicate() {
    let report = run(&[q(POST_BY_ID, 7, LINE_A), q(POST_BY_ID, 7, LINE_B)]);
    assert!(report.n_plus_one.is_empty());
    assert_eq!(
        report.duplicates,
        [Duplicate {
            fingerprint: POST_BY_ID,
            params_hash: 7,
            call_site: LINE_A,
            // The avoidable execution is the second, at LINE_B.
            repeat_site: LINE_B,
            count: 2,
            total_duration_us: 200,
            first_index: 0,
        }]
    );
}

#[test]
fn s30_filter_id_1_twice_and_id_2_once() {
    let report = run(&[
        q(POST_FILTER_ID, 1, LINE_A),
        q(POST_FILTER_ID, 1, LINE_B),
        q(POST_FILTER_ID, 2, LINE_C),
    ]);
    assert!(report.n_plus_one.is_empty());
    let shape = report.shapes[0];
    assert_eq!(
        (
            shape.fingerprint,
            shape.count,
            shape.distinct_params,
            shape.groups
        ),
        (POST_FILTER_ID, 3, 2, 3)
    );
    assert_eq!(report.duplicates.len(), 1);
    let dup = report.duplicates[0];
    assert_eq!((dup.params_hash, dup.count, dup.call_site), (1, 2, LINE_A));
}

#[test]
fn s30_id_lt_10_and_id_lt_20_are_one_shape_seen_twice() {
    let report = run(&[
        q(POST_FILTER_ID_LT, 10, LINE_A),
        q(POST_FILTER_ID_LT, 20, LINE_B),
    ]);
    assert_nothing(&report);
    assert_eq!(report.shapes.len(), 1);
    assert_eq!(
        (report.shapes[0].count, report.shapes[0].distinct_params),
        (2, 2)
    );
}

// ---------------------------------------------------------------------------------------------
// C. Unused eager loading

#[test]
fn s31_select_related_never_read_is_reported_read_is_not() {
    let mut scope = Scope::new(DetectConfig::default());
    scope.record(&q(USERS_WITH_PROFILE, 0, VIEW_QS));
    scope.eager_loaded(VIEW_QS, PERSON_OCCUPATION);
    assert_eq!(scope.finish().unused_eager, [(VIEW_QS, PERSON_OCCUPATION)]);

    let mut scope = Scope::new(DetectConfig::default());
    scope.record(&q(USERS_WITH_PROFILE, 0, VIEW_QS));
    scope.eager_loaded(VIEW_QS, PERSON_OCCUPATION);
    scope.eager_used(VIEW_QS, PERSON_OCCUPATION);
    assert_nothing(&scope.finish());
}

#[test]
fn s32_prefetch_never_read_is_reported_empty_result_is_not() {
    let mut scope = Scope::new(DetectConfig::default());
    scope.record(&q(USERS, 0, VIEW_QS));
    scope.record(&q(HOBBIES_OF_USERS, 1, VIEW_QS));
    scope.eager_loaded(VIEW_QS, USER_HOBBIES);
    assert_eq!(scope.finish().unused_eager, [(VIEW_QS, USER_HOBBIES)]);

    // No users: no rows, the caller registers nothing.
    let mut scope = Scope::new(DetectConfig::default());
    scope.record(&q(USERS, 0, VIEW_QS));
    assert_nothing(&scope.finish());
}

#[test]
fn s33_nested_unused_paths_are_two_findings() {
    let mut scope = Scope::new(DetectConfig::default());
    scope.record(&q(USERS_WITH_PROFILE, 0, VIEW_QS));
    scope.eager_loaded(VIEW_QS, EMPLOYEE_USER);
    scope.eager_loaded_nested(VIEW_QS, EMPLOYEE_USER_OCCUPATION, EMPLOYEE_USER);
    assert_eq!(
        scope.finish().unused_eager,
        [
            (VIEW_QS, EMPLOYEE_USER),
            (VIEW_QS, EMPLOYEE_USER_OCCUPATION)
        ]
    );
}

#[test]
fn s33_nested_path_with_only_the_parent_read_is_one_finding() {
    let mut scope = Scope::new(DetectConfig::default());
    scope.eager_loaded(VIEW_QS, EMPLOYEE_USER);
    scope.eager_loaded_nested(VIEW_QS, EMPLOYEE_USER_OCCUPATION, EMPLOYEE_USER);
    scope.eager_used(VIEW_QS, EMPLOYEE_USER);
    assert_eq!(
        scope.finish().unused_eager,
        [(VIEW_QS, EMPLOYEE_USER_OCCUPATION)]
    );
}

#[test]
fn s34_nullable_fk_selected_but_null_is_nothing() {
    // select_related("occupation") where every occupation is NULL: no related row, so the
    // caller does not register the path.
    let mut scope = Scope::new(DetectConfig::default());
    scope.record(&q(USERS_WITH_PROFILE, 0, VIEW_QS));
    assert_nothing(&scope.finish());
}

#[test]
fn s35_error_responses_are_skipped() {
    let mut scope = Scope::new(DetectConfig::default());
    scope.record(&q(USERS_WITH_PROFILE, 0, VIEW_QS));
    scope.eager_loaded(VIEW_QS, PERSON_OCCUPATION);
    scope.mark_failed();
    assert_nothing(&scope.finish());
}

#[test]
fn s36_used_nested_m2m_to_fk_prefetch_is_neither_n_plus_one_nor_unused() {
    // User.objects.prefetch_related("hobbies__category"), template reads h.category.name.
    let mut scope = Scope::new(DetectConfig::default());
    scope.record(&q(USERS, 0, VIEW_QS));
    scope.record(&q(HOBBIES_OF_USERS, 1, VIEW_QS));
    scope.record(&q(CATEGORIES_BY_IDS, 2, VIEW_QS).with_origin(HOBBIES_PREFETCH));
    scope.eager_loaded(VIEW_QS, USER_HOBBIES);
    scope.eager_loaded_nested(VIEW_QS, USER_HOBBIES_CATEGORY, USER_HOBBIES);
    // Reading the nested path reads its parent too.
    scope.eager_used(VIEW_QS, USER_HOBBIES_CATEGORY);
    assert_nothing(&scope.finish());
}

// ---------------------------------------------------------------------------------------------
// The detector's own guarantees

#[test]
fn interleaved_fingerprints_are_counted_apart() {
    // for post in posts: post.author; post.category  -> two shapes alternate.
    let mut events = vec![q(POSTS, 0, VIEW_QS)];
    for id in 1..=4 {
        events.push(lazy(USER_BY_ID, id, LOOP_BODY, POST_AUTHOR, VIEW_QS));
        events.push(lazy(
            CATEGORY_BY_ID,
            id % 2,
            LOOP_BODY_2,
            POST_CATEGORY,
            VIEW_QS,
        ));
    }
    let report = run(&events);
    let found: Vec<_> = report
        .n_plus_one
        .iter()
        .map(|n| (n.fingerprint, n.count, n.distinct_params, n.first_index))
        .collect();
    assert_eq!(found, [(USER_BY_ID, 4, 4, 1), (CATEGORY_BY_ID, 4, 2, 2)]);
    // Two categories read twice each inside the N+1 loop: explained by the N+1, not repeated
    // as duplicates.
    assert!(report.duplicates.is_empty());
}

#[test]
fn same_row_twice_inside_an_n_plus_one_is_not_also_a_duplicate() {
    // Two posts by one author among three.
    let events = [
        q(POSTS, 0, VIEW_QS),
        lazy(USER_BY_ID, 1, LOOP_BODY, POST_AUTHOR, VIEW_QS),
        lazy(USER_BY_ID, 2, LOOP_BODY, POST_AUTHOR, VIEW_QS),
        lazy(USER_BY_ID, 1, LOOP_BODY, POST_AUTHOR, VIEW_QS),
    ];
    let report = run(&events);
    let n = only_n_plus_one(&report);
    assert_eq!((n.count, n.distinct_params), (3, 2));
    assert!(report.duplicates.is_empty());
    // The same row also read once outside the loop: the loop's reads are the N+1's (fixing
    // it removes them), so the one read left is no duplicate.
    let mut events = events.to_vec();
    events.push(q(USER_BY_ID, 1, LINE_A));
    let report = run(&events);
    assert_eq!(report.n_plus_one.len(), 1);
    assert!(report.duplicates.is_empty());
    // Read twice outside the loop, it is.
    events.push(q(USER_BY_ID, 1, LINE_B));
    let report = run(&events);
    assert_eq!(report.duplicates.len(), 1);
    assert_eq!(
        (report.duplicates[0].count, report.duplicates[0].call_site),
        (2, LINE_A)
    );
}

#[test]
fn same_parameters_repeated_from_one_line_is_a_duplicate_not_an_n_plus_one() {
    let events: Vec<_> = (0..5).map(|_| q(POST_BY_ID, 1, LOOP_BODY)).collect();
    let report = run(&events);
    assert!(report.n_plus_one.is_empty());
    assert_eq!(report.duplicates[0].count, 5);
}

#[test]
fn relation_splits_one_line_reading_two_relations_of_one_table() {
    // for o in orders: (o.main_store, o.backup_store) on one line.
    let mut events = vec![q(ORDERS, 0, VIEW_QS)];
    for id in 1..=3 {
        events.push(lazy(
            STORES_BY_IDS,
            id,
            LOOP_BODY,
            ORDER_MAIN_STORE,
            VIEW_QS,
        ));
        events.push(lazy(
            STORES_BY_IDS,
            id + 10,
            LOOP_BODY,
            ORDER_BACKUP_STORE,
            VIEW_QS,
        ));
    }
    let relations: Vec<_> = run(&events).n_plus_one.iter().map(|n| n.relation).collect();
    assert_eq!(
        relations,
        [Some(ORDER_MAIN_STORE), Some(ORDER_BACKUP_STORE)]
    );
    // One order only: two queries, but no loop.
    let report = run(&events[..3]);
    assert_nothing(&report);
}

#[test]
fn truncated_events_never_start_a_finding() {
    let cut = |p| q(RAW_REPORT, p, 0).with_truncated(true);
    assert_nothing(&run(&[cut(1), cut(2), cut(3), cut(3)]));
    // They count toward a group a complete statement is in.
    let report = run(&[cut(1), q(RAW_REPORT, 2, 0), cut(3)]);
    let n = only_n_plus_one(&report);
    assert_eq!((n.count, n.distinct_params, n.first_index), (3, 3, 0));
}

#[test]
fn min_total_duration_filters_findings() {
    let config = DetectConfig {
        min_total_duration_us: 50_000,
        ..DetectConfig::default()
    };
    let events = |us| {
        (1..=3)
            .map(move |id| q(POST_BY_ID, id, LOOP_BODY).with_duration_us(us))
            .chain((0..2).map(move |_| q(USER_BY_ID, 9, LINE_A).with_duration_us(us)))
    };
    let fast = detect(events(1_000), &config);
    assert_nothing(&fast);
    let slow = detect(events(30_000), &config);
    assert_eq!(slow.n_plus_one[0].total_duration_us, 90_000);
    assert_eq!(slow.duplicates[0].total_duration_us, 60_000);
}

#[test]
fn production_defaults_need_five_repeats_and_50_ms() {
    let config = DetectConfig::production();
    let loop_of = |rows: u64, us: u64| {
        (1..=rows).map(move |id| q(USER_BY_ID, id, LOOP_BODY).with_duration_us(us))
    };
    assert!(detect(loop_of(4, 20_000), &config).n_plus_one.is_empty());
    assert!(detect(loop_of(5, 5_000), &config).n_plus_one.is_empty());
    assert_eq!(detect(loop_of(5, 10_000), &config).n_plus_one.len(), 1);
}

#[test]
fn writes_are_grouped_only_when_asked() {
    let events: Vec<_> = (1..=3)
        .map(|id| q(UPDATE_POST, id, LOOP_BODY).with_kind(QueryKind::Write))
        .collect();
    let report = run(&events);
    assert_nothing(&report);
    assert_eq!(report.queries, 3);
    let config = DetectConfig {
        include_writes: true,
        ..DetectConfig::default()
    };
    let n = only_n_plus_one(&detect(events, &config));
    assert_eq!((n.kind, n.count), (QueryKind::Write, 3));
}

#[test]
fn other_statements_are_counted_never_grouped() {
    let events: Vec<_> = (0..4)
        .map(|i| q(SAVEPOINT, i % 2, LOOP_BODY).with_kind(QueryKind::Other))
        .collect();
    let report = run(&events);
    assert_nothing(&report);
    assert!(report.shapes.is_empty());
    assert_eq!((report.queries, report.total_duration_us), (4, 400));
}

#[test]
fn scope_and_detect_agree() {
    let events: Vec<_> = fk_loop(POSTS, USER_BY_ID, POST_AUTHOR, 10).collect();
    let mut scope = Scope::new(DetectConfig::default());
    for e in &events {
        scope.record(e);
    }
    assert_eq!(scope.query_count(), 11);
    assert_eq!(scope.finish(), run(&events));
}

#[test]
fn max_groups_bounds_tracking_and_counts_what_was_dropped() {
    let config = DetectConfig {
        max_groups: 3,
        ..DetectConfig::default()
    };
    let mut scope = Scope::new(config);
    for site in 1..=5 {
        for id in 1..=2 {
            scope.record(&q(USER_BY_ID, id, site));
        }
    }
    scope.eager_loaded(1, 1);
    scope.eager_loaded(1, 2);
    scope.eager_loaded(1, 3);
    scope.eager_loaded(1, 4);
    assert_eq!(scope.tracked_groups(), 3);
    assert_eq!(scope.tracked_eager_paths(), 3);
    let report = scope.finish();
    assert_eq!(report.n_plus_one.len(), 3);
    assert_eq!((report.queries, report.dropped_events), (10, 4));
    assert_eq!(report.dropped_eager, 1);
}

#[test]
fn a_million_events_over_ten_groups_keep_memory_bounded() {
    let mut scope = Scope::new(DetectConfig::default());
    let mut peak = 0;
    for i in 0..1_000_000_u64 {
        let group = i % 10;
        // Distinct parameters per group: 100,000 each.
        scope.record(&q(USER_BY_ID + group, i, LOOP_BODY).with_duration_us(1));
        if i % 100_000 == 0 {
            peak = peak.max(scope.heap_bytes());
        }
    }
    peak = peak.max(scope.heap_bytes());
    assert_eq!(scope.tracked_groups(), 10);
    // 10 groups × (64 exact entries × 32 B + 2 KiB sketch) plus the index: well under 64 KiB.
    assert!(peak < 64 * 1024, "{peak} bytes");
    let report = scope.finish();
    assert_eq!(report.queries, 1_000_000);
    assert_eq!(report.n_plus_one.len(), 10);
    for n in &report.n_plus_one {
        assert_eq!(n.count, 100_000);
        let error = (n.distinct_params as f64 - 100_000.0).abs() / 100_000.0;
        assert!(error < 0.07, "{n:?}");
    }
}

#[test]
fn distinct_params_estimate_at_10k_is_within_a_few_percent() {
    let mut errors = Vec::new();
    for stream in 0..8_u64 {
        let events = (0..10_000_u64).map(|i| q(RAW_REPORT, stream << 40 | i, LOOP_BODY));
        let n = only_n_plus_one(&run(&events.collect::<Vec<_>>()));
        assert_eq!(n.count, 10_000);
        errors.push((n.distinct_params as f64 - 10_000.0).abs() / 10_000.0);
    }
    let mean = errors.iter().sum::<f64>() / errors.len() as f64;
    assert!(errors.iter().all(|&e| e < 0.07), "{errors:?}");
    assert!(mean < 0.03, "{errors:?}");
}

#[test]
fn shape_distinct_params_merge_across_call_sites() {
    // 64 distinct values at each of two lines, half shared: exact union.
    let mut events: Vec<_> = (0..64).map(|i| q(POST_BY_ID, i, LINE_A)).collect();
    events.extend((32..96).map(|i| q(POST_BY_ID, i, LINE_B)));
    let shape = run(&events).shapes[0];
    assert_eq!(
        (shape.count, shape.distinct_params, shape.groups),
        (128, 96, 2)
    );
    // 5,000 at each, half shared: estimated union of 7,500.
    let mut events: Vec<_> = (0..5_000).map(|i| q(POST_BY_ID, i, LINE_A)).collect();
    events.extend((2_500..7_500).map(|i| q(POST_BY_ID, i, LINE_B)));
    let shape = run(&events).shapes[0];
    let error = (shape.distinct_params as f64 - 7_500.0).abs() / 7_500.0;
    assert!(error < 0.07, "{shape:?}");
}

#[test]
fn a_row_read_once_and_again_inside_a_long_n_plus_one_is_no_duplicate() {
    // A single row loaded at line A, then 100 different rows at line B that include it: the
    // loop is an N+1 (past the exact limit of 64 parameter sets) and explains its reads.
    let mut events = vec![q(USER_BY_ID, 5, LINE_A)];
    events.extend((0..100).map(|i| q(USER_BY_ID, i, LINE_B)));
    let report = run(&events);
    assert_eq!(only_n_plus_one(&report).call_site, LINE_B);
    assert!(report.duplicates.is_empty());
}

fn write(id: u64) -> QueryEvent {
    q(UPDATE_POST, id, LINE_A).with_kind(QueryKind::Write)
}

#[test]
fn a_select_repeated_after_a_write_is_no_duplicate() {
    // SELECT, INSERT/UPDATE, the same SELECT: the second may read what the write changed
    // ("keep the first result" would be wrong). Same line or another line.
    for second_line in [LINE_B, LOOP_BODY] {
        let report = run(&[
            q(POST_BY_ID, 1, LOOP_BODY),
            write(1),
            q(POST_BY_ID, 1, second_line),
        ]);
        assert!(report.duplicates.is_empty(), "{report:?}");
        assert!(report.n_plus_one.is_empty(), "{report:?}");
    }
    // Without the write in between, it is one.
    let report = run(&[
        write(1),
        q(POST_BY_ID, 1, LOOP_BODY),
        q(POST_BY_ID, 1, LINE_B),
    ]);
    assert_eq!(report.duplicates.len(), 1);
    // Two repeats in one epoch, then another after a write: still a duplicate, counted whole.
    let report = run(&[
        q(POST_BY_ID, 1, LOOP_BODY),
        q(POST_BY_ID, 1, LOOP_BODY),
        write(1),
        q(POST_BY_ID, 1, LOOP_BODY),
    ]);
    assert_eq!(report.duplicates[0].count, 3);
}

#[test]
fn a_loop_reading_and_writing_one_row_is_neither() {
    // for item in items: stock = Stock.get(pk=1); stock.save(): the same read after each
    // write is no duplicate, and one parameter set is no N+1.
    let mut events = Vec::new();
    for _ in 0..5 {
        events.push(q(POST_BY_ID, 1, LOOP_BODY));
        events.push(write(1));
    }
    let report = run(&events);
    assert!(report.duplicates.is_empty(), "{report:?}");
    assert!(report.n_plus_one.is_empty(), "{report:?}");
}

#[test]
fn a_query_repeated_across_a_barrier_is_no_duplicate() {
    // Two test-client requests in one test's scope, each loading the same row once.
    let mut scope = querysight_detect::Scope::new(DetectConfig::default());
    scope.record(&q(POST_BY_ID, 1, LOOP_BODY));
    scope.barrier();
    scope.record(&q(POST_BY_ID, 1, LOOP_BODY));
    assert_nothing(&scope.finish());
    // Within one unit of work it is one.
    let mut scope = querysight_detect::Scope::new(DetectConfig::default());
    scope.barrier();
    scope.record(&q(POST_BY_ID, 1, LOOP_BODY));
    scope.record(&q(POST_BY_ID, 1, LOOP_BODY));
    assert_eq!(scope.finish().duplicates.len(), 1);
}

#[test]
fn an_n_plus_one_from_one_call_into_a_library_is_one_call() {
    // `post.tags.add("a", "b", "c")`: the library's loop runs a query per item, all inside
    // one call of the application line.
    let inside: Vec<_> = (1..=3)
        .map(|id| q(USER_BY_ID, id, LOOP_BODY).with_call(7))
        .collect();
    let report = run(&inside);
    assert!(only_n_plus_one(&report).one_call);
    // The application's loop: a new call into the library per item.
    let outside: Vec<_> = (1..=3)
        .map(|id| q(USER_BY_ID, id, LOOP_BODY).with_call(7 + id))
        .collect();
    let report = run(&outside);
    assert!(!only_n_plus_one(&report).one_call);
    // Unknown calls (logs): never one call.
    let unknown: Vec<_> = (1..=3).map(|id| q(USER_BY_ID, id, LOOP_BODY)).collect();
    assert!(!only_n_plus_one(&run(&unknown)).one_call);
}

#[test]
fn a_duplicate_repeated_on_its_own_line_repeats_there() {
    let report = run(&[q(POST_BY_ID, 7, LINE_A), q(POST_BY_ID, 7, LINE_A)]);
    assert_eq!(
        (
            report.duplicates[0].call_site,
            report.duplicates[0].repeat_site
        ),
        (LINE_A, LINE_A)
    );
    // A repeat across a write is not avoidable: the first avoidable one is at LINE_C.
    let report = run(&[
        q(POST_BY_ID, 7, LINE_A),
        write(1),
        q(POST_BY_ID, 7, LINE_B),
        q(POST_BY_ID, 7, LINE_C),
    ]);
    assert_eq!(
        (
            report.duplicates[0].call_site,
            report.duplicates[0].repeat_site
        ),
        (LINE_A, LINE_C)
    );
}
