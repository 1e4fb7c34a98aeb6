//! Open connections per client address, so that one address cannot hold the connections
//! every other client needs.
//!
//! A connection is counted when actix accepts it (`HttpServer::on_connect`) and released
//! when actix drops it. One over `MAX_CONNECTIONS_PER_IP` has its first request answered
//! at once with a 429 problem, and is closed. IPv6 clients are counted by their /64, the
//! block one subscriber usually holds. Behind a reverse proxy every connection comes from
//! the proxy: turn the limit off there (`0`) and limit per client in the proxy.

use std::{
    any::Any,
    collections::HashMap,
    net::{IpAddr, Ipv6Addr},
    sync::{Arc, Mutex, PoisonError},
};

use actix_web::{
    body::{BoxBody, MessageBody},
    dev::{Extensions, ServiceRequest, ServiceResponse},
    http::header::{self, HeaderValue},
    middleware::Next,
    rt::net::TcpStream,
    Error,
};

use super::request_body::closing;
use crate::error::ApiError;

/// The count of open connections per address, shared by every worker.
#[derive(Clone, Debug)]
pub struct PerIpConnections {
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
    limit: usize,
}

/// In a connection's data while it lives: its place in the count.
struct ConnectionSlot {
    address: IpAddr,
    over_limit: bool,
    limit: usize,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl PerIpConnections {
    /// `limit` connections per address; zero counts nothing.
    pub fn new(limit: usize) -> Self {
        Self {
            open: Arc::default(),
            limit,
        }
    }

    /// For `HttpServer::on_connect`: counts the new connection.
    pub fn on_connect(&self, connection: &dyn Any, data: &mut Extensions) {
        if self.limit == 0 {
            return;
        }
        let Some(peer) = connection
            .downcast_ref::<TcpStream>()
            .and_then(|stream| stream.peer_addr().ok())
        else {
            return;
        };
        let address = counted_address(peer.ip());
        let open = {
            let mut counts = self.open.lock().unwrap_or_else(PoisonError::into_inner);
            let open = counts.entry(address).or_default();
            *open += 1;
            *open
        };
        if open == self.limit + 1 {
            tracing::warn!(%address, limit = self.limit, "a client reached the connection limit");
        }
        data.insert(ConnectionSlot {
            address,
            over_limit: open > self.limit,
            limit: self.limit,
            open: self.open.clone(),
        });
    }

    /// Connections now open from `address` (for tests and diagnostics).
    pub fn open_from(&self, address: IpAddr) -> usize {
        let counts = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        counts.get(&counted_address(address)).copied().unwrap_or(0)
    }
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        let mut counts = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(open) = counts.get_mut(&self.address) {
            *open = open.saturating_sub(1);
            if *open == 0 {
                counts.remove(&self.address);
            }
        }
    }
}

/// The key an address is counted under: IPv4 (also when mapped into IPv6) as it is,
/// IPv6 by its /64.
fn counted_address(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & !((1_u128 << 64) - 1);
            IpAddr::V6(Ipv6Addr::from(prefix))
        }
        v4 => v4,
    }
}

/// Raises this process's soft limit of open files to its hard limit (every connection is
/// a file) and returns the limit now in force; `None` where it cannot be read.
pub fn raise_open_file_limit() -> Option<u64> {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => Some(limit),
        Err(err) => {
            tracing::warn!(error = %err, "cannot raise the limit of open files");
            None
        }
    }
}

/// Middleware (`from_fn`): answers a request on a connection over the limit with 429 and
/// closes the connection.
pub async fn refuse_over_limit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let over = req
        .conn_data::<ConnectionSlot>()
        .filter(|slot| slot.over_limit)
        .map(|slot| slot.limit);
    let Some(limit) = over else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let mut refused = closing(req.error_response(ApiError::TooManyConnections(limit)));
    refused
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    Ok(refused)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_are_counted_by_their_64_and_mapped_ipv4_as_ipv4() {
        let a = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 1, 2, 0xaaaa, 0, 0, 1));
        let b = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 1, 2, 0xbbbb, 0, 0, 9));
        assert_eq!(counted_address(a), counted_address(b));
        assert_eq!(counted_address(a).to_string(), "2001:db8:1:2::");
        let mapped = IpAddr::V6(std::net::Ipv4Addr::new(192, 0, 2, 7).to_ipv6_mapped());
        assert_eq!(counted_address(mapped).to_string(), "192.0.2.7");
    }

    #[test]
    fn a_slot_gives_its_place_back_when_the_connection_goes() {
        let limits = PerIpConnections::new(2);
        let address: IpAddr = [192, 0, 2, 1].into();
        limits
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(address, 1);
        let slot = ConnectionSlot {
            address,
            over_limit: false,
            limit: 2,
            open: limits.open.clone(),
        };
        assert_eq!(limits.open_from(address), 1);
        drop(slot);
        assert_eq!(limits.open_from(address), 0);
    }
}
