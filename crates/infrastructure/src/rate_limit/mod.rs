//! Adapters of the domain's `RateLimiter`: in this process's memory (`governor`), or in
//! Redis, shared by every instance (the GCRA Lua script of `redis-gcra`, run atomically
//! with `EVALSHA`).

mod memory;
mod redis;

pub use self::{memory::InMemoryRateLimiter, redis::RedisRateLimiter};

#[cfg(all(test, feature = "testing"))]
mod tests;
