//! What a deployer follows agrees with itself: the starter configuration is
//! the local one with the account's ids left to fill in; the deploy guide's
//! `wrangler.deploy.toml` (the starter filled in as step 3 says) passes
//! `wrangler deploy --dry-run` without a warning and binds everything the
//! local one does; every documented account command names that file; the
//! Grafana datasource is the bare origin; LICENSE is Cargo.toml's licence.
//! The dry run needs `make build-fast` first (`make test` does).

mod local_runtime;

use local_runtime::{root, tool};

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Settings lines (no comments, no blank lines), trimmed.
fn settings(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect()
}

/// Lines a deployer must change: the account's ids and the Grafana origin.
fn is_per_deployment(line: &str) -> bool {
    ["database_id = ", "id = ", "ALLOWED_ORIGINS = "]
        .iter()
        .any(|k| line.starts_with(k))
}

#[test]
fn the_starter_is_the_local_configuration_with_ids_to_fill_in() {
    let (local, starter) = (
        settings(&read("wrangler.toml")),
        settings(&read("wrangler.starter.toml")),
    );
    assert_eq!(local.len(), starter.len(), "same settings in both");
    for (l, s) in local.iter().zip(&starter) {
        if is_per_deployment(l) {
            assert_eq!(l.split(" = ").next(), s.split(" = ").next(), "{l} / {s}");
        } else {
            assert_eq!(l, s, "wrangler.toml and wrangler.starter.toml differ");
        }
    }
    for placeholder in ["<your D1 database id>", "<your KV namespace id>"] {
        assert!(
            starter.iter().any(|l| l.contains(placeholder)),
            "{placeholder}"
        );
    }
    assert!(
        starter.contains(&"dead_letter_queue = \"oura-webhook-events-dlq\"".to_string()),
        "the consumer keeps what it cannot record in a dead-letter queue"
    );
    let header = read("wrangler.starter.toml");
    assert!(
        header.contains("Copy it to wrangler.deploy.toml"),
        "the starter names the guide's file"
    );
    assert!(read("docs/deploy.md").contains("cp wrangler.starter.toml wrangler.deploy.toml"));
}

/// The starter filled in as docs/deploy.md step 3 says: made-up ids, the
/// guide's route uncommented, `main` and `migrations_dir` made absolute
/// because the copy lives outside the repository.
fn guide_config() -> String {
    let guide = read("docs/deploy.md");
    let route = guide
        .split('`')
        .find(|s| s.starts_with("routes = [{"))
        .expect("docs/deploy.md step 3 shows the routes line");
    let starter = read("wrangler.starter.toml");
    let commented = format!("# {route}");
    assert!(
        starter.lines().any(|l| l == commented),
        "wrangler.starter.toml has the guide's `{route}` commented out"
    );
    starter
        .replace(&commented, route)
        .replace(
            "<your D1 database id>",
            "11111111-2222-3333-4444-555555555555",
        )
        .replace("<your KV namespace id>", "0123456789abcdef0123456789abcdef")
        .replace(
            "main = \"js/entry.mjs\"",
            &format!("main = \"{}\"", root().join("js/entry.mjs").display()),
        )
        .replace(
            "migrations_dir = \"migrations\"",
            &format!(
                "migrations_dir = \"{}\"",
                root().join("migrations").display()
            ),
        )
}

#[test]
fn the_guides_config_deploys_dry_run() {
    assert!(
        root().join("build/index.js").exists(),
        "build/ is missing: run `make build-fast` (make test does)"
    );
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("wrangler.deploy.toml");
    std::fs::write(&config, guide_config()).unwrap();
    let out = tool("wrangler")
        .args(["deploy", "--dry-run", "--outdir"])
        .arg(dir.path().join("dist"))
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "wrangler deploy --dry-run failed:\n{log}"
    );
    // Wrangler warns, and deploys anyway, about fields it does not know.
    assert!(!log.contains("WARNING"), "{log}");
    assert!(log.contains("--dry-run: exiting now."), "{log}");
    let local = read("wrangler.toml");
    let bindings: Vec<&str> = local
        .lines()
        .filter_map(|l| l.trim().strip_prefix("binding = \""))
        .chain(["RATE_LIMITER", "AUTH_RATE_LIMITER", "UNAUTH_RATE_LIMITER"])
        .map(|b| b.trim_end_matches('"'))
        .collect();
    assert!(bindings.len() >= 8, "{bindings:?}");
    for b in bindings {
        assert!(
            log.contains(&format!("env.{b} ")),
            "{b} is not bound:\n{log}"
        );
    }
    if let Some(size) = log.lines().find(|l| l.contains("Total Upload")) {
        eprintln!("deploy_config: {}", size.trim());
    }
}

/// Lines of a markdown file that show a wrangler command.
fn commands(doc: &str) -> Vec<String> {
    read(doc)
        .lines()
        .map(str::trim)
        .filter(|l| l.contains("npx wrangler "))
        .map(String::from)
        .collect()
}

#[test]
fn every_account_command_names_the_deploy_config() {
    let mut checked = 0;
    for doc in ["README.md", "docs/deploy.md", "docs/runbook.md"] {
        for line in commands(doc) {
            // Only these read the worker's configuration; queues, login and
            // resource creation address the account by name.
            let reads_config = ["wrangler deploy", "wrangler secret", "wrangler workflows"]
                .iter()
                .any(|c| line.contains(c))
                || line.contains("--remote")
                || line.contains("wrangler d1 info");
            if reads_config {
                checked += 1;
                assert!(
                    line.contains("--config wrangler.deploy.toml"),
                    "{doc}: `{line}` would read wrangler.toml, the local configuration"
                );
            }
        }
    }
    assert!(checked >= 15, "only {checked} commands found");
}

#[test]
fn the_grafana_datasource_is_the_bare_origin() {
    for doc in ["README.md", "docs/deploy.md"] {
        for line in read(doc).lines() {
            let about_datasource = line.contains("data source") || line.contains("datasource");
            assert!(
                !(about_datasource
                    && (line.contains("`$WORKER/api/sql`")
                        || line.contains("`https://oura.example.com/api/sql`"))),
                "{doc}: panels request /api/sql under the datasource URL: {line}"
            );
        }
    }
    assert!(read("docs/deploy.md").contains("URL is the bare origin `$WORKER`"));
    let provisioned = read("grafana/provisioning/datasources/oura.yaml");
    assert!(provisioned.contains("url: ${OURA_WORKER_URL}\n"));
    let dashboard = read("grafana/dashboards/oura.json");
    let urls: Vec<&str> = dashboard
        .lines()
        .filter_map(|l| l.trim().strip_prefix("\"url\": \""))
        .collect();
    assert!(!urls.is_empty());
    for url in urls {
        assert!(
            url.starts_with("/api/"),
            "a panel URL that is not relative: {url}"
        );
    }
}

#[test]
fn the_license_file_is_cargo_toml_s() {
    let cargo = read("Cargo.toml");
    let license = cargo
        .lines()
        .find_map(|l| l.strip_prefix("license = \""))
        .and_then(|v| v.strip_suffix('"'))
        .unwrap();
    assert_eq!(license, "MIT");
    let text = read("LICENSE");
    assert!(text.starts_with("MIT License\n"), "{text}");
    assert!(text.contains("THE SOFTWARE IS PROVIDED \"AS IS\""));
}
