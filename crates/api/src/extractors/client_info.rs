//! Where a request comes from: the one place that decides a client's address, for
//! sessions and rate limits alike.
//!
//! The address is the TCP peer's, unless the peer is one of the configured
//! `TRUSTED_PROXIES`: then `X-Forwarded-For` is read from its right end (the entry the
//! trusted proxy appended), skipping further trusted proxies, and the first address that
//! is not one is the client. Anything left of it was written by the client itself and
//! proves nothing. From any other peer the header is ignored, so it cannot be used to
//! dodge a limit.

use std::{
    future::{ready, Ready},
    net::IpAddr,
};

use actix_web::{dev::Payload, http::header, web, FromRequest, HttpRequest};
use domain::auth::ClientInfo;

use crate::{error::ApiError, settings::TrustedProxies, state::AppState};

/// The user agent and the client's address.
pub struct Client(pub ClientInfo);

impl FromRequest for Client {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Self(client_info(req))))
    }
}

/// The user agent and the client's address of `req` (the address by [`client_ip`]).
pub fn client_info(req: &HttpRequest) -> ClientInfo {
    ClientInfo {
        user_agent: req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        ip: client_ip(req).map(|ip| ip.to_string()),
    }
}

/// The client's address, by the rule above and the server's `TRUSTED_PROXIES`.
pub fn client_ip(req: &HttpRequest) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip().to_canonical();
    let Some(state) = req.app_data::<web::Data<AppState>>() else {
        return Some(peer);
    };
    let forwarded = req
        .headers()
        .get_all(header::X_FORWARDED_FOR)
        .filter_map(|value| value.to_str().ok());
    Some(resolve(
        peer,
        forwarded,
        &state.settings.rate_limits.trusted_proxies,
    ))
}

/// The client behind `peer`, given the `X-Forwarded-For` header lines in order.
fn resolve<'a>(
    peer: IpAddr,
    forwarded: impl Iterator<Item = &'a str>,
    trusted: &TrustedProxies,
) -> IpAddr {
    if !trusted.contains(peer) {
        return peer;
    }
    let hops: Vec<&str> = forwarded.flat_map(|line| line.split(',')).collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        // A hop that is not an address (`unknown`, garbage) ends the trusted chain: the
        // last address we could believe stands.
        let Ok(ip) = hop.trim().parse::<IpAddr>() else {
            break;
        };
        client = ip.to_canonical();
        if !trusted.contains(client) {
            break;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap_or(IpAddr::from([0; 4]))
    }

    fn proxies(blocks: &[&str]) -> TrustedProxies {
        TrustedProxies::new(blocks.iter().filter_map(|b| b.parse().ok()).collect())
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let trusted = proxies(&["10.0.0.0/8"]);
        let client = resolve(ip("192.0.2.9"), ["203.0.113.5"].into_iter(), &trusted);
        assert_eq!(client, ip("192.0.2.9"));
        let nobody_trusted = resolve(ip("10.0.0.1"), ["203.0.113.5"].into_iter(), &proxies(&[]));
        assert_eq!(nobody_trusted, ip("10.0.0.1"));
    }

    #[test]
    fn behind_trusted_proxies_the_rightmost_untrusted_hop_is_the_client() {
        let trusted = proxies(&["10.0.0.0/8"]);
        let lines = ["198.51.100.1, 203.0.113.5", "10.0.0.7"];
        let client = resolve(ip("10.0.0.1"), lines.into_iter(), &trusted);
        // 198.51.100.1 was written by the client and is not believed.
        assert_eq!(client, ip("203.0.113.5"));
    }

    #[test]
    fn a_trusted_peer_without_the_header_or_with_garbage_is_itself_the_client() {
        let trusted = proxies(&["127.0.0.1/32"]);
        assert_eq!(
            resolve(ip("127.0.0.1"), std::iter::empty(), &trusted),
            ip("127.0.0.1")
        );
        assert_eq!(
            resolve(ip("127.0.0.1"), ["unknown"].into_iter(), &trusted),
            ip("127.0.0.1")
        );
    }
}
