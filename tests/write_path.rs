//! The `add_phone` write path under a steady load, on a real SQLite file: the write-ahead log is copied
//! back and started again by the checkpointer (it neither grows without bound nor is checkpointed
//! inside a request), other writers get their turn, a batch's duplicates are refused one by one, and
//! every phone of a batch is indexed for search although the writer runs without triggers.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dialtone::domain::{validate_phone_entry, ProtocolSet};
use dialtone::service::admin;
use dialtone::service::phones::{self, PhoneError};
use dialtone::service::Actor;
use dialtone::storage::checkpointer::RESTART_FRAMES;
use dialtone::storage::{Db, Durability};

async fn open(dir: &tempfile::TempDir) -> (Db, String) {
    let path = dir.path().join("w.db").to_str().expect("utf-8").to_string();
    let db = Db::open(&path, Durability::Process).await.expect("open");
    admin::add_server(&db, &Actor::cli(), &common::server_spec("10.10.10.15", "ast1", "one", true))
        .await
        .expect("server");
    (db, path)
}

async fn add(db: &Db, n: usize) -> Result<(), PhoneError> {
    let ext = format!("w{n}");
    let entry = validate_phone_entry(&common::phone(&ext, &ext, "10.10.10.15"), ProtocolSet::WebAdmin).expect("valid");
    phones::add_phone(db, &Actor::cli(), &entry, "ADMIN ADD PHONE").await
}

/// The log's length in frames, read from the shared-memory index's header (`mxFrame`, a native-endian
/// 32-bit number at byte 16) without touching the database, so the watching does not checkpoint.
fn wal_frames(path: &str) -> i64 {
    std::fs::read(format!("{path}-shm"))
        .ok()
        .and_then(|shm| shm.get(16..20).map(|b| i64::from(u32::from_ne_bytes([b[0], b[1], b[2], b[3]]))))
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_a_steady_load_the_log_starts_again_instead_of_growing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (db, path) = open(&dir).await;
    // One phone per commit writes about 20 frames: keep adding until six times the restart mark has
    // been written, watching the log's length. Without a restart the log holds all of it; with one,
    // at most the mark plus what arrives while the checkpointer catches up (more on a busy machine,
    // so the bound is half of what was written, not a close one).
    let writing = Arc::new(AtomicBool::new(true));
    let watcher = {
        let (path, writing) = (path.clone(), writing.clone());
        std::thread::spawn(move || {
            let mut longest = 0;
            while writing.load(Ordering::SeqCst) {
                longest = longest.max(wal_frames(&path));
                std::thread::sleep(Duration::from_millis(20));
            }
            longest
        })
    };
    let mut written_frames = 0i64;
    let mut n = 0;
    let mut last = wal_frames(&path);
    while written_frames < 6 * RESTART_FRAMES {
        add(&db, n).await.expect("added");
        n += 1;
        let now = wal_frames(&path);
        written_frames += if now >= last { now - last } else { now };
        last = now;
    }
    writing.store(false, Ordering::SeqCst);
    let longest = watcher.join().expect("watcher");
    assert!(
        longest >= RESTART_FRAMES && longest <= written_frames / 2,
        "the log reached {longest} frames while {written_frames} were written by {n} commits"
    );
    db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_is_copied_back_soon_after_a_write_without_any_request_doing_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (db, path) = open(&dir).await;
    add(&db, 1).await.expect("added");
    tokio::time::sleep(dialtone::storage::checkpointer::INTERVAL * 3).await;
    let conn = rusqlite::Connection::open(&path).expect("open");
    let (log, copied): (i64, i64) =
        conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| Ok((r.get(1)?, r.get(2)?))).expect("checkpoint");
    assert_eq!(log, copied, "every frame copied");
    db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_writer_gets_its_turn_during_a_steady_add_phone_load() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (db, _) = open(&dir).await;
    let stop = Arc::new(AtomicBool::new(false));
    let mut load = Vec::new();
    for worker in 0..8 {
        let (db, stop) = (db.clone(), stop.clone());
        load.push(tokio::spawn(async move {
            let mut n = worker * 1_000_000;
            while !stop.load(Ordering::SeqCst) {
                add(&db, n).await.expect("added");
                n += 1;
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    // The web admin's writes (here: the conf generator's "built" mark) go through the other connection.
    let mut slowest = Duration::ZERO;
    for _ in 0..20 {
        let started = Instant::now();
        admin::conf_files_built(&db, "10.10.10.15").await.expect("written");
        slowest = slowest.max(started.elapsed());
    }
    stop.store(true, Ordering::SeqCst);
    for task in load {
        task.await.expect("load");
    }
    assert!(slowest < Duration::from_millis(500), "a write waited {slowest:?} for its turn");
    db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicates_in_one_batch_are_refused_and_the_rest_stored() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (db, path) = open(&dir).await;
    // 32 concurrent adds, each extension twice: the writer commits them in batches, and the second of
    // each pair is refused whether it shares a batch with the first or not.
    let mut tasks = Vec::new();
    for i in 0..32 {
        let db = db.clone();
        tasks.push(tokio::spawn(async move { add(&db, i / 2).await }));
    }
    let mut added = 0;
    let mut taken = 0;
    for task in tasks {
        match task.await.expect("task") {
            Ok(()) => added += 1,
            Err(PhoneError::ExtensionTaken { .. }) => taken += 1,
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!((added, taken), (16, 16));
    db.close().await;
    let conn = rusqlite::Connection::open(&path).expect("open");
    let phones: i64 = conn.query_row("SELECT count(*) FROM phones", [], |r| r.get(0)).expect("count");
    let audits: i64 = conn
        .query_row(
            "SELECT count(*) FROM vicidial_admin_log WHERE event_section = 'PHONES' AND event_type = 'ADD'",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!((phones, audits), (16, 16));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phones_added_in_batches_are_each_found_by_search_and_the_index_is_sound() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (db, path) = open(&dir).await;
    // The writer runs without triggers and indexes each batch in one statement.
    let mut tasks = Vec::new();
    for i in 0..40 {
        let db = db.clone();
        tasks.push(tokio::spawn(async move { add(&db, 1000 + i).await }));
    }
    for task in tasks {
        task.await.expect("task").expect("added");
    }
    db.close().await;
    let conn = rusqlite::Connection::open(&path).expect("open");
    // FTS5 compares its index with the phones table, row by row, and fails on any difference.
    conn.execute("INSERT INTO phones_search (phones_search) VALUES ('integrity-check')", []).expect("index sound");
    for i in 0..40 {
        let found: Vec<String> = conn
            .prepare("SELECT p.extension FROM phones_search s JOIN phones p ON p.rowid = s.rowid WHERE phones_search MATCH ?")
            .expect("prepare")
            .query_map([format!("\"w{}\"", 1000 + i)], |r| r.get(0))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        assert_eq!(found, vec![format!("w{}", 1000 + i)]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_writer_refuses_to_start_beside_a_trigger_whose_work_it_would_skip() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (db, path) = open(&dir).await;
    db.close().await;
    let conn = rusqlite::Connection::open(&path).expect("open");
    conn.execute_batch(
        "CREATE TABLE phone_count (n INTEGER); \
         CREATE TRIGGER count_phones AFTER INSERT ON phones BEGIN UPDATE phone_count SET n = n + 1; END;",
    )
    .expect("trigger");
    drop(conn);
    let err = Db::open(&path, Durability::Process).await.expect_err("the writer must not start");
    assert!(err.to_string().contains("count_phones"), "{err}");
}
