//! docs/configuration.md matches the code: every setting the worker reads
//! (`NAMES`), its default (`DEFAULTS`) and every binding of wrangler.toml and
//! wrangler.starter.toml are documented. The version the worker reports is
//! Cargo.toml's.

use oura_edge::services::config::{Config, DEFAULTS, NAMES, VERSION};
use std::path::PathBuf;

fn read(path: &str) -> String {
    std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

#[test]
fn every_setting_is_documented_with_its_default() {
    let doc = read("docs/configuration.md");
    let missing: Vec<&str> = NAMES
        .iter()
        .copied()
        .filter(|name| !doc.contains(&format!("| `{name}` |")))
        .collect();
    assert!(missing.is_empty(), "undocumented settings: {missing:?}");
    for (name, value) in DEFAULTS {
        let row = doc
            .lines()
            .find(|l| l.starts_with(&format!("| `{name}` |")))
            .unwrap();
        assert!(
            row.contains(&format!("`{value}`")),
            "{name}: the documented default is not `{value}`: {row}"
        );
    }
}

#[test]
fn every_binding_is_documented() {
    let doc = read("docs/configuration.md");
    for config in ["wrangler.toml", "wrangler.starter.toml"] {
        let text = read(config);
        let bindings: Vec<&str> = text
            .lines()
            .filter_map(|l| {
                let l = l.trim();
                l.strip_prefix("binding = \"")
                    .or_else(|| l.strip_prefix("name = \""))
                    .and_then(|rest| rest.strip_suffix('"'))
            })
            .filter(|b| *b != "oura-edge" && *b != "backfill-workflow")
            .collect();
        assert!(bindings.len() >= 8, "{config}: {bindings:?}");
        for b in bindings {
            assert!(
                doc.contains(&format!("| `{b}` |")),
                "{config}: binding {b} is not in docs/configuration.md"
            );
        }
    }
}

#[test]
fn the_reported_version_is_cargo_toml_s() {
    let cargo = read("Cargo.toml");
    let version = cargo
        .lines()
        .find_map(|l| l.strip_prefix("version = \""))
        .and_then(|v| v.strip_suffix('"'))
        .unwrap();
    assert_eq!(VERSION, version);
    assert_eq!(Config::from_lookup(|_| None).version, version);
    assert!(
        read("CHANGELOG.md").contains(&format!("## [{version}]")),
        "CHANGELOG.md has no entry for {version}"
    );
}
