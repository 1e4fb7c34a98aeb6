//! Every request body under two rules, in one place: a declared `Content-Length` over the
//! route's limit is refused (413) before a byte is read, and a body that sends nothing for
//! the idle time is given up (408). Both answers close the connection.
//!
//! A multipart upload (`POST /api/v1/files`) may declare `MAX_UPLOAD_BYTES` plus room for
//! the multipart framing and its text parts, and may pause for `UPLOAD_IDLE_TIMEOUT_SECONDS`;
//! every other body `JSON_BODY_LIMIT_BYTES` and `REQUEST_BODY_IDLE_TIMEOUT_SECONDS`. Bodies
//! sent in chunks, without a length, are still held to their limits while they stream (by
//! the JSON extractor and the upload's own count).
//!
//! The handler reading the body sees the deadline as a payload error and answers what it
//! answers (an upload removes its partial bytes); the answer sent is the 408 problem.

use std::{
    cell::{Cell, RefCell},
    future::Future,
    pin::Pin,
    rc::Rc,
    task::{Context, Poll},
    time::Duration,
};

use actix_web::{
    body::{BodySize, BoxBody, MessageBody},
    dev::{Payload, ServiceRequest, ServiceResponse},
    error::PayloadError,
    http::{header, ConnectionType, Method},
    middleware::Next,
    web::Bytes,
    Error, HttpMessage, HttpResponse,
};
use futures_util::{Stream, StreamExt};
use tokio::time::{Instant, Sleep};

use crate::error::ApiError;

/// The one route that takes multipart uploads.
const UPLOAD_PATH: &str = "/api/v1/files";

/// Room beside the file for multipart boundaries, part headers and the text parts
/// (`thread_id`, `metadata`: at most 64 KiB each).
const MULTIPART_ALLOWANCE: u64 = 256 * 1024;

/// The limits of a request body, by kind of route.
#[derive(Clone, Copy, Debug)]
pub struct BodyPolicy {
    pub json_limit: u64,
    pub json_idle: Duration,
    pub upload_limit: u64,
    pub upload_idle: Duration,
}

impl BodyPolicy {
    /// The most bytes the request may declare, and how long its body may send nothing.
    fn for_request(&self, req: &ServiceRequest) -> (u64, Duration) {
        let multipart = req
            .mime_type()
            .ok()
            .flatten()
            .is_some_and(|m| m.type_() == "multipart");
        if req.method() == Method::POST && req.path() == UPLOAD_PATH && multipart {
            (
                self.upload_limit.saturating_add(MULTIPART_ALLOWANCE),
                self.upload_idle,
            )
        } else {
            (self.json_limit, self.json_idle)
        }
    }
}

/// Middleware (`from_fn`): refuses an oversized declared body and puts the idle deadline
/// on the body of every request that has one.
pub async fn guard_request_body(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
    policy: BodyPolicy,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let declared = declared_length(&req);
    let chunked = req.headers().contains_key(header::TRANSFER_ENCODING);
    if declared.unwrap_or(0) == 0 && !chunked {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let (limit, idle) = policy.for_request(&req);
    if let Some(declared) = declared.filter(|&declared| declared > limit) {
        let refused = req.error_response(ApiError::DeclaredTooLarge { declared, limit });
        return Ok(closing(refused));
    }
    let body = Rc::new(RefCell::new(req.take_payload()));
    let stalled = Rc::new(Cell::new(false));
    let deadline = IdleDeadline {
        body: body.clone(),
        idle,
        timer: Box::pin(tokio::time::sleep(idle)),
        stalled: stalled.clone(),
        ended: false,
    };
    req.set_payload(Payload::from(
        Box::pin(deadline) as Pin<Box<dyn Stream<Item = _>>>
    ));
    let response = next.call(req).await;
    if stalled.get() {
        let stalled = ApiError::BodyStalled(idle.as_secs());
        return match response {
            Ok(response) => {
                let (request, _) = response.into_parts();
                Ok(closing(ServiceResponse::new(request, stalled.to_problem())))
            }
            // Only a middleware returns an `Err`; actix renders ours as the same problem.
            Err(_) => Err(stalled.into()),
        };
    }
    // A body the handler left unread (a 401, say) must not be drained on a kept-alive
    // connection, where it could stall unwatched: while actix sees its reader alive when
    // the answer has gone out, it closes the connection instead.
    let response = response?
        .map_into_boxed_body()
        .map_body(|_, answer| HoldingReader {
            answer,
            _reader: body,
        });
    Ok(response.map_into_boxed_body())
}

/// The `Content-Length` the client declared, if any (actix has checked it is a number).
fn declared_length(req: &ServiceRequest) -> Option<u64> {
    req.headers()
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// The response, sent with `Connection: close`.
pub(crate) fn closing(mut response: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
    close_after(response.response_mut());
    response
}

/// Closes the connection once `response` is sent.
pub(crate) fn close_after(response: &mut HttpResponse) {
    response
        .head_mut()
        .set_connection_type(ConnectionType::Close);
}

/// A response body that keeps the request's body reader alive until it is sent.
struct HoldingReader<B> {
    answer: B,
    _reader: Rc<RefCell<Payload>>,
}

impl<B: MessageBody + Unpin> MessageBody for HoldingReader<B> {
    type Error = B::Error;

    fn size(&self) -> BodySize {
        self.answer.size()
    }

    fn poll_next(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Pin::new(&mut self.answer).poll_next(cx)
    }
}

/// The request body, ending with an error when nothing arrives for `idle`.
struct IdleDeadline {
    body: Rc<RefCell<Payload>>,
    idle: Duration,
    timer: Pin<Box<Sleep>>,
    stalled: Rc<Cell<bool>>,
    ended: bool,
}

impl Stream for IdleDeadline {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.ended {
            return Poll::Ready(None);
        }
        let polled = this.body.borrow_mut().poll_next_unpin(cx);
        match polled {
            Poll::Ready(Some(Ok(chunk))) => {
                this.timer.as_mut().reset(Instant::now() + this.idle);
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(None) => {
                this.ended = true;
                Poll::Ready(None)
            }
            Poll::Ready(Some(Err(err))) => Poll::Ready(Some(Err(err))),
            Poll::Pending => match this.timer.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    this.ended = true;
                    this.stalled.set(true);
                    let seconds = this.idle.as_secs();
                    let err = std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        format!("no bytes arrived for {seconds} s"),
                    );
                    Poll::Ready(Some(Err(PayloadError::Io(err))))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn policy() -> BodyPolicy {
        BodyPolicy {
            json_limit: 100,
            json_idle: Duration::from_secs(30),
            upload_limit: 1_000,
            upload_idle: Duration::from_secs(60),
        }
    }

    #[test]
    fn multipart_posts_to_files_get_the_upload_limits_and_everything_else_the_json_ones() {
        let upload = TestRequest::post()
            .uri(UPLOAD_PATH)
            .insert_header((header::CONTENT_TYPE, "multipart/form-data; boundary=x"))
            .to_srv_request();
        assert_eq!(
            policy().for_request(&upload),
            (1_000 + MULTIPART_ALLOWANCE, Duration::from_secs(60))
        );
        let external = TestRequest::post()
            .uri(UPLOAD_PATH)
            .insert_header((header::CONTENT_TYPE, "application/json"))
            .to_srv_request();
        let login = TestRequest::post()
            .uri("/api/v1/auth/login")
            .insert_header((header::CONTENT_TYPE, "multipart/form-data; boundary=x"))
            .to_srv_request();
        for req in [external, login] {
            assert_eq!(policy().for_request(&req), (100, Duration::from_secs(30)));
        }
    }

    #[test]
    fn the_declared_length_is_read_from_the_header() {
        let req = TestRequest::post()
            .insert_header((header::CONTENT_LENGTH, "524288000"))
            .to_srv_request();
        assert_eq!(declared_length(&req), Some(524_288_000));
        assert_eq!(declared_length(&TestRequest::get().to_srv_request()), None);
    }
}
