//! A full disk: nothing acknowledged is lost, every refusal is a 507 that changed nothing,
//! and writes work again by themselves once there is space, without a restart.
//!
//! The fault is real: the database lives on a small tmpfs that the test fills with a
//! ballast file, which needs root (CI runs as root); elsewhere these tests are listed as
//! ignored with that reason.

use std::{
    io::Write,
    path::{Path, PathBuf},
    process::Command,
    time::{Duration, Instant},
};

use infrastructure::{database::DatabaseSettings, testing::TestDatabase};
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::{json, Value};

use crate::helpers::{json_body, spawn_app, Account, TestApp};

const NEEDS_ROOT: &str = "needs root to mount a small tmpfs: run as root with --include-ignored";

/// A tmpfs of a few MiB, unmounted on drop.
pub struct SmallDisk {
    mount_point: tempfile::TempDir,
}

impl SmallDisk {
    /// Mounts a tmpfs of `mib` MiB, owned by `owner` (a user name) when given.
    pub fn mount(mib: u32, owner: Option<&str>) -> Self {
        let mount_point = tempfile::tempdir().expect("a mount point");
        let mut options = format!("size={mib}m");
        if let Some(owner) = owner {
            let id = |flag: &str| {
                let out = Command::new("id")
                    .args([flag, owner])
                    .output()
                    .expect("id runs");
                String::from_utf8_lossy(&out.stdout).trim().to_owned()
            };
            options.push_str(&format!(",uid={},gid={},mode=0700", id("-u"), id("-g")));
        }
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &options, "tmpfs"])
            .arg(mount_point.path())
            .status()
            .expect("mount runs");
        assert!(status.success(), "{NEEDS_ROOT}");
        Self { mount_point }
    }

    pub fn path(&self) -> &Path {
        self.mount_point.path()
    }

    /// Fills the disk with a ballast file, then frees `leave` bytes of it.
    pub fn fill_leaving(&self, leave: u64) -> PathBuf {
        let ballast = self.path().join("ballast");
        let mut file = std::fs::File::create(&ballast).expect("a ballast file");
        let chunk = vec![0_u8; 64 * 1024];
        let mut written = 0_u64;
        while file.write_all(&chunk).is_ok() {
            written += chunk.len() as u64;
        }
        drop(file);
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(&ballast)
            .expect("the ballast file");
        file.set_len(written.saturating_sub(leave))
            .expect("the ballast shrinks");
        ballast
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.mount_point.path())
            .status();
    }
}

/// What a writer saw: the ids of acknowledged messages and how many were refused.
#[derive(Default)]
struct Outcomes {
    acknowledged: Vec<String>,
    refused: usize,
}

async fn post_until_refused(app: &TestApp, token: &str, thread: &str, writer: usize) -> Outcomes {
    let mut outcomes = Outcomes::default();
    let body = "x".repeat(2000);
    for i in 0..3000 {
        let response = app
            .post(
                &format!("/api/v1/threads/{thread}/messages"),
                Some(token),
                json!({"content": format!("writer {writer} message {i} {body}")}),
            )
            .await;
        match response.status() {
            StatusCode::CREATED => {
                let data = json_body(response).await["data"].clone();
                outcomes
                    .acknowledged
                    .push(data["id"].as_str().expect("an id").to_owned());
            }
            StatusCode::INSUFFICIENT_STORAGE => {
                let problem = json_body(response).await;
                assert_eq!(
                    problem["error"]["type"],
                    json!("https://experience.rpotential.dev/problems/insufficient-storage")
                );
                outcomes.refused += 1;
                if outcomes.refused >= 25 {
                    break;
                }
            }
            other => panic!(
                "a write on a full disk answered {other}: {}",
                response.text().await.unwrap_or_default()
            ),
        }
    }
    outcomes
}

async fn count_rows(settings: &DatabaseSettings, table: &str) -> i64 {
    let db = infrastructure::database::connect(settings)
        .await
        .expect("a fresh connection");
    let row = db
        .query_one(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT COUNT(*) AS n FROM {table}"),
        ))
        .await
        .expect("a count")
        .expect("a row");
    let n: i64 = row.try_get("", "n").expect("a number");
    let _ = db.close().await;
    n
}

async fn health_of(app: &TestApp) -> Value {
    json_body(app.get("/health", None).await).await
}

#[tokio::test]
#[ignore = "needs root to mount a small tmpfs: run as root with --include-ignored"]
async fn sqlite_on_a_full_disk_loses_nothing_acknowledged_and_recovers_without_restart() {
    let disk = SmallDisk::mount(24, None);
    let db = TestDatabase::sqlite_in(disk.path().join("db"));
    let settings = db.settings.clone();
    let app = spawn_app(db).await;
    writes_on_a_full_disk(&app, &disk, &settings).await;
}

#[tokio::test]
#[ignore = "needs root and PostgreSQL: run as root with TEST_POSTGRES_URL and --include-ignored"]
async fn postgres_on_a_full_disk_loses_nothing_acknowledged_and_recovers_without_restart() {
    let db = TestDatabase::postgres().await;
    let settings = db.settings.clone();
    let _ = db.connect().await.close().await; // migrated, so that its tables can move
    let tablespace = FullTablespace::under(&settings).await;
    // Dropped before the tablespace: the app takes the schema with it.
    let app = spawn_app(db).await;
    writes_on_a_full_disk(&app, &tablespace.disk, &settings).await;
}

/// PostgreSQL's side of a full disk: the test schema's tables moved to a tablespace on a
/// small tmpfs. Declare it before the app, so that the schema is dropped first.
struct FullTablespace {
    name: String,
    admin_url: String,
    disk: SmallDisk,
}

impl FullTablespace {
    async fn under(settings: &DatabaseSettings) -> Self {
        let disk = SmallDisk::mount(24, Some("postgres"));
        let name = format!("full_{}", uuid_suffix());
        let admin_url = settings.url.clone();
        let admin = Database::connect(admin_url.as_str())
            .await
            .expect("PostgreSQL");
        let schema = settings.schema.clone().expect("a test schema");
        admin
            .execute_unprepared(&format!(
                "CREATE TABLESPACE {name} LOCATION '{}'",
                disk.path().display()
            ))
            .await
            .expect("a tablespace on the small disk");
        let tables = admin
            .query_all(Statement::from_string(
                admin.get_database_backend(),
                format!("SELECT tablename FROM pg_tables WHERE schemaname = '{schema}'"),
            ))
            .await
            .expect("the schema's tables");
        for table in tables {
            let table: String = table.try_get("", "tablename").expect("a name");
            admin
                .execute_unprepared(&format!(
                    "ALTER TABLE \"{schema}\".\"{table}\" SET TABLESPACE {name}"
                ))
                .await
                .expect("the table moves");
        }
        let _ = admin.close().await;
        Self {
            name,
            admin_url,
            disk,
        }
    }
}

impl Drop for FullTablespace {
    fn drop(&mut self) {
        // The schema (dropped with the app before this) held the only tables in it.
        let _ = Command::new("psql")
            .arg(&self.admin_url)
            .args([
                "-q",
                "-c",
                &format!("DROP TABLESPACE IF EXISTS {}", self.name),
            ])
            .status();
    }
}

fn uuid_suffix() -> String {
    format!(
        "{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
    )
}

/// Fills `disk`, where the database keeps its data, while writers post; then frees it.
async fn writes_on_a_full_disk(app: &TestApp, disk: &SmallDisk, settings: &DatabaseSettings) {
    let user: Account = app.register("ada@rpotential.ai").await;
    let token = user.access_token.clone();
    let thread = app.create_thread(&token, "Filling up").await["id"]
        .as_str()
        .expect("a thread id")
        .to_owned();

    let ballast = disk.fill_leaving(512 * 1024);
    let writers = (0..4).map(|w| post_until_refused(app, &token, &thread, w));
    let outcomes = futures_util::future::join_all(writers).await;
    let acknowledged: Vec<String> = outcomes
        .iter()
        .flat_map(|o| o.acknowledged.iter().cloned())
        .collect();
    let refused: usize = outcomes.iter().map(|o| o.refused).sum();
    assert!(refused > 0, "the disk never filled up");

    // Threads too: created or refused, never half-made.
    let mut threads_made = Vec::new();
    for i in 0..5 {
        let response = app
            .post(
                "/api/v1/threads",
                Some(&token),
                json!({"title": format!("t{i}")}),
            )
            .await;
        match response.status() {
            StatusCode::CREATED => threads_made.push(
                json_body(response).await["data"]["id"]
                    .as_str()
                    .expect("an id")
                    .to_owned(),
            ),
            StatusCode::INSUFFICIENT_STORAGE => {}
            other => panic!("creating a thread on a full disk answered {other}"),
        }
    }
    assert_eq!(
        health_of(app).await["checks"]["database"]["status"],
        json!("degraded"),
        "health says the database refuses writes"
    );

    // Space returns: writes work again within 5 s, without a restart.
    std::fs::remove_file(ballast).expect("the ballast goes");
    let freed = Instant::now();
    let recovered = loop {
        let response = app
            .post(
                &format!("/api/v1/threads/{thread}/messages"),
                Some(&token),
                json!({"content": "space again"}),
            )
            .await;
        if response.status() == StatusCode::CREATED {
            break json_body(response).await["data"]["id"]
                .as_str()
                .expect("an id")
                .to_owned();
        }
        assert!(
            freed.elapsed() < Duration::from_secs(5),
            "writes still fail 5 s after space returned: {}",
            response.status()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };

    // Every acknowledged write is there, over HTTP and for a connection of its own.
    for id in acknowledged.iter().chain([&recovered]) {
        let response = app
            .get(&format!("/api/v1/messages/{id}"), Some(&token))
            .await;
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "acknowledged {id} is lost"
        );
    }
    for id in &threads_made {
        let response = app
            .get(&format!("/api/v1/threads/{id}"), Some(&token))
            .await;
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "acknowledged {id} is lost"
        );
    }
    let rows = count_rows(settings, "messages").await;
    assert_eq!(
        rows,
        acknowledged.len() as i64 + 1,
        "messages stored versus acknowledged (refused writes must change nothing)"
    );
    let thread_body = json_body(
        app.get(&format!("/api/v1/threads/{thread}"), Some(&token))
            .await,
    )
    .await;
    assert_eq!(thread_body["data"]["message_count"], json!(rows));
    assert_eq!(
        health_of(app).await["checks"]["database"]["status"],
        json!("healthy")
    );
}

/// Every regular file under `dir`, but the ballast.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder)
            .expect("a readable folder")
            .flatten()
        {
            let path = entry.path();
            if path.is_dir() {
                folders.push(path);
            } else if path.file_name().is_some_and(|n| n != "ballast") {
                found.push(path);
            }
        }
    }
    found
}

async fn upload(app: &TestApp, token: &str, bytes: Vec<u8>) -> reqwest::Response {
    let part = reqwest::multipart::Part::bytes(bytes)
        .file_name("big.bin")
        .mime_str("application/octet-stream")
        .expect("a part");
    app.client
        .post(app.url("/api/v1/files"))
        .bearer_auth(token)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .expect("the upload is sent")
}

#[tokio::test]
#[ignore = "needs root to mount a small tmpfs: run as root with --include-ignored"]
async fn an_upload_to_a_full_disk_is_507_and_leaves_no_bytes_and_no_record() {
    let disk = SmallDisk::mount(16, None);
    let storage = disk.path().join("files");
    let storage_url = storage.display().to_string();
    let app = crate::helpers::spawn_app_with(
        TestDatabase::sqlite(),
        &[("FILE_STORAGE_URL", storage_url.as_str())],
    )
    .await;
    let user = app.register("ada@rpotential.ai").await;
    let ballast = disk.fill_leaving(256 * 1024);

    let response = upload(&app, &user.access_token, vec![7_u8; 4 * 1024 * 1024]).await;
    assert_eq!(response.status(), StatusCode::INSUFFICIENT_STORAGE);
    let problem = json_body(response).await;
    assert_eq!(
        problem["error"]["type"],
        json!("https://experience.rpotential.dev/problems/insufficient-storage")
    );
    let listed = json_body(app.get("/api/v1/files", Some(&user.access_token)).await).await;
    assert_eq!(listed["data"], json!([]), "no record of the refused upload");
    // The removal of a partial upload may finish just after the answer.
    let deadline = Instant::now() + Duration::from_secs(5);
    while !files_under(&storage).is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        files_under(&storage),
        Vec::<PathBuf>::new(),
        "no partial bytes"
    );

    std::fs::remove_file(ballast).expect("the ballast goes");
    let response = upload(&app, &user.access_token, vec![7_u8; 4 * 1024 * 1024]).await;
    assert_eq!(response.status(), StatusCode::CREATED, "space is back");
}
