//! Zoom's pagination for every list the simulator serves: `page_size` (clamped to the
//! operation's maximum, as Zoom does), the deprecated `page_number` with `page_count`, and
//! `next_page_token`s that stay valid for the configured lifetime (Zoom: 15 minutes) and
//! can be used again: a retried page returns the same page.
//!
//! The first page of a listing takes a snapshot of the keys it lists (users by email, groups
//! by id), in the account's stable order; every token of that listing walks the same
//! snapshot. So a client paging while another one creates or removes objects never sees an
//! object twice or misses one that existed when it started; objects removed meanwhile are
//! left out of later pages. A token carries the query it was issued for, so a client that
//! sends only `next_page_token` (as several do) still pages the same listing.

use super::ApiError;
use super::extract::Params;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The paging rules of one list operation.
pub struct Listing {
    /// What is listed, for whom (`users:acme`, `group-members:acme:g000002`): a token
    /// only pages the listing it was issued for.
    pub name: String,
    /// `page_size` when none is given.
    pub default_size: usize,
    /// The spec's maximum `page_size`; larger requests are served this many.
    pub max_size: usize,
}

struct Cursor {
    listing: String,
    params: HashMap<String, String>,
    keys: Arc<Vec<String>>,
    offset: usize,
    page_number: usize,
    size: usize,
    issued: Instant,
}

/// Where a request starts: its effective query and, when it continues a listing, the
/// snapshot and position its token points at.
pub struct Start {
    /// The query that shapes the list (the token's own, when one is given).
    pub params: HashMap<String, String>,
    size: usize,
    resume: Option<(Arc<Vec<String>>, usize, usize)>,
    page_number: usize,
}

/// One page: the keys to render and the paging fields of the answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Slice {
    /// Keys of this page, in order.
    pub keys: Vec<String>,
    /// Token of the next page; empty on the last one.
    pub next_page_token: String,
    /// 1-based number of this page.
    pub page_number: u32,
    /// Pages in the listing.
    pub page_count: u32,
    /// Page size used.
    pub page_size: u32,
    /// Objects in the listing.
    pub total_records: u32,
}

/// Issued tokens, by value.
pub struct Pager {
    ttl: Duration,
    tokens: Mutex<HashMap<String, Cursor>>,
}

fn invalid_token() -> ApiError {
    ApiError(
        400,
        300,
        "The next page token is invalid or expired.".into(),
    )
}

impl Pager {
    /// Tokens live `ttl`.
    pub fn new(ttl: Duration) -> Pager {
        Pager {
            ttl,
            tokens: Mutex::new(HashMap::new()),
        }
    }

    /// Reads the paging parameters of a request to `listing`.
    pub fn open(&self, listing: &Listing, q: &Params) -> Result<Start, ApiError> {
        if let Some(t) = q.get("next_page_token").filter(|t| !t.is_empty()) {
            let tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
            let c = tokens
                .get(t)
                .filter(|c| c.listing == listing.name && c.issued.elapsed() < self.ttl)
                .ok_or_else(invalid_token)?;
            return Ok(Start {
                params: c.params.clone(),
                size: c.size,
                resume: Some((c.keys.clone(), c.offset, c.page_number)),
                page_number: c.page_number,
            });
        }
        let size = match q.int("page_size", i64::MIN, i64::MAX)? {
            Some(n) if n >= 1 => (n as usize).min(listing.max_size),
            _ => listing.default_size,
        };
        let page_number = q.int("page_number", 1, i64::from(u32::MAX))?.unwrap_or(1) as usize;
        Ok(Start {
            params: q.0.clone(),
            size,
            resume: None,
            page_number,
        })
    }

    /// The page `start` asks for; `live` lists the keys now (called for first pages only).
    pub fn page(
        &self,
        listing: &Listing,
        start: Start,
        live: impl FnOnce() -> Vec<String>,
    ) -> Slice {
        let (keys, offset) = match start.resume {
            Some((keys, offset, _)) => (keys, offset),
            None => (Arc::new(live()), (start.page_number - 1) * start.size),
        };
        let end = offset.saturating_add(start.size).min(keys.len());
        let page: Vec<String> = keys.get(offset..end).unwrap_or_default().to_vec();
        let next_page_token = if end < keys.len() {
            self.issue(Cursor {
                listing: listing.name.clone(),
                params: start.params,
                keys: keys.clone(),
                offset: end,
                page_number: start.page_number + 1,
                size: start.size,
                issued: Instant::now(),
            })
        } else {
            String::new()
        };
        Slice {
            keys: page,
            next_page_token,
            page_number: start.page_number as u32,
            page_count: keys.len().div_ceil(start.size) as u32,
            page_size: start.size as u32,
            total_records: keys.len() as u32,
        }
    }

    fn issue(&self, c: Cursor) -> String {
        let mut tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        let ttl = self.ttl;
        tokens.retain(|_, c| c.issued.elapsed() < ttl);
        let t = format!("{:032x}", fastrand::u128(..));
        tokens.insert(t.clone(), c);
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing() -> Listing {
        Listing {
            name: "users:acme".into(),
            default_size: 2,
            max_size: 3,
        }
    }

    fn q(pairs: &[(&str, &str)]) -> Params {
        Params(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    fn keys(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("k{i}")).collect()
    }

    #[test]
    fn a_token_can_be_used_again_and_gives_the_same_page() {
        let p = Pager::new(Duration::from_secs(900));
        let first = p.page(
            &listing(),
            p.open(&listing(), &q(&[])).expect("open"),
            || keys(5),
        );
        let t = first.next_page_token.clone();
        let again = |t: &str| {
            let s = p
                .open(&listing(), &q(&[("next_page_token", t)]))
                .expect("token valid");
            p.page(&listing(), s, || unreachable!("continues the snapshot"))
        };
        let a = again(&t);
        let b = again(&t);
        assert_eq!(
            a,
            Slice {
                next_page_token: a.next_page_token.clone(),
                ..b.clone()
            }
        );
        assert_eq!(a.keys, vec!["k2", "k3"]);
        assert_eq!((a.page_number, a.page_count, a.total_records), (2, 3, 5));
    }

    #[test]
    fn page_numbers_and_sizes_follow_zoom() {
        let p = Pager::new(Duration::from_secs(900));
        let s = p
            .open(&listing(), &q(&[("page_number", "2"), ("page_size", "50")]))
            .expect("open");
        let page = p.page(&listing(), s, || keys(7));
        assert_eq!(page.page_size, 3, "clamped to the maximum");
        assert_eq!(page.keys, vec!["k3", "k4", "k5"]);
        assert_eq!((page.page_number, page.page_count), (2, 3));
        assert!(p.open(&listing(), &q(&[("page_number", "x")])).is_err());
    }

    #[test]
    fn tokens_expire_and_belong_to_one_listing() {
        let p = Pager::new(Duration::from_millis(0));
        let first = p.page(
            &listing(),
            p.open(&listing(), &q(&[])).expect("open"),
            || keys(5),
        );
        assert!(
            p.open(
                &listing(),
                &q(&[("next_page_token", &first.next_page_token)])
            )
            .is_err()
        );
        let p = Pager::new(Duration::from_secs(900));
        let first = p.page(
            &listing(),
            p.open(&listing(), &q(&[])).expect("open"),
            || keys(5),
        );
        let other = Listing {
            name: "groups:acme".into(),
            ..listing()
        };
        assert!(
            p.open(&other, &q(&[("next_page_token", &first.next_page_token)]))
                .is_err()
        );
        assert!(
            p.open(&listing(), &q(&[("next_page_token", "nope")]))
                .is_err()
        );
    }
}
