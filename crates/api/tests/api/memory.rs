//! Memory bounded by design: pages of large messages are cut to a byte budget, concurrent
//! readers share a bounded amount of memory, and the server gives memory back when the
//! load stops. The figures are the real binary's own (`ServerProcess`).

use std::time::{Duration, Instant};

use futures_util::{stream, StreamExt};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::{
    helpers::{json_body, PASSWORD},
    server_process::ServerProcess,
};

const MIB: u64 = 1024 * 1024;
/// The largest message the contract allows is 200,000 characters.
const LARGE_CHARS: usize = 199_000;

/// A message of `LARGE_CHARS` characters that starts with its number.
fn large_content(n: usize) -> String {
    let mut content = format!("{n:06} ");
    content.push_str(&"m".repeat(LARGE_CHARS - content.len()));
    content
}

/// Ids and pagination of one page, read as the client gets it.
async fn read_page(response: reqwest::Response) -> (Vec<String>, Value) {
    assert_eq!(response.status(), StatusCode::OK);
    let body = json_body(response).await;
    let ids = body["data"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|m| m["id"].as_str().expect("an id").to_owned())
        .collect();
    (ids, body["metadata"]["pagination"].clone())
}

/// Reads one page and returns its size. A connection the server refused or reset under
/// the load (its connection deadlines and limits) is tried again: what is measured here
/// is memory, not those.
async fn read_with_retries(client: &reqwest::Client, url: &str, token: &str) -> usize {
    for _ in 0..5 {
        match client.get(url).bearer_auth(token).send().await {
            Ok(response) => {
                assert_eq!(response.status(), StatusCode::OK);
                if let Ok(body) = response.bytes().await {
                    return body.len();
                }
            }
            Err(err) => eprintln!("a reader retries after {err}"),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("a page could not be read in 5 tries");
}

api_test!(
    a_page_of_large_messages_is_cut_to_the_budget_and_its_cursors_return_each_message_once,
    |app| async move {
        let user = app.register("reader@rpotential.ai").await;
        let token = user.access_token.as_str();
        let thread = app.create_thread(token, "large").await["id"]
            .as_str()
            .expect("a thread id")
            .to_owned();
        let mut posted = Vec::new();
        for n in 0..12 {
            let response = app
                .post(
                    &format!("/api/v1/threads/{thread}/messages"),
                    Some(token),
                    json!({"content": large_content(n)}),
                )
                .await;
            assert_eq!(response.status(), StatusCode::CREATED);
            posted.push(
                json_body(response).await["data"]["id"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            );
        }

        for (order, expected) in [
            ("asc", posted.clone()),
            ("desc", posted.iter().rev().cloned().collect()),
        ] {
            let mut seen: Vec<String> = Vec::new();
            let mut cursor: Option<String> = None;
            let mut pages = 0;
            loop {
                let mut path = format!("/api/v1/threads/{thread}/messages?order={order}&limit=100");
                if let Some(cursor) = &cursor {
                    path.push_str(&format!("&cursor={cursor}"));
                }
                let (ids, pagination) = read_page(app.get(&path, Some(token)).await).await;
                pages += 1;
                // 1 MiB of 199,000-character messages is 5 of them.
                assert!(
                    !ids.is_empty() && ids.len() <= 5,
                    "a page of {} large messages",
                    ids.len()
                );
                assert_eq!(pagination["limit"], 100, "the limit asked for is reported");
                seen.extend(ids);
                if pagination["has_more"] == false {
                    assert_eq!(pagination["next_cursor"], Value::Null);
                    break;
                }
                cursor = Some(pagination["next_cursor"].as_str().unwrap().to_owned());
                assert!(pages < 12, "the cursor moves on");
            }
            assert_eq!(
                seen, expected,
                "every message exactly once, in {order} order"
            );
            assert_eq!(pages, 3);
        }

        // Small messages are not cut: the budget is far above an ordinary page.
        let small = app.create_thread(token, "small").await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        for n in 0..30 {
            let response = app
                .post(
                    &format!("/api/v1/threads/{small}/messages"),
                    Some(token),
                    json!({"content": format!("short message {n}: {}", "s".repeat(2_000))}),
                )
                .await;
            assert_eq!(response.status(), StatusCode::CREATED);
        }
        let (ids, pagination) = read_page(
            app.get(
                &format!("/api/v1/threads/{small}/messages?limit=100"),
                Some(token),
            )
            .await,
        )
        .await;
        assert_eq!((ids.len(), &pagination["has_more"]), (30, &json!(false)));
    }
);

infrastructure::backend_test!(
    a_hundred_readers_of_large_pages_stay_under_a_gib_and_memory_goes_back_down,
    |db: infrastructure::testing::TestDatabase| async move {
        let files = tempfile::tempdir().expect("a folder for files");
        let server = ServerProcess::start(&db, files.path(), &[]);
        let client = reqwest::Client::new();

        let register = client
            .post(server.url("/api/v1/auth/register"))
            .json(&json!({"email": "heavy@rpotential.ai", "password": PASSWORD, "name": "Heavy"}))
            .send()
            .await
            .unwrap();
        assert_eq!(register.status(), StatusCode::CREATED);
        let token = json_body(register).await["data"]["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        let thread = client
            .post(server.url("/api/v1/threads"))
            .bearer_auth(&token)
            .json(&json!({"title": "large messages"}))
            .send()
            .await
            .unwrap();
        let thread = json_body(thread).await["data"]["id"]
            .as_str()
            .unwrap()
            .to_owned();

        // One user posts 300 messages of 199,000 characters, 8 at a time.
        let started = Instant::now();
        let posts_url = server.url(&format!("/api/v1/threads/{thread}/messages"));
        let statuses: Vec<StatusCode> = stream::iter(0..300)
            .map(|n| {
                let request = client
                    .post(&posts_url)
                    .bearer_auth(&token)
                    .json(&json!({"content": large_content(n)}));
                async move { request.send().await.map(|r| r.status()).ok() }
            })
            .buffer_unordered(8)
            .filter_map(|status| async move { status })
            .collect()
            .await;
        assert!(
            statuses.len() == 300 && statuses.iter().all(|s| *s == StatusCode::CREATED),
            "seeding: {statuses:?}"
        );
        eprintln!("seeded 300 large messages in {:?}", started.elapsed());

        // 100 readers, each asking for a page of 100 three times over.
        let (idle, _) = server.memory();
        let page_url = server.url(&format!("/api/v1/threads/{thread}/messages?limit=100"));
        // Fresh connections: the seeding ones may have been closed as idle meanwhile.
        let client = reqwest::Client::new();
        let started = Instant::now();
        let received: Vec<usize> = stream::iter(0..100)
            .map(|_| {
                let client = client.clone();
                let url = page_url.clone();
                let token = token.clone();
                async move {
                    let mut bytes = 0;
                    for _ in 0..3 {
                        bytes += read_with_retries(&client, &url, &token).await;
                    }
                    bytes
                }
            })
            .buffer_unordered(100)
            .collect()
            .await;
        let (after_load, peak) = server.memory();
        eprintln!(
            "100 readers: {} MiB received in {:?}; server RSS idle {} MiB, peak {} MiB, at the end {} MiB",
            received.iter().sum::<usize>() as u64 / MIB,
            started.elapsed(),
            idle / MIB,
            peak / MIB,
            after_load / MIB
        );
        assert!(peak < 1024 * MIB, "peak RSS {} MiB", peak / MIB);

        let quiet = Instant::now();
        let mut rss = after_load;
        while rss >= 200 * MIB && quiet.elapsed() < Duration::from_secs(60) {
            tokio::time::sleep(Duration::from_millis(500)).await;
            rss = server.memory().0;
        }
        eprintln!("RSS {} MiB {:?} after the load", rss / MIB, quiet.elapsed());
        assert!(
            rss < 200 * MIB,
            "RSS still {} MiB a minute after the load",
            rss / MIB
        );
    }
);
