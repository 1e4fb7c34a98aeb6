//! Account data over HTTP: the export (`GET /users/me/export`, a zip streamed as it is
//! written) and the erasure (`DELETE /users/me`, and the ADMIN's `DELETE /users/{id}`,
//! which erases the same way).

use std::{
    collections::BTreeSet,
    io::{Cursor, Read},
    time::{Duration, Instant},
};

use futures_util::{stream, StreamExt};
use reqwest::{header, Response, StatusCode};
use serde_json::{json, Value};

use crate::{
    files::upload,
    helpers::{
        assert_problem, data_of, id_of, json_body, Account, TestApp, CONFLICT, FORBIDDEN, INVALID,
        NOT_FOUND, PASSWORD, UNAUTHORIZED,
    },
    server_process::ServerProcess,
};

const EXPORT: &str = "/api/v1/users/me/export";
const ME: &str = "/api/v1/users/me";
const MIB: usize = 1024 * 1024;

impl TestApp {
    async fn export(&self, token: &str) -> Response {
        self.get(EXPORT, Some(token)).await
    }

    /// `DELETE /users/me`, confirmed with `password` when given.
    async fn delete_me(&self, token: &str, password: Option<&str>) -> Response {
        let mut request = self.client.delete(self.url(ME)).bearer_auth(token);
        if let Some(password) = password {
            request = request.header("X-Confirm-Password", password);
        }
        request.send().await.expect("the request is sent")
    }

    async fn key_secret(&self, owner: &Account) -> String {
        let body = json!({ "name": "agent", "scopes": ["threads:read", "threads:write"] });
        let response = self
            .post("/api/v1/api-keys", Some(&owner.access_token), body)
            .await;
        data_of(response, StatusCode::CREATED).await["secret"]
            .as_str()
            .expect("a secret")
            .to_owned()
    }

    async fn keyed(&self, method: reqwest::Method, path: &str, secret: &str) -> Response {
        self.client
            .request(method, self.url(path))
            .header("X-API-Key", secret)
            .send()
            .await
            .expect("the request is sent")
    }
}

/// An export opened as a zip archive.
struct Archive(zip::ZipArchive<Cursor<Vec<u8>>>);

impl Archive {
    async fn of(response: Response) -> Self {
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/zip");
        let disposition = response.headers()[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .to_owned();
        let expected = format!(
            "attachment; filename=\"experience-layer-export-{}.zip\"",
            chrono::Utc::now().format("%Y-%m-%d")
        );
        assert_eq!(disposition, expected);
        let bytes = response.bytes().await.expect("the whole archive").to_vec();
        Self(zip::ZipArchive::new(Cursor::new(bytes)).expect("the export is a zip"))
    }

    fn names(&self) -> BTreeSet<String> {
        self.0.file_names().map(str::to_owned).collect()
    }

    fn bytes(&mut self, name: &str) -> Vec<u8> {
        let mut entry = self
            .0
            .by_name(name)
            .unwrap_or_else(|_| panic!("{name} in the zip"));
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).expect("the entry reads");
        bytes
    }

    fn json(&mut self, name: &str) -> Value {
        serde_json::from_slice(&self.bytes(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    }
}

/// Bytes that do not compress, so the archive is as big as the file.
fn noise(len: usize) -> Vec<u8> {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

async fn post_many(app: &TestApp, token: &str, thread: &str, n: usize, prefix: &str) {
    let url = app.url(&format!("/api/v1/threads/{thread}/messages"));
    let statuses: Vec<StatusCode> = stream::iter(0..n)
        .map(|i| {
            let request = app
                .client
                .post(&url)
                .bearer_auth(token)
                .json(&json!({ "content": format!("{prefix} {i}") }));
            async move { request.send().await.expect("sent").status() }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::CREATED),
        "{statuses:?}"
    );
}

// ---------------------------------------------------------------------------------------
// export

api_test!(
    an_export_holds_the_callers_data_and_file_bytes_and_nothing_of_others,
    |app| async move {
        let team = app.team().await;
        let (owner, editor) = (&team.owner, &team.editor);
        let thread = &team.thread;
        // Made first: an idle pooled connection may be closed while it is made.
        let file_bytes = noise(50 * MIB);
        post_many(&app, &owner.access_token, thread, 1_000, "mine").await;
        let theirs = app
            .say(&editor.access_token, thread, "not the owner's")
            .await;
        app.post(
            &format!("/api/v1/messages/{}/reactions", id_of(&theirs)),
            Some(&owner.access_token),
            json!({ "emoji": "👍" }),
        )
        .await;
        let editors_own = app.new_thread(&editor.access_token, "editor only").await;
        let secret = app.key_secret(owner).await;
        let file = upload(
            &app,
            &owner.access_token,
            "big.bin",
            "application/octet-stream",
            &file_bytes,
        )
        .await;
        let other_file = upload(
            &app,
            &editor.access_token,
            "theirs.txt",
            "text/plain",
            b"editor's",
        )
        .await;

        let mut archive = Archive::of(app.export(&owner.access_token).await).await;

        let manifest = archive.json("manifest.json");
        assert_eq!(manifest["format_version"], 1);
        assert_eq!(manifest["user_id"], owner.id);
        assert!(manifest["generated_at"].is_string());
        let listed: Vec<&str> = manifest["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap())
            .collect();
        for section in [
            "profile.json",
            "sessions.json",
            "api_keys.json",
            "threads/",
            "threads/*/messages.json",
            "reactions.json",
            "files.json",
            "files/",
            "artifacts.json",
            "audit.json",
        ] {
            assert!(listed.contains(&section), "{section} in {listed:?}");
        }
        let count = |name: &str| {
            manifest["entries"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["name"] == name)
                .unwrap()["count"]
                .clone()
        };
        assert_eq!(count("threads/*/messages.json"), 1_000);
        assert_eq!(count("files/"), 1);

        assert_eq!(archive.json("profile.json")["email"], owner.email);
        let messages = archive.json(&format!("threads/{thread}/messages.json"));
        let messages = messages.as_array().unwrap();
        assert_eq!(messages.len(), 1_000);
        assert!(messages.iter().all(|m| m["author_id"] == owner.id.as_str()));
        let thread_json = archive.json(&format!("threads/{thread}/thread.json"));
        assert_eq!(thread_json["my_role"], "owner");
        let keys = archive.bytes("api_keys.json");
        let keys_text = String::from_utf8(keys).unwrap();
        let keys: Value = serde_json::from_str(&keys_text).unwrap();
        assert_eq!(keys.as_array().unwrap().len(), 1);
        assert!(!keys_text.contains(&secret), "{keys_text}");
        assert!(keys[0].get("secret").is_none() && keys[0].get("secret_hash").is_none());
        let reactions = archive.json("reactions.json");
        assert_eq!(reactions.as_array().unwrap().len(), 1);
        assert_eq!(reactions[0]["emoji"], "👍");
        assert_eq!(archive.json("artifacts.json"), json!([]));
        // The audit entries about the owner, oldest first: their own sign-in and this
        // export among them, nobody else's sign-in.
        let audit = archive.json("audit.json");
        let audit = audit.as_array().unwrap();
        assert_eq!(count("audit.json"), audit.len());
        let by_owner =
            |e: &&Value, action: &str| e["action"] == action && e["actor_id"] == owner.id.as_str();
        assert!(
            audit.iter().any(|e| by_owner(&e, "auth.login.succeeded")),
            "{audit:?}"
        );
        assert!(
            audit.iter().any(|e| by_owner(&e, "account.exported")
                && e["resource_type"] == "user"
                && e["resource_id"] == owner.id.as_str()),
            "{audit:?}"
        );
        assert!(
            !audit
                .iter()
                .any(|e| e["action"] == "auth.login.succeeded"
                    && e["actor_id"] == editor.id.as_str()),
            "{audit:?}"
        );
        assert!(audit.iter().all(|e| e["actor_id"] == owner.id.as_str()
            || (e["resource_type"] == "user" && e["resource_id"] == owner.id.as_str())));
        let seqs: Vec<i64> = audit.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
        let files = archive.json("files.json");
        assert_eq!(files.as_array().unwrap().len(), 1);
        let stored = archive.bytes(&format!("files/{}/big.bin", id_of(&file)));
        assert!(stored == file_bytes, "the file's bytes, identical");

        // Nothing of the editor's: their thread, file and message.
        let names = archive.names();
        assert!(!names.iter().any(|n| n.contains(&editors_own)), "{names:?}");
        assert!(!names.iter().any(|n| n.contains(&id_of(&other_file))));
        assert!(!messages.iter().any(|m| m["id"] == theirs["id"]));
    }
);

api_test!(exports_need_a_token_and_not_a_key, |app| async move {
    let (_, user) = app.admin_and_user().await;
    let secret = app.key_secret(&user).await;

    assert_problem(app.get(EXPORT, None).await, UNAUTHORIZED).await;
    assert_problem(
        app.keyed(reqwest::Method::GET, EXPORT, &secret).await,
        FORBIDDEN,
    )
    .await;
});

api_test!(
    one_export_per_user_runs_at_a_time_and_the_turn_comes_back,
    |app| async move {
        let (admin, user) = app.admin_and_user().await;
        upload(
            &app,
            &user.access_token,
            "big.bin",
            "application/octet-stream",
            &noise(40 * MIB),
        )
        .await;

        // The first export stalls: its client reads nothing past the headers.
        let first = app.export(&user.access_token).await;
        assert_eq!(first.status(), StatusCode::OK);
        assert_problem(app.export(&user.access_token).await, CONFLICT).await;
        // Someone else's export is not held up.
        Archive::of(app.export(&admin.access_token).await).await;

        drop(first);
        let started = Instant::now();
        loop {
            let again = app.export(&user.access_token).await;
            if again.status() == StatusCode::OK {
                Archive::of(again).await;
                break;
            }
            assert_eq!(again.status(), StatusCode::CONFLICT);
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "the turn comes back"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
);

// ---------------------------------------------------------------------------------------
// erasure

api_test!(
    deleting_ones_account_keeps_messages_others_read_and_hands_on_threads,
    |app| async move {
        let team = app.team().await;
        let (owner, editor, admin) = (&team.owner, &team.editor, &team.admin);
        let kept = app
            .say(&owner.access_token, &team.thread, "still here")
            .await;
        let editors = app.say(&editor.access_token, &team.thread, "reply").await;
        app.post(
            &format!("/api/v1/messages/{}/reactions", id_of(&editors)),
            Some(&owner.access_token),
            json!({ "emoji": "🎉" }),
        )
        .await;
        let alone = app.new_thread(&owner.access_token, "only mine").await;
        let secret = app.key_secret(owner).await;
        let file = upload(
            &app,
            &owner.access_token,
            "notes.txt",
            "text/plain",
            b"mine",
        )
        .await;

        let shared = app
            .post(
                &format!("/api/v1/threads/{}/shares", team.thread),
                Some(&owner.access_token),
                json!({}),
            )
            .await;
        let shared = data_of(shared, StatusCode::CREATED).await["token"]
            .as_str()
            .unwrap()
            .to_owned();
        let shared = format!("/api/v1/shared/{shared}");
        assert_eq!(app.get(&shared, None).await.status(), StatusCode::OK);

        let response = app.delete_me(&owner.access_token, Some(PASSWORD)).await;
        let erased = data_of(response, StatusCode::OK).await;
        assert_eq!(erased, json!({ "id": owner.id, "deleted": true }));
        assert_eq!(app.get(&shared, None).await.status(), StatusCode::NOT_FOUND);

        // Every credential is dead at once.
        assert_problem(app.get(ME, Some(&owner.access_token)).await, UNAUTHORIZED).await;
        assert_problem(
            app.keyed(reqwest::Method::GET, ME, &secret).await,
            UNAUTHORIZED,
        )
        .await;
        let refreshed = app
            .post(
                "/api/v1/auth/refresh",
                None,
                json!({ "refresh_token": owner.refresh_token }),
            )
            .await;
        assert_eq!(refreshed.status(), StatusCode::UNAUTHORIZED);
        let login = app
            .post(
                "/api/v1/auth/login",
                None,
                json!({ "email": owner.email, "password": PASSWORD }),
            )
            .await;
        assert_eq!(login.status(), StatusCode::UNAUTHORIZED);

        // The message stays, by a deleted user; the editor (added first) now owns the thread.
        let message = app.message(&editor.access_token, &id_of(&kept)).await;
        assert_eq!(message["author_id"], owner.id);
        let author = data_of(
            app.get(
                &format!("/api/v1/users/{}", owner.id),
                Some(&editor.access_token),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(author["name"], "Deleted user");
        assert!(author.get("email").is_none(), "{author}");
        let members = app.members(&editor.access_token, &team.thread).await;
        assert!(
            members.contains(&(editor.id.clone(), "owner".to_owned())),
            "{members:?}"
        );
        assert!(
            !members.iter().any(|(id, _)| id == &owner.id),
            "{members:?}"
        );
        let reactions = app
            .get(
                &format!("/api/v1/messages/{}/reactions", id_of(&editors)),
                Some(&editor.access_token),
            )
            .await;
        assert_eq!(json_body(reactions).await["data"], json!([]));

        // The thread nobody else used, and the file, are gone; the tombstone is nobody.
        assert_problem(
            app.get(
                &format!("/api/v1/threads/{alone}"),
                Some(&admin.access_token),
            )
            .await,
            NOT_FOUND,
        )
        .await;
        assert_problem(
            app.get(
                &format!("/api/v1/files/{}", id_of(&file)),
                Some(&admin.access_token),
            )
            .await,
            NOT_FOUND,
        )
        .await;
        let users = json_body(app.get("/api/v1/users", Some(&admin.access_token)).await).await;
        let listed: Vec<&str> = users["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["id"].as_str().unwrap())
            .collect();
        assert!(!listed.contains(&owner.id.as_str()), "{listed:?}");
        let added = app
            .post(
                &format!("/api/v1/threads/{}/members", team.thread),
                Some(&editor.access_token),
                json!({ "user_id": owner.id, "role": "viewer" }),
            )
            .await;
        assert_problem(added, INVALID).await;
        // The email is free again.
        app.register(&owner.email).await;
    }
);

api_test!(erasing_needs_the_password_and_a_token, |app| async move {
    let (_, user) = app.admin_and_user().await;
    let secret = app.key_secret(&user).await;

    assert_problem(app.delete_me(&user.access_token, None).await, INVALID).await;
    assert_problem(
        app.delete_me(&user.access_token, Some("wrong password"))
            .await,
        FORBIDDEN,
    )
    .await;
    assert_problem(
        app.delete_me(&user.access_token, Some("short")).await,
        FORBIDDEN,
    )
    .await;
    assert_problem(
        app.keyed(reqwest::Method::DELETE, ME, &secret).await,
        FORBIDDEN,
    )
    .await;
    assert_problem(app.delete(ME, None).await, UNAUTHORIZED).await;

    // Nothing changed: the account, its token and its key still work.
    data_of(app.get(ME, Some(&user.access_token)).await, StatusCode::OK).await;
    let by_key = app.keyed(reqwest::Method::GET, ME, &secret).await;
    assert_eq!(by_key.status(), StatusCode::OK);
});

api_test!(the_last_admin_cannot_delete_themselves, |app| async move {
    let (admin, user) = app.admin_and_user().await;

    assert_problem(
        app.delete_me(&admin.access_token, Some(PASSWORD)).await,
        CONFLICT,
    )
    .await;
    let me = data_of(app.get(ME, Some(&admin.access_token)).await, StatusCode::OK).await;
    assert_eq!(me["role"], "ADMIN");

    // With a second ADMIN, the first may go.
    let path = format!("/api/v1/users/{}", user.id);
    let promoted = app
        .patch(&path, Some(&admin.access_token), json!({ "role": "ADMIN" }))
        .await;
    assert_eq!(promoted.status(), StatusCode::OK);
    let response = app.delete_me(&admin.access_token, Some(PASSWORD)).await;
    assert_eq!(response.status(), StatusCode::OK);
});

api_test!(
    an_admin_deleting_a_user_erases_them_the_same_way,
    |app| async move {
        let team = app.team().await;
        let (admin, owner, editor) = (&team.admin, &team.owner, &team.editor);
        let kept = app.say(&owner.access_token, &team.thread, "kept").await;

        let response = app
            .delete(
                &format!("/api/v1/users/{}", owner.id),
                Some(&admin.access_token),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);

        assert_problem(app.get(ME, Some(&owner.access_token)).await, UNAUTHORIZED).await;
        let message = app.message(&editor.access_token, &id_of(&kept)).await;
        assert_eq!(message["author_id"], owner.id);
        let members = app.members(&editor.access_token, &team.thread).await;
        assert!(
            members.contains(&(editor.id.clone(), "owner".to_owned())),
            "{members:?}"
        );
        // Deleting the tombstone again finds nobody.
        assert_problem(
            app.delete(
                &format!("/api/v1/users/{}", owner.id),
                Some(&admin.access_token),
            )
            .await,
            NOT_FOUND,
        )
        .await;
        // One `user.deleted` entry, by the ADMIN, on the erased user; the refused second
        // attempt recorded nothing.
        let logged = app
            .get(
                &format!(
                    "/api/v1/admin/audit-logs?action=user.deleted&resource_id={}",
                    owner.id
                ),
                Some(&admin.access_token),
            )
            .await;
        let logged = data_of(logged, StatusCode::OK).await;
        let logged = logged.as_array().unwrap();
        assert_eq!(logged.len(), 1, "{logged:?}");
        assert_eq!(logged[0]["actor_id"], admin.id);
        assert_eq!(logged[0]["resource_type"], "user");
        assert_eq!(logged[0]["details"], json!({ "by_self": false }));
    }
);

// ---------------------------------------------------------------------------------------
// memory, with the real binary

infrastructure::backend_test!(
    an_export_of_a_large_account_streams_in_bounded_memory_even_to_a_slow_reader,
    |db: infrastructure::testing::TestDatabase| async move {
        let files = tempfile::tempdir().expect("a folder for files");
        let file_bytes = noise(50 * MIB);
        let server = ServerProcess::start(&db, files.path(), &[("RATE_LIMITS_ENABLED", "false")]);
        let client = reqwest::Client::new();
        let register = client
            .post(server.url("/api/v1/auth/register"))
            .json(&json!({"email": "exporter@rpotential.ai", "password": PASSWORD, "name": "Exporter"}))
            .send()
            .await
            .unwrap();
        let token = json_body(register).await["data"]["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        let thread = client
            .post(server.url("/api/v1/threads"))
            .bearer_auth(&token)
            .json(&json!({"title": "many messages"}))
            .send()
            .await
            .unwrap();
        let thread = json_body(thread).await["data"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let url = server.url(&format!("/api/v1/threads/{thread}/messages"));
        let statuses: Vec<StatusCode> = stream::iter(0..1_000)
            .map(|i| {
                let request = client
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&json!({"content": format!("message {i}")}));
                async move { request.send().await.unwrap().status() }
            })
            .buffer_unordered(8)
            .collect()
            .await;
        assert!(statuses.iter().all(|s| *s == StatusCode::CREATED));
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(file_bytes.clone())
                .file_name("big.bin")
                .mime_str("application/octet-stream")
                .unwrap(),
        );
        // A fresh connection: a pooled one may have been closed while idle.
        let uploaded = reqwest::Client::new()
            .post(server.url("/api/v1/files"))
            .bearer_auth(&token)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(uploaded.status(), StatusCode::CREATED);
        // Let the upload's buffers go back before measuring.
        tokio::time::sleep(Duration::from_secs(12)).await;
        let (before, _) = server.memory();

        let response = client
            .get(server.url(EXPORT))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let mut body = response.bytes_stream();
        let mut archive = Vec::with_capacity(51 * MIB);
        let mut peak = before;
        let mut chunks = 0_u64;
        while let Some(chunk) = body.next().await {
            archive.extend_from_slice(&chunk.unwrap());
            chunks += 1;
            // A client that stalls, then reads slowly: the server must wait, not buffer.
            if chunks == 1 {
                tokio::time::sleep(Duration::from_secs(3)).await;
                peak = peak.max(server.memory().0);
            } else if archive.len() < 8 * MIB {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            if chunks.is_multiple_of(16) {
                peak = peak.max(server.memory().0);
            }
        }
        peak = peak.max(server.memory().0);
        let growth = peak.saturating_sub(before);
        eprintln!(
            "export of {} MiB: server RSS {} MiB before, growth {} MiB",
            archive.len() / MIB,
            before / MIB as u64,
            growth / MIB as u64
        );
        assert!(
            growth < 32 * MIB as u64,
            "RSS grew by {} MiB",
            growth / MIB as u64
        );

        let mut zip = zip::ZipArchive::new(Cursor::new(archive)).expect("a zip");
        let name = zip
            .file_names()
            .find(|n| n.starts_with("files/"))
            .unwrap()
            .to_owned();
        let mut stored = Vec::new();
        zip.by_name(&name)
            .unwrap()
            .read_to_end(&mut stored)
            .unwrap();
        assert!(stored == file_bytes, "the file, byte-identical");
    }
);
