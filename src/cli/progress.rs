//! Progress bars (`indicatif`) for the steps that take long: the refresh's pages, the
//! look-ups, the apply (issue 16, part 4). A bar shows only on a terminal, and only once a
//! step has run for [`SHOW_AFTER`]: never in logs (stderr redirected), CI, `--format json`
//! or `--log-format json`. The core reports through [`Progress`]; this is its one
//! terminal implementation.

use crate::model::progress::{Progress, Reporter, Step};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A step that ends sooner shows no bar.
pub const SHOW_AFTER: Duration = Duration::from_secs(1);

/// What decides whether bars may show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Surroundings {
    /// stderr (where bars draw) is a terminal.
    pub stderr_terminal: bool,
    /// Running in CI (`CI` set, and not `false` or `0`).
    pub ci: bool,
    /// `TERM=dumb`: no cursor movement.
    pub dumb_terminal: bool,
    /// The output or the logs are JSON (`--format json`, `--log-format json`).
    pub json: bool,
}

impl Surroundings {
    /// This process's surroundings; `json` as the command line says.
    pub fn detect(json: bool) -> Surroundings {
        Surroundings {
            stderr_terminal: std::io::stderr().is_terminal(),
            ci: is_ci(std::env::var("CI").ok().as_deref()),
            dumb_terminal: std::env::var("TERM").is_ok_and(|t| t == "dumb"),
            json,
        }
    }

    /// Bars may show.
    pub fn bars(self) -> bool {
        self.stderr_terminal && !self.ci && !self.dumb_terminal && !self.json
    }
}

/// `CI` as CI services set it (`true`, `1`, a name); `false`, `0` or empty is no CI.
fn is_ci(value: Option<&str>) -> bool {
    value.is_some_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Bars where [`Surroundings::bars`] allows them, else silence.
pub fn reporter(s: Surroundings) -> Reporter {
    if s.bars() {
        Reporter::new(Arc::new(Bars::default()))
    } else {
        Reporter::default()
    }
}

/// One bar per step under way, drawn on stderr once the step has run for [`SHOW_AFTER`].
#[derive(Default)]
struct Bars {
    /// Bars by step, each with the number of its start (a step started again gets a new
    /// bar, which the old one's reveal must not draw).
    live: Arc<Mutex<BTreeMap<Step, (u64, ProgressBar)>>>,
    started: std::sync::atomic::AtomicU64,
}

impl Bars {
    fn with_bar(&self, step: Step, f: impl FnOnce(&ProgressBar)) {
        if let Ok(live) = self.live.lock()
            && let Some((_, bar)) = live.get(&step)
        {
            f(bar);
        }
    }
}

fn style(total: Option<u64>) -> ProgressStyle {
    let template = match total {
        Some(_) => "{spinner} {msg} [{bar:30}] {pos}/{len} ({elapsed})",
        None => "{spinner} {msg}: {pos} page(s) ({elapsed})",
    };
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
        .progress_chars("=> ")
}

impl Progress for Bars {
    fn start(&self, step: Step, total: Option<u64>) {
        let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::hidden())
            .with_style(style(total))
            .with_message(step.label());
        let n = self
            .started
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if let Ok(mut live) = self.live.lock() {
            live.insert(step, (n, bar));
        }
        let live = self.live.clone();
        std::thread::spawn(move || {
            std::thread::sleep(SHOW_AFTER);
            if let Ok(live) = live.lock()
                && let Some((m, bar)) = live.get(&step)
                && *m == n
            {
                bar.set_draw_target(ProgressDrawTarget::stderr());
                bar.enable_steady_tick(Duration::from_millis(120));
            }
        });
    }

    fn advance(&self, step: Step, n: u64) {
        self.with_bar(step, |bar| bar.inc(n));
    }

    fn finish(&self, step: Step) {
        let bar = self.live.lock().ok().and_then(|mut l| l.remove(&step));
        if let Some((_, bar)) = bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TERMINAL: Surroundings = Surroundings {
        stderr_terminal: true,
        ci: false,
        dumb_terminal: false,
        json: false,
    };

    #[test]
    fn bars_only_on_a_terminal_outside_ci_and_never_with_json() {
        assert!(TERMINAL.bars());
        let not = [
            Surroundings {
                stderr_terminal: false,
                ..TERMINAL
            },
            Surroundings {
                ci: true,
                ..TERMINAL
            },
            Surroundings {
                dumb_terminal: true,
                ..TERMINAL
            },
            Surroundings {
                json: true,
                ..TERMINAL
            },
        ];
        for s in not {
            assert!(!s.bars(), "{s:?}");
        }
    }

    #[test]
    fn ci_is_any_value_but_false_zero_or_empty() {
        for v in ["true", "1", "github"] {
            assert!(is_ci(Some(v)), "{v}");
        }
        for v in [None, Some(""), Some("false"), Some("0")] {
            assert!(!is_ci(v), "{v:?}");
        }
    }

    #[test]
    fn a_step_restarted_gets_a_new_bar_and_finish_forgets_it() {
        let bars = Bars::default();
        bars.start(Step::Lookups, Some(3));
        bars.advance(Step::Lookups, 2);
        bars.with_bar(Step::Lookups, |b| assert_eq!(b.position(), 2));
        bars.start(Step::Lookups, Some(5));
        bars.with_bar(Step::Lookups, |b| {
            assert_eq!((b.position(), b.length()), (0, Some(5)))
        });
        bars.finish(Step::Lookups);
        assert!(bars.live.lock().expect("lock").is_empty());
        // Nothing to advance or finish: no panic, nothing drawn.
        bars.advance(Step::Apply, 1);
        bars.finish(Step::Apply);
    }
}
