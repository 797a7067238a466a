//! Unit tests for edge cases; the rule-by-rule cases live in `tests/conformance/*.json`.

use super::*;

fn one(sql: &[u8], dialect: Dialect) -> Normalized {
    let mut all = normalize(sql, dialect);
    assert_eq!(all.len(), 1, "{:?}", String::from_utf8_lossy(sql));
    all.remove(0)
}

fn text(sql: &str, dialect: Dialect) -> String {
    one(sql.as_bytes(), dialect).text
}

#[test]
fn fingerprint_is_xxh3_of_text() {
    let n = one(b"SELECT 1", Dialect::Postgres);
    assert_eq!(n.text, "select ?");
    assert_eq!(n.fingerprint, xxh3_64(b"select ?"));
    assert_eq!(fingerprint(b"SELECT 1", Dialect::Postgres), n.fingerprint);
}

#[test]
fn fingerprint_reads_only_the_first_statement() {
    assert_eq!(
        fingerprint(b"SELECT 1; SELECT 'unterminated", Dialect::Postgres),
        xxh3_64(b"select ?")
    );
    assert_eq!(
        fingerprint(b"; ;SELECT 2", Dialect::Postgres),
        xxh3_64(b"select ?")
    );
}

#[test]
fn empty_and_blank_input_give_one_empty_statement() {
    for input in [
        &b""[..],
        b"   \n\t",
        b";",
        b";;;",
        b"-- only a comment",
        b"/* c */",
    ] {
        let all = normalize(input, Dialect::Mysql);
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].text, "");
        assert!(!all[0].truncated);
        assert!(!all[0].multi_statement);
        assert_eq!(all[0].fingerprint, xxh3_64(b""));
    }
}

#[test]
fn invalid_utf8_passes_through_lossily() {
    let n = one(
        b"SELECT caf\xe9 FROM t WHERE x = '\xff\xfe'",
        Dialect::Postgres,
    );
    assert_eq!(n.text, "select caf\u{fffd} from t where x = ?");
    assert_eq!(n.literals, ["\u{fffd}\u{fffd}"]);
    assert_eq!(n.fingerprint, xxh3_64(n.text.as_bytes()));
    assert_eq!(
        fingerprint(
            b"SELECT caf\xe9 FROM t WHERE x = '\xff\xfe'",
            Dialect::Postgres
        ),
        n.fingerprint
    );
    // Valid UTF-8 names pass through unchanged (only ASCII is lower-cased).
    assert_eq!(
        text("SELECT Ünïcode FROM Tâble", Dialect::Postgres),
        "select Ünïcode from tâble"
    );
}

#[test]
fn control_bytes_and_unknown_punctuation_pass_through() {
    assert_eq!(text("SELECT a\0b", Dialect::Sqlite), "select a\0b");
    assert_eq!(
        text("SELECT {fn now()}", Dialect::Postgres),
        "select {fn now()}"
    );
    assert_eq!(text("SELECT \\x", Dialect::Postgres), "select \\x");
}

#[test]
fn deep_nesting_is_bounded_and_balanced() {
    let depth = 10_000;
    let sql = format!("SELECT {}1{}", "(".repeat(depth), ")".repeat(depth));
    let n = one(sql.as_bytes(), Dialect::Postgres);
    assert!(!n.truncated);
    assert!(n.text.starts_with("select (((") && n.text.ends_with(")))"));
    let cut = format!("SELECT {}1", "(".repeat(depth));
    assert!(one(cut.as_bytes(), Dialect::Postgres).truncated);
    let unbalanced = ")".repeat(depth);
    assert_eq!(
        one(unbalanced.as_bytes(), Dialect::Postgres).text,
        unbalanced
    );
}

#[test]
fn long_lists_collapse() {
    let ids: Vec<String> = (0..10_000).map(|i| i.to_string()).collect();
    let sql = format!("SELECT * FROM t WHERE id IN ({})", ids.join(", "));
    let n = one(sql.as_bytes(), Dialect::Mysql);
    assert_eq!(n.text, "select * from t where id in (?+)");
    assert_eq!(n.literals.len(), 10_000);
    let rows: Vec<String> = (0..1_000)
        .map(|i| format!("({i}, 'x{i}', NOW())"))
        .collect();
    let sql = format!("INSERT INTO t (a, b, c) VALUES {}", rows.join(", "));
    assert_eq!(
        text(&sql, Dialect::Mysql),
        "insert into t (a, b, c) values (?, ?, now())"
    );
}

#[test]
fn spans_point_into_the_input() {
    let sql = b"  SELECT 1 ; /* c */ SELECT 2  ";
    let all = normalize(sql, Dialect::Postgres);
    assert_eq!(all.len(), 2);
    assert_eq!(&sql[all[0].span.clone()], b"SELECT 1");
    assert_eq!(&sql[all[1].span.clone()], b"/* c */ SELECT 2");
    assert!(all.iter().all(|s| s.multi_statement));
}

#[test]
fn options_max_len_marks_cut_text() {
    let sql = b"SELECT a FROM t WHERE b = 1";
    let mut options = Options::new(Dialect::Mysql);
    options.max_len = Some(sql.len());
    let n = &normalize_with(sql, &options)[0];
    assert!(n.truncated);
    assert_eq!(n.text, "select a from t where b = ? ...");
    options.max_len = Some(sql.len() + 1);
    assert!(!normalize_with(sql, &options)[0].truncated);
    options.max_len = Some(0);
    assert!(
        !normalize_with(sql, &options)[0].truncated,
        "0 means no limit"
    );
    assert_ne!(fingerprint_with(sql, &options), 0);
}

#[test]
fn literals_keep_signs_and_forms() {
    let n = one(
        b"SELECT -1, +2.5e3, 0x1F, 'a''b', $$c$$, TRUE, NULL, X'0A'",
        Dialect::Postgres,
    );
    assert_eq!(
        n.literals,
        ["-1", "+2.5e3", "0x1F", "a'b", "c", "TRUE", "NULL", "0A"]
    );
    let n = one(
        b"SELECT * FROM t WHERE a = $1 AND b = %s AND c IS NULL",
        Dialect::Postgres,
    );
    assert!(
        n.literals.is_empty(),
        "placeholders are not values: {:?}",
        n.literals
    );
}

#[test]
fn sqlcommenter_only_on_the_last_comment() {
    let n = one(b"SELECT 1 /*a='1'*/ /*b='2'*/", Dialect::Postgres);
    assert_eq!(n.comment_tags, [("b".to_owned(), "2".to_owned())]);
    let n = one(b"SELECT 1 /*a='1'*/ -- note", Dialect::Postgres);
    assert_eq!(n.comment_tags, [("a".to_owned(), "1".to_owned())]);
    let n = one(b"SELECT 1 /*a='1'*/ /* a note */", Dialect::Postgres);
    assert_eq!(n.comment_tags, [("a".to_owned(), "1".to_owned())]);
    let n = one(b"SELECT 1 /*+ a='1' */", Dialect::Postgres);
    assert!(n.comment_tags.is_empty());
}

#[test]
fn dialect_names() {
    for (name, dialect) in [
        ("postgres", Dialect::Postgres),
        ("PostgreSQL", Dialect::Postgres),
        ("mysql", Dialect::Mysql),
        (" mariadb ", Dialect::Mysql),
        ("sqlite", Dialect::Sqlite),
        ("sqlite3", Dialect::Sqlite),
    ] {
        assert_eq!(name.parse::<Dialect>(), Ok(dialect));
    }
    let err = "oracle".parse::<Dialect>().unwrap_err();
    assert_eq!(err.given, "oracle");
    assert!(err.to_string().contains("oracle"));
    assert_eq!(Dialect::Mysql.to_string(), "mysql");
    assert_eq!(
        Dialect::Postgres.as_str().parse::<Dialect>(),
        Ok(Dialect::Postgres)
    );
}

#[test]
fn params_hash_is_xxh3() {
    assert_eq!(params_hash(b"(1,)"), xxh3_64(b"(1,)"));
    assert_ne!(params_hash(b"(1,)"), params_hash(b"(2,)"));
}

#[test]
fn find_top_level_skips_quotes_and_comments() {
    let line = br#"SELECT 'a; args=b', "c; args=" /* ; args= */ FROM t; args=('x; args=',); alias=default"#;
    let at = find_top_level(line, Dialect::Postgres, b"; args=").expect("found");
    assert_eq!(
        &line[..at],
        br#"SELECT 'a; args=b', "c; args=" /* ; args= */ FROM t"#
    );
    let mysql = br"SELECT 'it\'s; args=' FROM t; args=(1,)";
    let at = find_top_level(mysql, Dialect::Mysql, b"; args=").expect("found");
    assert_eq!(&mysql[..at], br"SELECT 'it\'s; args=' FROM t");
    let pg = br"SELECT E'it\'s; args=', $q$; args=$q$; args=()";
    let at = find_top_level(pg, Dialect::Postgres, b"; args=").expect("found");
    assert_eq!(&pg[..at], br"SELECT E'it\'s; args=', $q$; args=$q$");
    assert_eq!(find_top_level(b"SELECT 'x", Dialect::Sqlite, b"x"), None);
    assert_eq!(find_top_level(b"abc", Dialect::Sqlite, b""), Some(0));
    assert_eq!(
        find_top_level(b"[; x]; x", Dialect::Sqlite, b"; x"),
        Some(5)
    );
}

#[test]
fn statement_kinds_only_at_the_start() {
    // `close` is an ordinary name when it does not start the statement.
    assert_eq!(
        text("SELECT close FROM prices", Dialect::Postgres),
        "select close from prices"
    );
    let all: Vec<String> = normalize(b"SELECT 1; CLOSE c", Dialect::Postgres)
        .into_iter()
        .map(|s| s.text)
        .collect();
    assert_eq!(all, ["select ?", "close ?"]);
}

#[test]
fn relation_digits_only_where_relations_are() {
    assert_eq!(
        text(
            "SELECT a.x_2024 FROM orders_2024_01 a ORDER BY x_2024, y_2025",
            Dialect::Postgres
        ),
        "select a.x_2024 from orders_{n} a order by x_2024, y_2025"
    );
    assert_eq!(
        text(
            "SELECT * FROM a_01, b_02 WHERE c_03 = 1 GROUP BY d_04, e_05",
            Dialect::Postgres
        ),
        "select * from a_{n}, b_{n} where c_03 = ? group by d_04, e_05"
    );
    assert_eq!(
        text("SELECT orders_2024_01.* FROM x", Dialect::Postgres),
        "select orders_{n}.* from x"
    );
}
