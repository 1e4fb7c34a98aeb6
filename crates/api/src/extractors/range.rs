//! `Range` and `If-Range` on downloads: the one byte range to send, if any.

use actix_web::{
    http::header::{self, Header as _, Range},
    HttpRequest,
};
use domain::file::ByteRange;

/// The one range to send: `Ok(None)` for the whole file (no `Range`, several ranges, a
/// stale `If-Range`, or a header we cannot read, all of which RFC 9110 lets us ignore),
/// `Err(())` when the range lies outside the file.
pub(crate) fn requested_range(
    req: &HttpRequest,
    etag: &str,
    size: u64,
) -> Result<Option<ByteRange>, ()> {
    if req.headers().get(header::RANGE).is_none() {
        return Ok(None);
    }
    if let Some(if_range) = req.headers().get(header::IF_RANGE) {
        if if_range.to_str().map(str::trim).ok() != Some(etag) {
            return Ok(None);
        }
    }
    let Ok(Range::Bytes(specs)) = Range::parse(req) else {
        return Ok(None);
    };
    let [spec] = specs.as_slice() else {
        return Ok(None);
    };
    match spec.to_satisfiable_range(size) {
        Some((start, end)) => Ok(Some(ByteRange { start, end })),
        None => Err(()),
    }
}
