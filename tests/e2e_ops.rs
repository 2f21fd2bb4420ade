//! Operating it, end to end under `wrangler dev` with the Oura simulator:
//!
//! 1. every `npx wrangler` command docs/deploy.md and docs/runbook.md show
//!    exists with the flags shown;
//! 2. docs/deploy.md followed word by word against the local runtime: its
//!    commands run in order in one shell, `--local` standing in for
//!    `--remote`, `wrangler deploy --dry-run` for the deploy, the simulator
//!    approving the OAuth page a browser would show;
//! 3. `scripts/smoke-test` passes against the instance, and fails with a
//!    clear line on a wrong token or an unreachable host;
//! 4. `scripts/backup` → `scripts/restore` into a fresh local database gives
//!    identical row counts per table and identical answers to the 64
//!    dashboard queries;
//! 5. `scripts/export` follows `/api/export`'s page links to every row.
//!
//! One instance serves every check; each reports on its own. Needs
//! `make build-fast` and `cargo build -p oura-sim` first (`make test` does).

mod local_runtime;

use local_runtime::{free_port, root, today_utc, tool, Sim, Wrangler};
use std::collections::{BTreeMap, BTreeSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

const GRAFANA: &str = "ops-grafana-token";
const ADMIN: &str = "ops-admin-token";
const VERIFY: &str = "ops-verify-token";
const SIM_DAYS: u32 = 14;

struct Ops {
    w: Wrangler,
    scratch: tempfile::TempDir,
}

/// Lines of the ```bash blocks of a markdown file, continuations joined.
fn bash_lines(doc: &str) -> Vec<String> {
    let text = std::fs::read_to_string(root().join(doc)).unwrap();
    let mut out = Vec::new();
    let mut inside = false;
    let mut pending = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("```") {
            inside = !inside && trimmed == "```bash";
            continue;
        }
        if !inside {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(head) => pending.push_str(head),
            None => {
                pending.push_str(trimmed);
                if !pending.is_empty() && !pending.starts_with('#') {
                    out.push(pending.clone());
                }
                pending.clear();
            }
        }
    }
    out
}

/// Shell words, enough for the docs: quotes group, `$(…)` is one word.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut depth = 0;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') if depth == 0 => quote = Some(c),
            (None, '$') if chars.peek() == Some(&'(') => {
                depth += 1;
                cur.push(c);
            }
            (None, ')') if depth > 0 => {
                depth -= 1;
                cur.push(c);
            }
            (None, c) if c.is_whitespace() && depth == 0 => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            (None, c) => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// `bash -c script` in the repository, with the pinned tools first on PATH
/// (as `scripts/env` sets them) and a deadline.
fn shell(script: &str) -> Command {
    let mut cmd = Command::new("timeout");
    let path = format!(
        "{}:{}",
        root().join("node_modules/.bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    cmd.args(["900", "bash", "-c", script])
        .current_dir(root())
        .env("PATH", path)
        .env("WRANGLER_SEND_METRICS", "false")
        .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
        .env("WRANGLER_LOG_PATH", root().join("target/wrangler-logs"));
    cmd
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("command runs")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// 1. `wrangler <command> --help` succeeds and lists every flag the docs use.
fn wrangler_commands_exist(_: &Ops) {
    let names: BTreeSet<&str> = oura_edge::services::config::NAMES.iter().copied().collect();
    let mut wanted: BTreeMap<Vec<String>, BTreeSet<String>> = BTreeMap::new();
    for doc in ["docs/deploy.md", "docs/runbook.md"] {
        for line in bash_lines(doc) {
            let w = words(&line);
            if w.first().map(String::as_str) != Some("npx") {
                continue;
            }
            assert_eq!(w.get(1).map(String::as_str), Some("wrangler"), "{line}");
            // The command is the leading lower-case words; the positionals
            // (`oura-db`, `GRAFANA_SECRET`, `"$id"`, `42`) follow it.
            let is_command_word = |x: &&String| {
                x.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
                    && x.chars().any(|c| c.is_ascii_lowercase())
            };
            let path: Vec<String> = w[2..].iter().take_while(is_command_word).cloned().collect();
            if path == ["secret", "put"] {
                let name = w.get(4).map(String::as_str).unwrap_or("");
                assert!(
                    names.contains(name),
                    "{doc}: `{line}` sets {name}, which the worker never reads"
                );
            }
            let flags = wanted.entry(path).or_default();
            for flag in w.iter().filter(|x| x.starts_with('-')) {
                flags.insert(flag.split('=').next().unwrap().to_string());
            }
        }
    }
    assert!(
        wanted.len() >= 10,
        "too few wrangler commands found: {wanted:?}"
    );
    // Each help costs a Node start: a few threads at once.
    let wanted: Vec<_> = wanted.into_iter().collect();
    let failures: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = wanted
            .chunks(wanted.len().div_ceil(3))
            .map(|chunk| {
                s.spawn(move || {
                    let mut bad = Vec::new();
                    for (path, flags) in chunk {
                        let out = run(tool("wrangler").args(path).arg("--help"));
                        let help = text(&out);
                        if !out.status.success() {
                            bad.push(format!("wrangler {} --help failed: {help}", path.join(" ")));
                            continue;
                        }
                        for flag in flags {
                            let listed = help.contains(&format!("{flag} "))
                                || help.contains(&format!("{flag},"))
                                || help.contains(&format!("{flag}\n"));
                            if !listed {
                                bad.push(format!("wrangler {}: no {flag} option", path.join(" ")));
                            }
                        }
                    }
                    bad
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    assert!(failures.is_empty(), "{failures:#?}");
}

/// The local stand-in of one deploy-guide line, as shell text.
fn stand_in(line: &str, ops: &Ops) -> Option<String> {
    let w = words(line);
    let first = w.first().map(String::as_str).unwrap_or("");
    let scratch = ops.scratch.path().display().to_string();
    let config = format!("{scratch}/wrangler.deploy.toml");
    if ["WORKER=", "ADMIN_TOKEN=", "GRAFANA_TOKEN="]
        .iter()
        .any(|v| line.starts_with(v))
    {
        return None; // the test's values stand in for the reader's
    }
    if first == "npx" {
        let sub = w[2..].iter().take(3).cloned().collect::<Vec<_>>().join(" ");
        if sub.starts_with("d1 migrations apply") || sub.starts_with("d1 execute") {
            assert!(line.contains("--remote"), "{line}");
            let local = format!("--local --persist-to '{}'", ops.w.persist_dir());
            return Some(
                line.replace("--remote", &local)
                    .replace("--config wrangler.deploy.toml", ""),
            );
        }
        if sub.starts_with("deploy") {
            return Some(format!(
                "npx wrangler deploy --dry-run --outdir '{scratch}/dist' --config '{config}'"
            ));
        }
        return None; // account-only: checked by wrangler_commands_exist
    }
    if line == "cp wrangler.starter.toml wrangler.deploy.toml" {
        // Then fill it in as step 3 says, with made-up ids; `main` made
        // absolute since the copy lives outside the repository.
        let main = root().join("js/entry.mjs").display().to_string();
        return Some(format!(
            "cp wrangler.starter.toml '{config}' && sed -i \
             -e 's|<your D1 database id>|11111111-2222-3333-4444-555555555555|' \
             -e 's|<your KV namespace id>|0123456789abcdef0123456789abcdef|' \
             -e 's|^main = .*|main = \"{main}\"|' '{config}'"
        ));
    }
    if first == "make" {
        return Some(line.replacen("make", "make -n", 1));
    }
    if first == "curl" && line.contains("/oauth/start") {
        // The browser step: the simulator approves and redirects to the callback.
        return Some(format!(
            "url=$({line}) && curl -fsSL -o /dev/null \"$url\" && echo \"authorised via $url\""
        ));
    }
    if first == "curl"
        || line.starts_with("id=$(curl ")
        || line.starts_with("until curl ")
        || line.contains("scripts/smoke-test \"$WORKER\"")
    {
        return Some(line.to_string());
    }
    panic!("docs/deploy.md: the test does not know how to run `{line}`");
}

/// 2. docs/deploy.md, word by word, against the local runtime.
fn deploy_guide_word_by_word(ops: &Ops) {
    let mut script = String::from("set -euo pipefail\nset -x\n");
    let lines = bash_lines("docs/deploy.md");
    for line in &lines {
        if let Some(cmd) = stand_in(line, ops) {
            script.push_str(&cmd);
            script.push('\n');
        }
    }
    let started = Instant::now();
    let out = run(shell(&script)
        .env("WORKER", &ops.w.base)
        .env("ADMIN_TOKEN", ADMIN)
        .env("GRAFANA_TOKEN", GRAFANA)
        .env("OURA_WEBHOOK_VERIFICATION_TOKEN", VERIFY));
    let log = text(&out);
    assert!(out.status.success(), "the deploy guide failed:\n{log}");
    eprintln!(
        "e2e_ops: {} guide commands ran in {} s",
        script.lines().count() - 2,
        started.elapsed().as_secs()
    );
    for expected in [
        "Applying",                // migrations (or "No migrations to apply")
        "authorised via",          // OAuth through the simulator
        "\"status\":\"complete\"", // the backfill
        "\"created\":42",          // webhook subscriptions
        "0 failed",                // smoke test
    ] {
        let alt = expected == "Applying" && log.contains("No migrations to apply");
        assert!(
            log.contains(expected) || alt,
            "guide output lacks {expected}:\n{log}"
        );
    }
    let days = ops.w.d1("SELECT COUNT(*) AS n FROM daily_summaries")[0]["n"]
        .as_i64()
        .unwrap();
    assert!(
        days >= i64::from(SIM_DAYS) - 1,
        "backfill stored {days} days"
    );
}

fn smoke(base: &str, token: &str) -> (bool, String) {
    let out = run(Command::new(root().join("scripts/smoke-test"))
        .arg(base)
        .env("OURA_EDGE_TOKEN", token)
        .env("OURA_EDGE_ADMIN_TOKEN", ADMIN)
        .env("OURA_WEBHOOK_VERIFICATION_TOKEN", VERIFY));
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).to_string(),
    )
}

/// 3. The smoke test passes, and fails clearly.
fn smoke_test_passes_and_fails_clearly(ops: &Ops) {
    let (ok, out) = smoke(&ops.w.base, GRAFANA);
    assert!(ok, "{out}");
    for check in [
        "ok   health:",
        "ok   auth rejection: 401 without a token",
        "ok   dashboard query:",
        "ok   status page: version ",
        "ok   admin token:",
        "ok   webhook challenge:",
        "6 passed, 0 failed, 0 skipped",
    ] {
        assert!(out.contains(check), "missing `{check}` in:\n{out}");
    }
    let version = format!("status page: version {},", env!("CARGO_PKG_VERSION"));
    assert!(
        out.contains(&version),
        "/status shows Cargo.toml's version:\n{out}"
    );

    let (ok, out) = smoke(&ops.w.base, "wrong-token");
    assert!(!ok, "a wrong token must fail:\n{out}");
    assert!(
        out.contains(
            "FAIL dashboard query: expected 200 from POST /api/sql, got 401: Unauthorized"
        ),
        "{out}"
    );
    assert!(
        out.contains("FAIL status page: expected 200 from GET /status, got 401"),
        "{out}"
    );
    assert!(out.contains("4 passed, 2 failed, 0 skipped"), "{out}");

    let nowhere = format!("http://127.0.0.1:{}", free_port());
    let (ok, out) = smoke(&nowhere, GRAFANA);
    assert!(!ok, "{out}");
    assert!(
        out.contains("FAIL health: expected 200, got 000: no answer"),
        "{out}"
    );

    let usage = run(&mut Command::new(root().join("scripts/smoke-test")));
    assert_eq!(usage.status.code(), Some(2), "{}", text(&usage));
}

/// 5. A table larger than one page leaves whole through `scripts/export`.
fn export_script_follows_every_page(ops: &Ops) {
    // 40,000 rows in 2019, before anything synced: about 2.8 MB of NDJSON,
    // past a page's 750 KB.
    ops.w.d1(
        "INSERT INTO heart_rate_samples (timestamp, bpm, source) \
         WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < 40000) \
         SELECT strftime('%Y-%m-%dT%H:%M:%S+00:00', '2019-01-01', '+' || (i * 300) || ' seconds'), 50 + i % 60, 'awake' FROM n",
    );
    let export = |token: &str| {
        run(Command::new(root().join("scripts/export"))
            .args([
                &ops.w.base,
                "heart_rate_samples",
                "ndjson",
                "2019-01-01",
                "2019-12-31",
            ])
            .env("OURA_EDGE_TOKEN", token))
    };
    let out = export(GRAFANA);
    assert!(out.status.success(), "{}", text(&out));
    let stamps: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let row: serde_json::Value = serde_json::from_str(l).unwrap();
            row["timestamp"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(stamps.len(), 40_000);
    assert!(
        stamps.windows(2).all(|w| w[0] < w[1]),
        "in order, none twice"
    );

    let refused = export("wrong-token");
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        text(&refused).contains("answered 401"),
        "{}",
        text(&refused)
    );
    let usage = run(&mut Command::new(root().join("scripts/export")));
    assert_eq!(usage.status.code(), Some(2), "{}", text(&usage));
}

/// The SQLite file behind a local D1 database in a persistence directory.
fn d1_file(persist: &str) -> PathBuf {
    let dir = Path::new(persist).join("v3/d1/miniflare-D1DatabaseObject");
    let files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "sqlite")
                && p.file_name().is_some_and(|n| n != "metadata.sqlite")
        })
        .collect();
    assert_eq!(
        files.len(),
        1,
        "one database in {}: {files:?}",
        dir.display()
    );
    files.into_iter().next().unwrap()
}

fn open(persist: &str) -> rusqlite::Connection {
    rusqlite::Connection::open_with_flags(
        d1_file(persist),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap()
}

fn answers(db: &rusqlite::Connection, sql: &str) -> Vec<Vec<rusqlite::types::Value>> {
    let mut stmt = db.prepare(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    let n = stmt.column_count();
    stmt.query_map([], |row| {
        (0..n)
            .map(|i| row.get::<_, rusqlite::types::Value>(i))
            .collect()
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

/// 4. Export → restore into a fresh local database: same counts, same answers.
fn backup_restore_round_trip(ops: &Ops) {
    let file = ops.scratch.path().join("backups/oura-db.sql");
    let started = Instant::now();
    let backup = run(Command::new(root().join("scripts/backup"))
        .arg(&file)
        .env("STATE", ops.w.persist_dir()));
    assert!(backup.status.success(), "backup: {}", text(&backup));
    let backup_ms = started.elapsed().as_millis();
    let started = Instant::now();
    let restored = ops.scratch.path().join("restored");
    let restored = restored.to_str().unwrap();
    let restore = run(Command::new(root().join("scripts/restore"))
        .arg(&file)
        .env("STATE", restored));
    assert!(restore.status.success(), "restore: {}", text(&restore));
    let restore_ms = started.elapsed().as_millis();
    // A second restore into the now full database is refused.
    let again = run(Command::new(root().join("scripts/restore"))
        .arg(&file)
        .env("STATE", restored));
    assert_eq!(again.status.code(), Some(1), "{}", text(&again));
    assert!(text(&again).contains("already has"), "{}", text(&again));

    let (live, copy) = (open(ops.w.persist_dir()), open(restored));
    let objects = answers(
        &live,
        "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') \
         AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' ORDER BY name",
    );
    assert_eq!(
        objects,
        answers(
            &copy,
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') \
             AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' ORDER BY name"
        ),
        "same tables and views"
    );
    let mut counts = Vec::new();
    for name in objects.iter().filter_map(|r| match &r[0] {
        rusqlite::types::Value::Text(t) => Some(t.clone()),
        _ => None,
    }) {
        let sql = format!("SELECT COUNT(*) FROM \"{name}\"");
        let (a, b) = (answers(&live, &sql), answers(&copy, &sql));
        assert_eq!(a, b, "row count of {name}");
        counts.push(format!("{name}={:?}", a[0][0]));
    }
    let hr = answers(&copy, "SELECT COUNT(*) FROM heart_rate_samples");
    assert_ne!(
        hr[0][0],
        rusqlite::types::Value::Integer(0),
        "data was restored"
    );

    let queries: Vec<serde_json::Value> = serde_json::from_str(
        &std::fs::read_to_string(
            root().join("tests/fixtures/compat/original-dashboard-queries.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let mut compared = 0;
    let mut with_rows = 0;
    for q in queries.iter().filter_map(|q| q["sql"].as_str()) {
        let (a, b) = (answers(&live, q), answers(&copy, q));
        assert_eq!(a, b, "dashboard query differs after restore: {q}");
        compared += 1;
        with_rows += usize::from(!a.is_empty());
    }
    assert_eq!(compared, 64, "the 64 dashboard queries");
    assert!(with_rows >= 50, "only {with_rows} queries returned rows");
    eprintln!(
        "e2e_ops: backup {} bytes in {backup_ms} ms, restored in {restore_ms} ms; restored counts equal: {}; 64 dashboard queries equal ({with_rows} with rows)",
        std::fs::metadata(&file).unwrap().len(),
        counts.join(" ")
    );
}

type Check = (&'static str, fn(&Ops));

#[test]
fn operations_against_wrangler_dev() {
    let sim = Sim::start(SIM_DAYS, &today_utc().to_string(), "+00:00");
    let port = free_port();
    let callback = format!("http://127.0.0.1:{port}/webhook/oura");
    let mut vars = sim.worker_vars();
    for (k, v) in [
        ("GRAFANA_SECRET", GRAFANA),
        ("ADMIN_SECRET", ADMIN),
        ("OURA_WEBHOOK_VERIFICATION_TOKEN", VERIFY),
        ("OURA_WEBHOOK_CALLBACK_URL", callback.as_str()),
    ] {
        vars.push((k.to_string(), v.to_string()));
    }
    let ops = Ops {
        w: Wrangler::start_on(port, &vars),
        scratch: tempfile::tempdir().unwrap(),
    };
    let checks: [Check; 5] = [
        ("docs' wrangler commands exist", wrangler_commands_exist),
        ("deploy guide word by word", deploy_guide_word_by_word),
        (
            "smoke test passes, fails clearly",
            smoke_test_passes_and_fails_clearly,
        ),
        ("backup → restore round trip", backup_restore_round_trip),
        (
            "export script follows every page",
            export_script_follows_every_page,
        ),
    ];
    let mut failed = Vec::new();
    for (name, check) in checks {
        let started = Instant::now();
        match catch_unwind(AssertUnwindSafe(|| check(&ops))) {
            Ok(()) => eprintln!("e2e_ops ok   {name} ({} ms)", started.elapsed().as_millis()),
            Err(_) => {
                eprintln!("e2e_ops FAIL {name}");
                failed.push(name);
            }
        }
    }
    assert!(
        failed.is_empty(),
        "failed checks: {failed:?}\n--- wrangler log ---\n{}",
        ops.w.log()
    );
}
