//! The arrows run one way: entry → router → middleware → routes → services
//! → platform. The router is generic over the app's state and knows no
//! service type; services know nothing of HTTP routing; routes and
//! middleware do not reach into each other. `src/state.rs` is where the
//! router and the services meet.

use std::path::{Path, PathBuf};

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Files under `src/<layer>` that name `crate::<forbidden>`.
fn crossings(layer: &str, forbidden: &[&str]) -> Vec<String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root.join(layer), &mut files);
    assert!(!files.is_empty(), "no sources under src/{layer}");
    let mut found = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for module in forbidden {
            if text.contains(&format!("crate::{module}")) {
                found.push(format!("{} → {module}", file.display()));
            }
        }
    }
    found
}

#[test]
fn the_router_knows_only_itself() {
    let found = crossings(
        "router",
        &["services", "routes", "middleware", "state", "entry"],
    );
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn services_know_nothing_of_http_routing() {
    let found = crossings(
        "services",
        &["router", "routes", "middleware", "state", "entry"],
    );
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn routes_and_middleware_stay_apart() {
    let mut found = crossings("routes", &["middleware", "entry"]);
    found.extend(crossings("middleware", &["routes", "entry"]));
    assert!(found.is_empty(), "{found:#?}");
}
