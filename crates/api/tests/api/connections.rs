//! Deadlines and limits on connections, over raw sockets: stalled bodies and headers are
//! given up, oversized declared bodies are refused before they are sent, and one client
//! address cannot hold the connections everyone else needs.

use std::{
    net::{Ipv4Addr, SocketAddr},
    time::{Duration, Instant},
};

use infrastructure::testing::TestDatabase;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpSocket, TcpStream},
};

use crate::helpers::{spawn_app_with, TestApp};

/// Where the stalling clients come from.
const CLIENT: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 1);
/// Another client address on the loopback, outside the first one's per-address limit.
const OTHER_CLIENT: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);

/// A login whose body stops after its first byte.
const STALLED_LOGIN: &str = "POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\n\
    Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{";

fn server_address(app: &TestApp) -> SocketAddr {
    app.address
        .trim_start_matches("http://")
        .parse()
        .expect("the app's address")
}

/// A connection to the app from `from` (any port), with `bytes` sent.
async fn send_from(app: &TestApp, from: Ipv4Addr, bytes: &[u8]) -> TcpStream {
    let socket = TcpSocket::new_v4().expect("a socket");
    socket
        .bind(SocketAddr::from((from, 0)))
        .expect("a loopback source address");
    let mut stream = socket
        .connect(server_address(app))
        .await
        .expect("the app accepts");
    stream.write_all(bytes).await.expect("the request is sent");
    stream
}

/// What the server sent, and after how long it closed the connection (`None`: not
/// within `wait`).
async fn read_until_closed(stream: &mut TcpStream, wait: Duration) -> (String, Option<Duration>) {
    let (text, _, closed_after) = read_answer(stream, wait).await;
    (text, closed_after)
}

/// What the server sent, after how long its first byte came, and after how long it closed
/// the connection (`None`: not within `wait`).
async fn read_answer(
    stream: &mut TcpStream,
    wait: Duration,
) -> (String, Option<Duration>, Option<Duration>) {
    let started = Instant::now();
    let mut received = Vec::new();
    let mut answered_after = None;
    let mut buffer = [0_u8; 4096];
    let closed_after = loop {
        let left = wait.saturating_sub(started.elapsed());
        match tokio::time::timeout(left, stream.read(&mut buffer)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break Some(started.elapsed()),
            Ok(Ok(n)) => {
                answered_after.get_or_insert(started.elapsed());
                received.extend_from_slice(&buffer[..n]);
            }
            Err(_) => break None,
        }
    };
    let text = String::from_utf8_lossy(&received).into_owned();
    (text, answered_after, closed_after)
}

/// `GET /health` from `from` on a fresh connection: the status line and how long the
/// whole answer took.
async fn health_from(app: &TestApp, from: Ipv4Addr) -> (String, Duration) {
    let started = Instant::now();
    let mut stream = send_from(
        app,
        from,
        b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    )
    .await;
    let (answer, _) = read_until_closed(&mut stream, Duration::from_secs(5)).await;
    let status = answer.lines().next().unwrap_or_default().to_owned();
    (status, started.elapsed())
}

fn header_of<'a>(answer: &'a str, name: &str) -> Option<&'a str> {
    answer.split("\r\n\r\n").next()?.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

fn assert_closing_problem(answer: &str, status: &str, slug: &str) {
    assert!(
        answer.starts_with(&format!("HTTP/1.1 {status}")),
        "{answer}"
    );
    assert_eq!(header_of(answer, "connection"), Some("close"), "{answer}");
    assert_eq!(
        header_of(answer, "content-type"),
        Some("application/problem+json"),
        "{answer}"
    );
    assert!(answer.contains(&format!("/problems/{slug}\"")), "{answer}");
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

async fn spawn(vars: &[(&str, &str)]) -> TestApp {
    spawn_app_with(TestDatabase::sqlite(), vars).await
}

api_test_with!(
    a_login_body_that_stops_after_one_byte_is_answered_408_and_closed_within_the_idle_timeout,
    &[("REQUEST_BODY_IDLE_TIMEOUT_SECONDS", "2")],
    |app| async move {
        let mut stream = send_from(&app, CLIENT, STALLED_LOGIN.as_bytes()).await;
        let (answer, closed_after) = read_until_closed(&mut stream, Duration::from_secs(10)).await;
        let closed_after = closed_after.expect("the server closes the connection");
        assert!(
            (Duration::from_millis(1_900)..Duration::from_secs(4)).contains(&closed_after),
            "closed after {closed_after:?}"
        );
        assert_closing_problem(&answer, "408", "request-timeout");
        assert!(
            answer.contains("no bytes of the request body arrived for 2 s"),
            "{answer}"
        );
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_request_headers_are_given_up_within_the_header_timeout() {
    let app = spawn(&[("REQUEST_HEADER_TIMEOUT_SECONDS", "1")]).await;
    let mut stream = send_from(
        &app,
        CLIENT,
        b"POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\n",
    )
    .await;
    let (answer, closed_after) = read_until_closed(&mut stream, Duration::from_secs(10)).await;
    let closed_after = closed_after.expect("the server closes the connection");
    assert!(
        closed_after < Duration::from_secs(3),
        "closed after {closed_after:?}"
    );
    // actix answers 408 when it can, or just closes.
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declared_length_over_the_limit_is_refused_with_413_before_the_body_is_sent() {
    let app = spawn(&[]).await;
    let account = app.register("ada@rpotential.ai").await;
    let token = account.access_token;
    let huge = 500 * 1024 * 1024;
    let requests = [
        // An upload over MAX_UPLOAD_BYTES (100 MiB), as in the issue.
        format!(
            "POST /api/v1/files HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: multipart/form-data; boundary=XYZ\r\nContent-Length: {huge}\r\n\r\n"
        ),
        // A JSON route over JSON_BODY_LIMIT_BYTES (1 MiB), signed in or not.
        format!(
            "POST /api/v1/threads HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            1024 * 1024 + 1
        ),
        format!(
            "POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\n\
             Content-Type: application/json\r\nContent-Length: {huge}\r\n\r\n"
        ),
        // Even where no route is.
        format!(
            "PUT /api/v1/nowhere HTTP/1.1\r\nHost: localhost\r\n\
             Content-Type: application/json\r\nContent-Length: {huge}\r\n\r\n"
        ),
    ];
    for request in requests {
        let mut stream = send_from(&app, CLIENT, request.as_bytes()).await;
        let (answer, closed_after) = read_until_closed(&mut stream, Duration::from_secs(5)).await;
        assert!(closed_after.is_some(), "not closed after: {request}");
        assert_closing_problem(&answer, "413", "payload-too-large");
        assert!(answer.contains("over this endpoint's limit"), "{answer}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_within_the_limit_is_not_refused_for_its_declared_length() {
    let app = spawn(&[("MAX_UPLOAD_BYTES", "1000")]).await;
    let account = app.register("ada@rpotential.ai").await;
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(vec![1_u8; 1000])
            .file_name("full.bin")
            .mime_str("application/octet-stream")
            .expect("a part"),
    );
    let response = app
        .client
        .post(app.url("/api/v1/files"))
        .bearer_auth(&account.access_token)
        .multipart(form)
        .send()
        .await
        .expect("the upload is sent");
    // The multipart framing around the 1,000 bytes does not count against the file.
    assert_eq!(response.status(), reqwest::StatusCode::CREATED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chunked_body_left_unread_does_not_keep_the_connection() {
    let app = spawn(&[]).await;
    // Not signed in: refused before the body is read; the rest of it never comes.
    let mut stream = send_from(
        &app,
        CLIENT,
        b"POST /api/v1/threads HTTP/1.1\r\nHost: localhost\r\n\
          Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n{\r\n",
    )
    .await;
    let (answer, closed_after) = read_until_closed(&mut stream, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    assert!(closed_after.is_some(), "the connection was kept: {answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_over_its_connection_limit_is_refused_at_once_while_another_is_served() {
    let app = spawn(&[
        ("MAX_CONNECTIONS_PER_IP", "3"),
        ("REQUEST_BODY_IDLE_TIMEOUT_SECONDS", "30"),
    ])
    .await;
    let mut stalled = Vec::new();
    for _ in 0..3 {
        stalled.push(send_from(&app, CLIENT, STALLED_LOGIN.as_bytes()).await);
    }
    let started = Instant::now();
    let mut fourth = send_from(&app, CLIENT, STALLED_LOGIN.as_bytes()).await;
    let mut first = [0_u8; 64];
    let read = tokio::time::timeout(Duration::from_secs(1), fourth.read(&mut first)).await;
    assert!(
        matches!(read, Ok(Ok(n)) if n > 0),
        "not answered at once ({:?})",
        started.elapsed()
    );
    // Then closed, once the client has had a moment to read the answer.
    let (rest, closed_after) = read_until_closed(&mut fourth, Duration::from_secs(3)).await;
    assert!(closed_after.is_some(), "the refused connection is kept");
    let answer = format!("{}{rest}", String::from_utf8_lossy(&first));
    assert_closing_problem(&answer, "429", "too-many-connections");
    assert_eq!(header_of(&answer, "retry-after"), Some("1"));

    let (status, _) = health_from(&app, OTHER_CLIENT).await;
    assert_eq!(status, "HTTP/1.1 200 OK");

    // Their places come back when the stalled connections go.
    drop(stalled);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (status, _) = health_from(&app, CLIENT).await;
        if status == "HTTP/1.1 200 OK" {
            break;
        }
        assert!(Instant::now() < deadline, "still refused: {status}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The done-when: 2,000 connections with stalled bodies are each closed within the
/// idle timeout while a normal request keeps answering in under 100 ms.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_stalled_bodies_are_each_closed_within_the_idle_timeout_while_others_are_served(
) {
    const STALLED: usize = 2_000;
    const IDLE: Duration = Duration::from_secs(3);
    // Both ends of every connection live in this process.
    let open_files = rlimit::increase_nofile_limit(u64::MAX).expect("the open-files limit");
    assert!(
        open_files >= 2 * STALLED as u64 + 512,
        "this test needs {} open files; the hard limit is {open_files}",
        2 * STALLED + 512
    );
    let app = spawn(&[
        ("WORKERS", "2"),
        ("REQUEST_BODY_IDLE_TIMEOUT_SECONDS", "3"),
        // All 2,000 stall, as if they came from many addresses.
        ("MAX_CONNECTIONS_PER_IP", "5000"),
    ])
    .await;
    let address = server_address(&app);
    let stalled: Vec<_> = (0..STALLED)
        .map(|_| {
            tokio::spawn(async move {
                let mut stream = TcpStream::connect(address).await.expect("accepted");
                stream
                    .write_all(STALLED_LOGIN.as_bytes())
                    .await
                    .expect("sent");
                read_answer(&mut stream, IDLE + Duration::from_secs(10)).await
            })
        })
        .collect();
    // While they stall, and while their deadlines fall due, others are served.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut latencies = Vec::new();
    for _ in 0..30 {
        let (status, took) = health_from(&app, OTHER_CLIENT).await;
        assert_eq!(status, "HTTP/1.1 200 OK", "a normal request failed");
        latencies.push(took);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut answered_after = Vec::new();
    let mut closed_after = Vec::new();
    for task in stalled {
        let (answer, answered, closed) = task.await.expect("the client task");
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        answered_after.push(answered.expect("every stalled request is answered"));
        closed_after.push(closed.expect("every stalled connection is closed by the server"));
    }
    let first_answer = answered_after.iter().min().copied().unwrap_or_default();
    let last_answer = answered_after.iter().max().copied().unwrap_or_default();
    let last_close = closed_after.iter().max().copied().unwrap_or_default();
    eprintln!(
        "{STALLED} stalled bodies answered 408 after {first_answer:?}..{last_answer:?}, \
         closed by {last_close:?}; normal requests: median {:?}, max {:?}",
        median(latencies.clone()),
        latencies.iter().max()
    );
    assert!(
        first_answer >= IDLE - Duration::from_millis(100),
        "given up before the deadline: {first_answer:?}"
    );
    // Given up at the deadline (with slack for 2,000 answers at once on a small machine),
    // and closed once the client had up to 1 s to read the answer.
    assert!(
        last_answer <= IDLE + Duration::from_secs(2),
        "given up too late: {last_answer:?}"
    );
    assert!(
        last_close <= IDLE + Duration::from_secs(3),
        "closed too late: {last_close:?}"
    );
    assert!(
        median(latencies) < Duration::from_millis(100),
        "normal requests slowed down"
    );
}
