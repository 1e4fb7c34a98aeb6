//! `Idempotency-Key` across a crash: after a SIGKILL with keyed creates in flight, every
//! retry with the same key and body is answered by what happened (the original answer
//! when the write committed, a fresh create when it did not) within the claim's lease;
//! none is left "in progress".

use std::{
    collections::{HashMap, HashSet},
    sync::{
        atomic::{AtomicBool, AtomicUsize, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use infrastructure::testing::TestDatabase;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

use crate::{helpers::PASSWORD, server_process::ServerProcess};

const LEASE_SECONDS: u64 = 3;
const MESSAGE_WRITERS: usize = 32;
const THREAD_WRITERS: usize = 2;

/// One keyed create as the client saw it before the crash.
#[derive(Clone)]
struct Attempt {
    path: String,
    key: String,
    body: Value,
    /// The status and `data.id` of its answer, `None` when the crash cut it off.
    answer: Option<(StatusCode, Option<String>)>,
}

infrastructure::backend_test!(
    keyed_creates_in_flight_at_a_crash_are_replayed_or_processed_within_the_lease,
    |db: TestDatabase| async move {
        let files = tempfile::tempdir().unwrap();
        let lease = LEASE_SECONDS.to_string();
        let mut server =
            ServerProcess::start(&db, files.path(), &[("IDEMPOTENCY_LEASE_SECONDS", &lease)]);
        let client = Client::new();
        let token = register(&client, &server).await;
        let thread = post_to(
            &client,
            &server.address,
            &token,
            "/api/v1/threads",
            None,
            &json!({"title": "crash"}),
        )
        .await
        .unwrap();
        assert_eq!(thread.0, StatusCode::CREATED);
        let thread_id = thread.1.unwrap();
        let messages_path = format!("/api/v1/threads/{thread_id}/messages");

        // Writers post keyed creates one after another until the server dies under them.
        let stop = Arc::new(AtomicBool::new(false));
        let answered = Arc::new(AtomicUsize::new(0));
        let mut writers = Vec::new();
        for w in 0..MESSAGE_WRITERS + THREAD_WRITERS {
            let (path, field) = if w < MESSAGE_WRITERS {
                (messages_path.clone(), "content")
            } else {
                ("/api/v1/threads".to_owned(), "title")
            };
            let (client, base, token, stop, answered) = (
                client.clone(),
                server.address.clone(),
                token.clone(),
                stop.clone(),
                answered.clone(),
            );
            writers.push(tokio::spawn(async move {
                let mut attempts = Vec::new();
                for i in 0.. {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let key = format!("crash-{w}-{i}");
                    let body = json!({ field: key });
                    let answer = post_to(&client, &base, &token, &path, Some(&key), &body).await;
                    let cut_off = answer.is_none();
                    attempts.push(Attempt {
                        path: path.clone(),
                        key,
                        body,
                        answer,
                    });
                    if cut_off {
                        break;
                    }
                    answered.fetch_add(1, Ordering::Relaxed);
                }
                attempts
            }));
        }
        // Kill once the writers are in full swing: some answered, every one with a request out.
        let started = Instant::now();
        while answered.load(Ordering::Relaxed) < 2 * (MESSAGE_WRITERS + THREAD_WRITERS)
            && started.elapsed() < Duration::from_secs(20)
        {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        server.kill();
        stop.store(true, Ordering::Relaxed);
        let mut attempts = Vec::new();
        for writer in writers {
            attempts.extend(writer.await.unwrap());
        }
        let answered: Vec<_> = attempts.iter().filter(|a| a.answer.is_some()).collect();
        for attempt in &answered {
            assert_eq!(
                attempt.answer.as_ref().unwrap().0,
                StatusCode::CREATED,
                "{}",
                attempt.key
            );
        }
        let in_flight: Vec<_> = attempts.iter().filter(|a| a.answer.is_none()).collect();
        assert!(!in_flight.is_empty(), "the crash cut some requests off");

        server.restart();
        let restarted = Instant::now();
        let deadline = restarted + Duration::from_secs(LEASE_SECONDS + 10);
        let mut ids: HashMap<String, String> = HashMap::new();
        let (mut replayed, mut processed, mut stuck) = (0, 0, Vec::new());
        for attempt in &in_flight {
            let (status, replay, id) = loop {
                let answer = retry(&client, &server, &token, attempt).await;
                if answer.0 != StatusCode::CONFLICT || Instant::now() > deadline {
                    break answer;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            };
            match status {
                StatusCode::CREATED if replay => replayed += 1,
                StatusCode::CREATED => processed += 1,
                _ => stuck.push((attempt.key.clone(), status)),
            }
            if let Some(id) = id {
                ids.insert(attempt.key.clone(), id);
            }
        }
        eprintln!(
            "{} answered before the crash, {} in flight: {replayed} replayed, {processed} processed, {} not resolved (within {:?} of the restart, lease {LEASE_SECONDS} s)",
            answered.len(),
            in_flight.len(),
            stuck.len(),
            restarted.elapsed(),
        );
        assert!(stuck.is_empty(), "retries not resolved: {stuck:?}");

        // Answers given before the crash are replayed as they were.
        for attempt in &answered {
            let (status, replay, id) = retry(&client, &server, &token, attempt).await;
            assert_eq!(status, StatusCode::CREATED, "{}", attempt.key);
            assert!(replay, "{} is replayed", attempt.key);
            assert_eq!(id, attempt.answer.as_ref().unwrap().1, "{}", attempt.key);
            ids.insert(attempt.key.clone(), id.unwrap());
        }

        // Exactly one message per key and one thread per key: nothing lost, nothing twice.
        let messages = listed(
            &client,
            &server,
            &token,
            &format!("{messages_path}?order=asc"),
            "content",
        )
        .await;
        let threads = listed(&client, &server, &token, "/api/v1/threads?", "title").await;
        for attempt in &attempts {
            let (listing, field) = if attempt.path == messages_path {
                (&messages, "content")
            } else {
                (&threads, "title")
            };
            let text = attempt.body[field].as_str().unwrap();
            let found: Vec<_> = listing.iter().filter(|(_, t)| t == text).collect();
            assert_eq!(found.len(), 1, "{} is stored exactly once", attempt.key);
            assert_eq!(
                Some(&found[0].0),
                ids.get(&attempt.key),
                "{} answers with its resource",
                attempt.key
            );
        }
        let keys: HashSet<_> = attempts.iter().map(|a| a.key.as_str()).collect();
        assert_eq!(
            messages.len() + threads.len() - 1,
            keys.len(),
            "nothing but the keyed creates"
        );
    }
);

async fn register(client: &Client, server: &ServerProcess) -> String {
    let response = client
        .post(server.url("/api/v1/auth/register"))
        .json(&json!({"email": "ada@rpotential.ai", "password": PASSWORD, "name": "Ada"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    body["data"]["access_token"].as_str().unwrap().to_owned()
}

/// The status and `data.id` of a POST, or `None` when no answer came.
async fn post_to(
    client: &Client,
    base: &str,
    token: &str,
    path: &str,
    key: Option<&str>,
    body: &Value,
) -> Option<(StatusCode, Option<String>)> {
    let mut request = client
        .post(format!("{base}{path}"))
        .bearer_auth(token)
        .json(body);
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    let response = request.send().await.ok()?;
    let status = response.status();
    let body: Value = response.json().await.ok()?;
    Some((status, body["data"]["id"].as_str().map(str::to_owned)))
}

/// The same key and body again: status, whether it was a replay, and `data.id`.
async fn retry(
    client: &Client,
    server: &ServerProcess,
    token: &str,
    attempt: &Attempt,
) -> (StatusCode, bool, Option<String>) {
    let response = send(client, server, token, attempt).await;
    let status = response.status();
    let replay = response
        .headers()
        .get("idempotent-replayed")
        .is_some_and(|v| v == "true");
    let body: Value = response.json().await.unwrap();
    (
        status,
        replay,
        body["data"]["id"].as_str().map(str::to_owned),
    )
}

/// Every item of a listing as (id, `field`), following `next_cursor`.
async fn listed(
    client: &Client,
    server: &ServerProcess,
    token: &str,
    path: &str,
    field: &str,
) -> Vec<(String, String)> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = server.url(&format!("{path}&limit=100"));
        if let Some(cursor) = &cursor {
            url.push_str(&format!("&cursor={cursor}"));
        }
        let response = client.get(url).bearer_auth(token).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        for item in body["data"].as_array().unwrap() {
            items.push((
                item["id"].as_str().unwrap().to_owned(),
                item[field].as_str().unwrap_or_default().to_owned(),
            ));
        }
        match body["metadata"]["pagination"]["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return items,
        }
    }
}

infrastructure::backend_test!(
    a_claim_is_resolved_by_its_receipt_and_lease_when_its_answer_was_never_stored,
    |db: TestDatabase| async move {
        let files = tempfile::tempdir().unwrap();
        let server = ServerProcess::start(&db, files.path(), &[("IDEMPOTENCY_LEASE_SECONDS", "3")]);
        let conn = db.connect().await;
        let client = Client::new();
        let token = register(&client, &server).await;
        let keyed = |path: &str, key: &str, body: Value| Attempt {
            path: path.to_owned(),
            key: key.to_owned(),
            body,
            answer: None,
        };
        let thread = keyed("/api/v1/threads", "t-1", json!({"title": "receipts"}));
        let first_thread = original(&client, &server, &token, &thread).await;
        let thread_id = first_thread["data"]["id"].as_str().unwrap().to_owned();
        let creates = [
            keyed(
                &format!("/api/v1/threads/{thread_id}/messages"),
                "m-1",
                json!({"content": "hi"}),
            ),
            keyed(
                "/api/v1/users",
                "u-1",
                json!({"email": "grace@rpotential.ai", "name": "Grace"}),
            ),
            keyed(
                "/api/v1/files",
                "f-1",
                json!({"url": "https://example.com/a.pdf", "filename": "a.pdf", "content_type": "application/pdf", "size_bytes": 10}),
            ),
        ];
        let mut originals = vec![(thread.clone(), first_thread)];
        for create in creates {
            let answer = original(&client, &server, &token, &create).await;
            originals.push((create, answer));
        }
        let message_id = originals[1].1["data"]["id"].as_str().unwrap().to_owned();
        let reaction = keyed(
            &format!("/api/v1/messages/{message_id}/reactions"),
            "r-1",
            json!({"emoji": "👍"}),
        );
        let answer = original(&client, &server, &token, &reaction).await;
        originals.push((reaction, answer));

        let upload = |client: &Client| {
            let part = reqwest::multipart::Part::bytes(b"streamed bytes".to_vec())
                .file_name("s.txt")
                .mime_str("text/plain")
                .unwrap();
            client
                .post(server.url("/api/v1/files"))
                .bearer_auth(&token)
                .header("idempotency-key", "up-1")
                .multipart(reqwest::multipart::Form::new().part("file", part))
        };
        let uploaded = upload(&client).send().await.unwrap();
        assert_eq!(uploaded.status(), StatusCode::CREATED);
        let uploaded: Value = uploaded.json().await.unwrap();

        // The process died after each commit, before the answer was stored.
        execute(
            &conn,
            "UPDATE idempotency_keys SET status_code = NULL, response_body = NULL, location = NULL",
            None,
        )
        .await;
        for (create, first) in &originals {
            let response = send(&client, &server, &token, create).await;
            assert_eq!(response.status(), StatusCode::CREATED, "{}", create.path);
            assert_eq!(response.headers()["idempotent-replayed"], "true");
            let location = response
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_owned());
            let body: Value = response.json().await.unwrap();
            assert_eq!(
                body["data"]["id"], first["data"]["id"],
                "{} names what was created",
                create.path
            );
            // As it is now: the thread has a message since, the message a reaction.
            if !create.path.starts_with("/api/v1/threads") {
                assert_eq!(body["data"], first["data"], "{} renders it", create.path);
            }
            assert!(location.is_some(), "{} says where", create.path);
        }
        let again = upload(&client).send().await.unwrap();
        assert_eq!(again.status(), StatusCode::CREATED, "the streamed upload");
        assert_eq!(again.headers()["idempotent-replayed"], "true");
        let again: Value = again.json().await.unwrap();
        assert_eq!(again["data"], uploaded["data"]);
        let listed = listed(
            &client,
            &server,
            &token,
            &format!("/api/v1/threads/{thread_id}/messages?order=asc"),
            "content",
        )
        .await;
        assert_eq!(listed.len(), 1, "the message was not posted again");

        // A claim without a receipt: in progress while its lease runs, then processed.
        execute(
            &conn,
            "UPDATE idempotency_keys SET receipt = NULL, lease_until = {at} WHERE key = 't-1'",
            Some(chrono::Utc::now() + chrono::Duration::seconds(60)),
        )
        .await;
        let response = send(&client, &server, &token, &thread).await;
        assert_eq!(response.status(), StatusCode::CONFLICT);
        execute(
            &conn,
            "UPDATE idempotency_keys SET lease_until = {at} WHERE key = 't-1'",
            Some(chrono::Utc::now() - chrono::Duration::seconds(1)),
        )
        .await;
        let response = send(&client, &server, &token, &thread).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        assert!(response.headers().get("idempotent-replayed").is_none());
        let body: Value = response.json().await.unwrap();
        assert_ne!(
            body["data"]["id"].as_str().unwrap(),
            thread_id,
            "processed afresh"
        );
        // ...and from then on replayed like any other.
        let again = send(&client, &server, &token, &thread).await;
        assert_eq!(again.headers()["idempotent-replayed"], "true");
        let again: Value = again.json().await.unwrap();
        assert_eq!(again["data"], body["data"]);
    }
);

/// Sends `attempt` with its `Idempotency-Key`.
async fn send(
    client: &Client,
    server: &ServerProcess,
    token: &str,
    attempt: &Attempt,
) -> reqwest::Response {
    client
        .post(server.url(&attempt.path))
        .bearer_auth(token)
        .header("idempotency-key", &attempt.key)
        .json(&attempt.body)
        .send()
        .await
        .unwrap()
}

/// The first answer to `attempt`, which must be a 201.
async fn original(
    client: &Client,
    server: &ServerProcess,
    token: &str,
    attempt: &Attempt,
) -> Value {
    let response = send(client, server, token, attempt).await;
    assert_eq!(response.status(), StatusCode::CREATED, "{}", attempt.path);
    response.json().await.unwrap()
}

/// Runs `sql`, with `{at}` bound to `at` when given.
async fn execute(
    conn: &infrastructure::database::Db,
    sql: &str,
    at: Option<chrono::DateTime<chrono::Utc>>,
) {
    use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
    let backend = conn.get_database_backend();
    let placeholder = if backend == DatabaseBackend::Postgres {
        "$1"
    } else {
        "?"
    };
    let sql = sql.replace("{at}", placeholder);
    let values: Vec<sea_orm::Value> = at.into_iter().map(Into::into).collect();
    conn.execute(Statement::from_sql_and_values(backend, sql, values))
        .await
        .unwrap();
}
