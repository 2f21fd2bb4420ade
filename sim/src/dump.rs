//! `oura-sim dump`: writes `<dir>/<collection>.json` = `{"data": [...]}` with every document in API order
//! (personal_info: the bare object), for use as test fixtures.

use crate::catalog::{Family, COLLECTIONS};
use crate::store::Store;
use serde_json::json;
use std::path::Path;

pub fn write(store: &Store, dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
    for c in COLLECTIONS {
        let value = match c.family {
            Family::Single => store.personal_info().clone(),
            _ => json!({ "data": store.docs(c.name).iter().map(|d| &d.value).collect::<Vec<_>>() }),
        };
        let path = dir.join(format!("{}.json", c.name));
        let bytes = serde_json::to_vec_pretty(&value).map_err(|e| e.to_string())?;
        std::fs::write(&path, bytes).map_err(|e| format!("write {}: {e}", path.display()))?;
    }
    Ok(())
}
