//! `/api/export`: a table one page a request, as CSV or NDJSON, the pages
//! linked by `Link: rel="next"`.

mod support;

use oura_edge::router::{Method, Res};
use oura_edge::services::collections::tables::exportable_tables;
use oura_edge::services::export_page::{self, Format, PageRequest};
use oura_edge::services::platform::{Db, Statement};
use oura_edge::services::try_block_on;
use support::*;

fn export(t: &TestApp, target: &str) -> Res {
    t.send(req(Method::Get, target).with_header("authorization", &bearer(GRAFANA)))
}

fn text(res: &Res) -> String {
    String::from_utf8(res.body_bytes()).unwrap()
}

/// Every row of `table` as NDJSON, from the first page on.
fn ndjson_request(db: &dyn Db, table: &str, max_rows: u32, max_bytes: u64) -> PageRequest {
    let spec = *exportable_tables()
        .iter()
        .find(|s| s.table == table)
        .unwrap();
    let columns = try_block_on(export_page::columns(db, spec))
        .unwrap()
        .unwrap();
    PageRequest {
        spec,
        format: Format::Ndjson,
        columns,
        start: String::new(),
        end: "9999-12-31".into(),
        after: None,
        prefix: String::new(),
        max_rows,
        max_bytes,
    }
}

fn page_text(page: &export_page::Page) -> String {
    page.text.as_ref().map(|t| t.to_rust()).unwrap_or_default()
}

/// The `rel="next"` target of a page, if any.
fn next(res: &Res) -> Option<String> {
    let link = res.header("link")?;
    let target = link.strip_prefix('<')?.split_once(">; rel=\"next\"")?.0;
    Some(target.to_string())
}

/// Every page from `target` on, following the links: (page count, text).
fn all_pages(t: &TestApp, target: &str) -> (usize, String) {
    let (mut pages, mut out) = (0, String::new());
    let mut at = Some(target.to_string());
    while let Some(target) = at {
        let res = export(t, &target);
        assert_eq!(res.status, 200, "{target}: {}", text(&res));
        pages += 1;
        assert!(pages < 100, "the links end");
        out.push_str(&text(&res));
        at = next(&res);
    }
    (pages, out)
}

fn d1(t: &TestApp, sql: &str) {
    try_block_on(t.native.db.query(&Statement::new(sql, vec![])))
        .unwrap()
        .unwrap();
}

#[test]
fn heart_rate_comes_as_csv_in_one_page_with_its_header() {
    let t = TestApp::new().with_fixtures();
    let res = export(&t, "/api/export?table=heart_rate_samples");
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-type"), Some("text/csv; charset=utf-8"));
    assert!(res
        .header("content-disposition")
        .unwrap()
        .contains("heart_rate_samples.csv"));
    assert_eq!(next(&res), None, "3,810 rows fit one page");
    assert_eq!(res.header("x-export-rows"), Some("3810"));
    let body = text(&res);
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(lines[0], "timestamp,bpm,source");
    assert_eq!(lines.len(), 1 + 3810);
    assert!(body.ends_with('\n'));
    let mut sorted = lines[1..].to_vec();
    sorted.sort();
    assert_eq!(sorted, lines[1..], "in key (time) order");
    sorted.dedup();
    assert_eq!(sorted.len(), 3810);
}

#[test]
fn a_large_table_spans_linked_pages_each_row_once() {
    let t = TestApp::new();
    // 40,000 rows: about 2.8 MB of NDJSON, past a page's 750 KB.
    d1(
        &t,
        "INSERT INTO heart_rate_samples (timestamp, bpm, source) \
         WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < 40000) \
         SELECT strftime('%Y-%m-%dT%H:%M:%S+00:00', '2020-01-01', '+' || (i * 300) || ' seconds'), 50 + i % 60, 'awake' FROM n",
    );
    let (pages, body) = all_pages(
        &t,
        "/api/export?table=heart_rate_samples&format=ndjson&start=2020-01-01&end=2020-12-31",
    );
    assert!(pages >= 2, "{pages} pages");
    let stamps: Vec<String> = body
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            assert_eq!(v["source"], "awake");
            v["timestamp"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(stamps.len(), 40_000, "every row, none twice");
    assert!(
        stamps.windows(2).all(|w| w[0] < w[1]),
        "in order across pages"
    );
    // CSV: one header, on the first page only.
    let (_, csv) = all_pages(&t, "/api/export?table=heart_rate_samples&end=2020-12-31");
    assert_eq!(
        csv.lines().filter(|l| l.starts_with("timestamp")).count(),
        1
    );
    assert_eq!(csv.lines().count(), 1 + 40_000);
}

#[test]
fn pages_follow_an_order_of_several_columns() {
    // Workouts page by (start_datetime, id), not by their key (id) alone.
    let t = TestApp::new().with_fixtures();
    let db = t.native.db.as_ref();
    let mut request = ndjson_request(db, "activity_logs", 3, 1_000_000);
    assert_eq!(request.spec.paging.order.len(), 2);
    let (mut ids, mut pages) = (Vec::new(), 0);
    loop {
        let page = try_block_on(export_page::read(db, &request))
            .unwrap()
            .unwrap();
        pages += 1;
        for line in page_text(&page).lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            ids.push(v["id"].as_str().unwrap().to_string());
        }
        match page.next {
            Some(after) => request.after = Some(after),
            None => break,
        }
    }
    let stored = try_block_on(db.query(&Statement::new(
        "SELECT id FROM activity_logs ORDER BY start_datetime, id",
        vec![],
    )))
    .unwrap()
    .unwrap()
    .rows;
    let stored: Vec<String> = stored
        .iter()
        .map(|r| r["id"].as_str().unwrap().into())
        .collect();
    assert!(stored.len() > 3, "fixtures hold several workouts");
    assert_eq!(ids, stored);
    assert_eq!(pages, stored.len().div_ceil(3));
}

#[test]
fn a_page_ends_at_its_size_but_holds_at_least_one_row() {
    let t = TestApp::new().with_fixtures();
    let db = t.native.db.as_ref();
    let request = ndjson_request(db, "daily_summaries", 1000, 10);
    let columns = request.columns.clone();
    let page = try_block_on(export_page::read(db, &request))
        .unwrap()
        .unwrap();
    assert_eq!(page.rows, 1, "one row over the size still comes");
    assert!(page.next.is_some());
    // A wide row (more columns than one json_object takes) is one object.
    let v: serde_json::Value = serde_json::from_str(page_text(&page).trim_end()).unwrap();
    assert!(columns.len() > 60, "{} columns", columns.len());
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), columns.len());
    assert!(
        keys.iter().zip(&columns).all(|(k, c)| *k == c),
        "in column order"
    );
}

#[test]
fn ndjson_and_date_ranges() {
    let t = TestApp::new().with_fixtures();
    let body = text(&export(
        &t,
        "/api/export?table=daily_summaries&format=ndjson&start=2026-01-10&end=2026-01-12",
    ));
    let days: Vec<String> = body
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["day"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(days, ["2026-01-10", "2026-01-11", "2026-01-12"]);
}

#[test]
fn csv_quotes_what_needs_quoting_and_matches_the_stored_values() {
    let t = TestApp::new().with_fixtures();
    let body = text(&export(&t, "/api/export?table=rest_mode_periods"));
    let stored = try_block_on(t.native.db.query(&Statement::new(
        "SELECT episodes_json FROM rest_mode_periods ORDER BY start_day, id",
        vec![],
    )))
    .unwrap()
    .unwrap()
    .rows;
    let mut lines = body.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let at = header.iter().position(|c| *c == "episodes_json").unwrap();
    assert!(!stored.is_empty());
    for (line, row) in lines.zip(&stored) {
        let fields = parse_csv_line(line);
        assert_eq!(fields.len(), header.len(), "{line}");
        let want = row["episodes_json"].as_str().unwrap_or_default();
        assert_eq!(fields[at], want);
    }
}

/// A CSV line's fields (RFC 4180 quoting, no line breaks inside).
fn parse_csv_line(line: &str) -> Vec<String> {
    let (mut fields, mut field, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut field)),
            _ => field.push(c),
        }
    }
    fields.push(field);
    fields
}

#[test]
fn bad_requests_are_explained() {
    let t = TestApp::new();
    let unknown = export(&t, "/api/export?table=oura_oauth_tokens");
    assert_eq!(unknown.status, 400);
    assert!(body_json(&unknown)["hint"]
        .as_str()
        .unwrap()
        .contains("heart_rate_samples"));
    assert_eq!(
        export(&t, "/api/export?table=daily_summaries&format=xml").status,
        400
    );
    assert_eq!(
        export(&t, "/api/export?table=daily_summaries&start=yesterday").status,
        400
    );
    for after in ["nope", "%5B1%2C2%5D", "%5B%5B1%5D%5D"] {
        let res = export(
            &t,
            &format!("/api/export?table=daily_summaries&after={after}"),
        );
        assert_eq!(res.status, 400, "after={after}");
        assert!(body_json(&res)["hint"].as_str().unwrap().contains("Link"));
    }
    assert_eq!(
        t.send(req(Method::Get, "/api/export?table=daily_summaries"))
            .status,
        401
    );
}

#[test]
fn an_empty_table_is_an_empty_body() {
    let t = TestApp::new();
    let res = export(&t, "/api/export?table=heart_rate_samples");
    assert_eq!(res.status, 200);
    assert!(res.body_bytes().is_empty());
    assert_eq!(next(&res), None);
}

#[test]
fn head_gives_the_page_length_without_its_body() {
    let t = TestApp::new().with_fixtures();
    let target = "/api/export?table=heart_rate_samples&format=ndjson";
    let get = export(&t, target);
    let head = t.send(req(Method::Head, target).with_header("authorization", &bearer(GRAFANA)));
    assert_eq!(head.status, 200);
    assert!(head.held.is_none() && head.body.is_empty());
    let length = get.body_bytes().len();
    assert!(length > 0);
    assert_eq!(
        head.header("content-length"),
        Some(length.to_string().as_str())
    );
}
