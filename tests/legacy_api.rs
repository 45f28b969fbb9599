//! The legacy `non_agent_api.php` over real HTTP against real SQLite files: every case table in
//! `tests/cases/` (the `add_phone` table is VICIdial's reference, kept equal to
//! `../shared/reference/add_phone_cases.tsv`; Dialtone's own `add_phone` cases are in
//! `add_phone_dialtone_cases.tsv`).

mod common;

use std::path::Path;

fn cases(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases").join(name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_phone_reference_cases() {
    let n = common::run_table(&cases("add_phone_cases.tsv")).await;
    assert!(n >= 40, "expected the whole reference table, ran {n}");
}

#[test]
fn vendored_reference_matches_shared() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/add_phone_cases.tsv");
    if let Ok(reference) = std::fs::read_to_string(&shared) {
        let vendored = std::fs::read_to_string(cases("add_phone_cases.tsv")).expect("vendored table");
        assert_eq!(vendored, reference, "tests/cases/add_phone_cases.tsv is out of date with {}", shared.display());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_phone_dialtone_cases() {
    common::run_table(&cases("add_phone_dialtone_cases.tsv")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_phone_cases() {
    common::run_table(&cases("update_phone_cases.tsv")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phone_alias_cases() {
    common::run_table(&cases("phone_alias_cases.tsv")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_version_and_refresh_cases() {
    common::run_table(&cases("auth_and_misc_cases.tsv")).await;
}
