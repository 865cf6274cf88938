//! The system under test: a folder of manifests, a state folder (SQLite store and the
//! simulator's `sim.json`), and the network's lost answers. A "process" is opened per
//! reconcile (store and provider handles) and dropped at its end or at its crash.

use crate::chaos::{Chaos, Crash, LostAnswers};
use crate::{Manifest, POOL};
use roster::apply::{ApplyConfig, ApplyError};
use roster::model::{Action, Addon, Email, RoleName, UserType};
use roster::plan::PlanOptions;
use roster::provider::sim::cloud::{Cloud, SimFault, SimStatus};
use roster::provider::sim::{CloudFile, SimProvider, oob};
use roster::reconcile::{self, ReconcileError};
use roster::store::sqlite::SqliteStore;
use roster::store::{Store, StoreError};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Counters over all cases, printed at the end: what the run exercised.
pub static STATS: Stats = Stats::new();

/// What the simulation exercised.
pub struct Stats {
    /// Steps run.
    pub steps: AtomicU64,
    /// Applies dropped mid-flight.
    pub crashes: AtomicU64,
    /// Reconciles that finished (done or failed changes).
    pub finished: AtomicU64,
    /// Operations sent to the simulator.
    pub sent: AtomicU64,
    /// Plans with errors (nothing applied).
    pub refused_plans: AtomicU64,
    /// Runs that found the account locked by a concurrent one.
    pub locked: AtomicU64,
    /// Quiet periods that converged to an empty plan.
    pub converged: AtomicU64,
}

impl Stats {
    const fn new() -> Stats {
        Stats {
            steps: AtomicU64::new(0),
            crashes: AtomicU64::new(0),
            finished: AtomicU64::new(0),
            sent: AtomicU64::new(0),
            refused_plans: AtomicU64::new(0),
            locked: AtomicU64::new(0),
            converged: AtomicU64::new(0),
        }
    }

    /// One line of figures.
    pub fn line(&self) -> String {
        format!(
            "steps {} · crashes {} · reconciles finished {} · operations sent {} · plans with errors refused {} · locked by a concurrent run {} · quiet periods converged {}",
            self.steps.load(Relaxed),
            self.crashes.load(Relaxed),
            self.finished.load(Relaxed),
            self.sent.load(Relaxed),
            self.refused_plans.load(Relaxed),
            self.locked.load(Relaxed),
            self.converged.load(Relaxed),
        )
    }
}

/// What the manifest says of one pool user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    /// Not in the manifests (unmanaged).
    NotListed,
    /// `status: absent`.
    Absent,
    /// `type: basic`.
    Basic,
    /// `type: licensed`.
    Licensed,
    /// Licensed with the large-meeting add-on.
    LargeMeeting,
    /// Licensed with the webinar add-on.
    Webinar,
}

/// One step of a sequence.
#[derive(Debug, Clone)]
pub enum Step {
    /// A person edits the manifests.
    Edit {
        /// Pool user.
        user: usize,
        /// Their new wish.
        want: Want,
        /// Their department (0: not named).
        dept: u8,
    },
    /// Someone edits the user in the portal: 0 department, 1 deactivate, 2 activate, 3 basic.
    OutOfBand {
        /// Pool user.
        user: usize,
        /// Which edit.
        edit: u8,
    },
    /// The invited person accepts.
    Accept {
        /// Pool user.
        user: usize,
    },
    /// The simulator's clock moves on.
    Clock {
        /// Days.
        days: u16,
    },
    /// The next `times` operations of `action` are refused (before) or lose their answer
    /// (after the change was made).
    Fault {
        /// Operation.
        action: Action,
        /// How many.
        times: u8,
        /// After the change is made.
        after: bool,
    },
    /// The next operations of every kind are refused with 429.
    Burst429 {
        /// How many.
        times: u8,
    },
    /// One reconcile; `crash` kills it at the n-th send (before or after it reaches Zoom).
    Apply {
        /// Crash point.
        crash: Option<(u8, bool)>,
    },
    /// Two reconciles at once.
    Concurrent,
    /// Faults cleared, reconciles until nothing is left; the next plan is empty.
    Quiet,
}

const SEED: &str = r#"kind: SimulatorSeed
clock: 2026-11-01T09:00:00Z
accounts:
  - id: acme
    owner: owner@acme.com
    plan: business
    seats: { licensed: 5, largeMeeting: 2, webinar: 1 }
    users:
      - { email: owner@acme.com, role: owner, type: licensed, firstName: Olivia, lastName: Owner }
      - { email: u0@acme.com, type: basic, firstName: U, lastName: Zero }
      - { email: u1@acme.com, type: licensed, firstName: U, lastName: One }
individuals:
  - { email: u6@acme.com, type: basic }
  - { email: u7@acme.com, type: licensed }
"#;

const ACCOUNT: &str = r#"kind: Account
name: acme
owner: owner@acme.com
provider: { sim: { seed: ../seed.yaml } }
policy:
  maxRemovals: 3
"#;

/// The folders and the network.
pub struct World {
    _dir: tempfile::TempDir,
    manifests: PathBuf,
    state: PathBuf,
    seed: PathBuf,
    lost: LostAnswers,
    rt: tokio::runtime::Runtime,
}

/// How one reconcile ended.
#[derive(Debug)]
enum Ran {
    Done,
    Crashed,
    Locked,
    Refused,
}

fn email(i: usize) -> Email {
    Email::parse(&format!("u{i}@acme.com")).expect("pool email")
}

fn owner() -> Email {
    Email::parse("owner@acme.com").expect("owner email")
}

impl World {
    /// Fresh folders with the manifest written.
    pub fn new(manifest: &Manifest) -> World {
        let dir = tempfile::tempdir().expect("temp dir");
        let manifests = dir.path().join("manifests");
        let state = dir.path().join("state");
        std::fs::create_dir_all(&manifests).expect("manifests dir");
        std::fs::create_dir_all(&state).expect("state dir");
        let seed = dir.path().join("seed.yaml");
        std::fs::write(&seed, SEED).expect("seed");
        std::fs::write(manifests.join("account.yaml"), ACCOUNT).expect("account");
        // Paused: the simulator's per-operation latency (which lets concurrent applies
        // interleave) advances tokio's clock, never the wall clock.
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .expect("runtime");
        let w = World {
            _dir: dir,
            manifests,
            state,
            seed,
            lost: Default::default(),
            rt,
        };
        w.write(manifest);
        w
    }

    fn write(&self, m: &Manifest) {
        let mut text = String::from("kind: User\nemail: owner@acme.com\ntype: licensed\n");
        for i in 0..POOL {
            let body = match m.wants[i] {
                Want::NotListed => continue,
                Want::Absent => "status: absent\n",
                Want::Basic => "type: basic\n",
                Want::Licensed => "type: licensed\n",
                Want::LargeMeeting => "type: licensed\naddons: [large-meeting]\n",
                Want::Webinar => "type: licensed\naddons: [webinar]\n",
            };
            text.push_str(&format!("---\nkind: User\nemail: u{i}@acme.com\n{body}"));
            if m.depts[i] > 0 {
                text.push_str(&format!("department: D{}\n", m.depts[i]));
            }
        }
        std::fs::write(self.manifests.join("users.yaml"), text).expect("users");
    }

    fn cloud_file(&self) -> CloudFile {
        CloudFile::new(&self.state)
    }

    /// The simulated cloud as it is on disk (created from the seed on first use).
    fn cloud(&self) -> Cloud {
        let f = self.cloud_file();
        if f.exists() {
            f.load().expect("sim.json")
        } else {
            roster::provider::sim::read_seed(&self.seed).expect("seed")
        }
    }

    /// What a person does through `roster sim`: load, change, save.
    fn edit_cloud(&self, change: impl FnOnce(&mut Cloud)) {
        let mut c = self.cloud();
        change(&mut c);
        self.cloud_file().save(&c).expect("save sim.json");
    }

    /// Runs one step.
    pub fn step(&mut self, m: &Manifest, step: Step) {
        STATS.steps.fetch_add(1, Relaxed);
        match step {
            Step::Edit { .. } => self.write(m),
            Step::OutOfBand { user, edit } => self.out_of_band(user, edit),
            Step::Accept { user } => self.edit_cloud(|c| {
                let _ = c.accept(&email(user));
            }),
            Step::Clock { days } => self.edit_cloud(|c| {
                oob::advance_clock(c, &format!("+{days}d")).expect("clock");
            }),
            Step::Fault {
                action,
                times,
                after: true,
            } => self.lost.lock().expect("lost").push((action, times.into())),
            Step::Fault {
                action,
                times,
                after: false,
            } => self.edit_cloud(|c| {
                c.faults.push(SimFault {
                    action,
                    times: times.into(),
                    status: 400,
                    code: 300,
                    after: false,
                })
            }),
            Step::Burst429 { times } => self.burst(times),
            Step::Apply { crash } => {
                let crash = crash.map(|(sends, after)| Crash {
                    sends: sends.into(),
                    after,
                });
                self.reconcile(crash);
            }
            Step::Concurrent => self.concurrent(),
            Step::Quiet => self.quiet(),
        }
    }

    fn out_of_band(&self, user: usize, edit: u8) {
        let (key, value) = match edit {
            0 => ("department", "Portal"),
            1 => ("status", "inactive"),
            2 => ("status", "active"),
            _ => ("type", "basic"),
        };
        self.edit_cloud(|c| {
            // Refusals (no such user, no seat) are what the portal would say: ignored.
            let _ = oob::edit_user(c, &email(user), &[(key.into(), value.into())]);
        });
    }

    fn burst(&self, times: u8) {
        self.edit_cloud(|c| {
            for action in [
                Action::CreateUser,
                Action::InviteUser,
                Action::UpdateUser,
                Action::ChangeUserType,
                Action::AssignAddon,
            ] {
                c.faults.push(SimFault {
                    action,
                    times: times.into(),
                    status: 429,
                    code: 429,
                    after: false,
                });
            }
        });
    }

    fn reconcile(&self, crash: Option<Crash>) -> Ran {
        self.rt.block_on(self.run(crash, "solo"))
    }

    fn concurrent(&self) {
        let (a, b) = self
            .rt
            .block_on(async { tokio::join!(self.run(None, "first"), self.run(None, "second")) });
        assert!(
            !matches!((&a, &b), (Ran::Locked, Ran::Locked)),
            "two concurrent applies both found the account locked"
        );
    }

    /// One process: open the store and the provider, take the lease, observe, plan, apply.
    async fn run(&self, crash: Option<Crash>, holder: &str) -> Ran {
        let manifests = roster::session::load(&self.manifests).expect("manifests load");
        let desired = manifests.accounts.get("acme").expect("account acme");
        let store = SqliteStore::open(&self.state).expect("store");
        let sim = SimProvider::open(
            &self.state,
            "acme",
            &owner(),
            Some(&self.seed),
            None,
            Some(std::time::Duration::from_millis(5)),
        )
        .expect("sim");
        let provider = Chaos::new(sim, self.lost.clone(), crash);
        let ttl = std::time::Duration::from_secs(600);
        let lease = match store.acquire("acme", holder, ttl).await {
            Ok(l) => l,
            Err(StoreError::Locked { .. }) => {
                STATS.locked.fetch_add(1, Relaxed);
                return Ran::Locked;
            }
            Err(e) => panic!("acquire: {e}"),
        };
        let ran = self
            .plan_and_apply(desired, &provider, &store, &lease)
            .await;
        // A dead process's lease is taken over by the next run (its pid is gone); in one
        // process that is a release.
        store.release(&lease).await.expect("release");
        ran
    }

    async fn plan_and_apply(
        &self,
        desired: &roster::model::Desired,
        provider: &Chaos,
        store: &SqliteStore,
        lease: &roster::store::Lease,
    ) -> Ran {
        let options = PlanOptions::default();
        let prepared = match reconcile::prepare(desired, provider, store, &options).await {
            Ok(p) => p,
            Err(_) => return Ran::Refused,
        };
        let before = self.cloud().log.len();
        let config = ApplyConfig::default();
        let crashed = provider.crashed.clone();
        let result = tokio::select! {
            r = reconcile::execute(&prepared, provider, store, lease, "sim-run", &config) => r,
            _ = crashed.notified() => {
                STATS.crashes.fetch_add(1, Relaxed);
                return Ran::Crashed;
            }
        };
        let sent = provider.sent.lock().expect("sent").len() as u64;
        STATS.sent.fetch_add(sent, Relaxed);
        if !prepared.plan.errors.is_empty() {
            assert!(
                matches!(
                    result,
                    Err(ReconcileError::Apply(ApplyError::PlanHasErrors(_)))
                ),
                "a plan with errors was applied: {result:?}"
            );
            assert!(provider.sent.lock().expect("sent").is_empty());
            assert_eq!(self.cloud().log.len(), before, "the cloud changed");
            STATS.refused_plans.fetch_add(1, Relaxed);
            if std::env::var_os("SIM_DEBUG").is_some() {
                eprintln!(
                    "{:?}",
                    prepared
                        .plan
                        .errors
                        .iter()
                        .map(|e| e.rule)
                        .collect::<Vec<_>>()
                );
            }
        }
        if std::env::var_os("SIM_DEBUG").is_some() {
            eprintln!(
                "plan {:?} errors {:?}\n  -> {result:?}",
                prepared
                    .plan
                    .changes
                    .iter()
                    .map(|c| c.id.to_string())
                    .collect::<Vec<_>>(),
                prepared
                    .plan
                    .errors
                    .iter()
                    .map(|e| &e.message)
                    .collect::<Vec<_>>(),
            );
        }
        match result {
            Ok(_) => {
                STATS.finished.fetch_add(1, Relaxed);
                Ran::Done
            }
            Err(_) => Ran::Refused,
        }
    }

    /// No faults; reconciles until the plan is empty, at most a few runs.
    fn quiet(&self) {
        self.lost.lock().expect("lost").clear();
        self.edit_cloud(|c| c.faults.clear());
        for _ in 0..4 {
            self.reconcile(None);
        }
        let plan = self.rt.block_on(self.plan_only());
        if plan.errors.is_empty() {
            assert!(
                plan.changes.is_empty(),
                "no convergence after a quiet period: {:#?}",
                plan.changes
                    .iter()
                    .map(|c| c.id.to_string())
                    .collect::<Vec<_>>()
            );
            STATS.converged.fetch_add(1, Relaxed);
        }
    }

    async fn plan_only(&self) -> roster::plan::Plan {
        let manifests = roster::session::load(&self.manifests).expect("manifests load");
        let desired = manifests.accounts.get("acme").expect("account acme");
        let store = SqliteStore::open(&self.state).expect("store");
        let sim = SimProvider::open(&self.state, "acme", &owner(), Some(&self.seed), None, None)
            .expect("sim");
        reconcile::prepare(desired, &sim, &store, &PlanOptions::default())
            .await
            .expect("prepare")
            .plan
    }

    /// The invariants that hold after every step.
    pub fn check(&self) {
        let cloud = self.cloud();
        let a = &cloud.accounts[cloud.account_index("acme").expect("acme")];
        // U2, U3: seats never exceeded.
        let licensed = a.licensed_in_use(None);
        assert!(
            a.seats.licensed.is_none_or(|cap| licensed <= cap),
            "U2: {licensed} licences in use"
        );
        for (addon, cap) in [
            (Addon::LargeMeeting, a.seats.large_meeting),
            (Addon::Webinar, a.seats.webinar),
        ] {
            let used = a
                .users
                .iter()
                .filter(|u| u.status == SimStatus::Active && u.addons.contains(&addon))
                .count() as u32;
            assert!(cap.is_none_or(|cap| used <= cap), "U3: {used} {addon:?}");
        }
        // U7: the owner untouched.
        let o = a.users.iter().find(|u| u.email == owner()).expect("owner");
        assert_eq!(o.role, RoleName::Owner, "U7 owner role");
        assert_eq!(o.status, SimStatus::Active, "U7 owner status");
        assert_eq!(o.user_type, UserType::Licensed, "U7 owner type");
        self.no_double_creates(&cloud);
    }

    /// Nobody is created or invited twice without leaving the account in between.
    fn no_double_creates(&self, cloud: &Cloud) {
        let mut inside: std::collections::BTreeMap<String, bool> = Default::default();
        for e in &cloud.log {
            let Some(target) = &e.target else { continue };
            let key = target.to_string();
            match e.action.as_str() {
                "create_user" | "invite_user" => {
                    let was = inside.insert(key.clone(), true).unwrap_or(false);
                    assert!(!was, "{key} created or invited twice: {:#?}", cloud.log);
                }
                "cancel_invitation" | "delete_user" | "disassociate_user"
                | "invitation_expired" | "decline_invitation" => {
                    inside.insert(key, false);
                }
                _ => {}
            }
        }
    }
}
