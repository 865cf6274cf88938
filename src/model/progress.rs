//! Progress of the steps that can take long (the refresh's pages, the look-ups, the
//! apply), reported as they go to whoever watches: a bar on a terminal (the CLI), nobody
//! (the daemon, tests). The core only calls [`Progress`]; how it is shown lives at the
//! edge, so the core stays free of terminals and clocks (issue 16, part 4).

use std::sync::Arc;

/// A step of a run that reports its progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    /// Reading the account, one list page at a time (total unknown).
    Refresh,
    /// Looking up the emails the plan may add (U5, U8), one per email.
    Lookups,
    /// Applying the plan, one per change.
    Apply,
    /// Reading, once per user, the fields the provider's list omits (`roster import` on
    /// Zoom: job title, location, manager, add-ons).
    Details,
}

impl Step {
    /// What a person reads beside the bar.
    pub const fn label(self) -> &'static str {
        match self {
            Step::Refresh => "reading the account",
            Step::Lookups => "looking up new users",
            Step::Apply => "applying",
            Step::Details => "reading each user's unlisted fields",
        }
    }
}

/// Told how a step advances; every method does nothing unless overridden.
pub trait Progress: Send + Sync {
    /// `step` begins; `total` units when known (pages are not known in advance).
    fn start(&self, _step: Step, _total: Option<u64>) {}
    /// `n` more units of `step` are done.
    fn advance(&self, _step: Step, _n: u64) {}
    /// `step` ended (done or failed).
    fn finish(&self, _step: Step) {}
}

/// Tells `.0` that step `.1` ended when dropped, however the step ends (`?` included).
pub struct Finish<'a>(pub &'a dyn Progress, pub Step);

impl Drop for Finish<'_> {
    fn drop(&mut self) {
        self.0.finish(self.1);
    }
}

/// Reports to nobody: the default.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {}

/// A shared [`Progress`] that configurations can carry (`Clone`, `Debug`, silent by
/// default).
#[derive(Clone)]
pub struct Reporter(Arc<dyn Progress>);

impl Reporter {
    /// Reports to `to`.
    pub fn new(to: Arc<dyn Progress>) -> Reporter {
        Reporter(to)
    }

    /// The observer.
    pub fn get(&self) -> &dyn Progress {
        self.0.as_ref()
    }
}

impl Default for Reporter {
    fn default() -> Reporter {
        Reporter(Arc::new(Silent))
    }
}

impl std::fmt::Debug for Reporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Reporter")
    }
}
