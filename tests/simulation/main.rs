//! Issue 17 part 1: a deterministic simulation of the whole reconcile loop.
//!
//! proptest-state-machine drives the real manifest loader, planner, apply engine, SQLite
//! store and simulator (its own frozen clock) in-process with random sequences of steps:
//! manifest edits, out-of-band edits, invitations accepted, clock jumps past U8 expiry,
//! injected refusals before the change is made and lost answers after it, 429 bursts,
//! crashes at any point of an apply (the apply future is dropped with everything the
//! process held; the store and the simulator's file stay) and concurrent applies. After
//! every step the invariants of [`check`] hold; a `Quiet` step clears the faults, runs
//! reconciles and asserts the next plan is empty (convergence).
//!
//! Cases: `SIM_CASES` (default 256), seed: `SIM_SEED` (default random, printed). On
//! failure proptest prints the shrunk sequence of steps; rerun it with the printed seed.
//! docs/hardening.md has the 10,000-case command.

mod chaos;
mod world;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest};
use world::{Step, Want, World};

/// How many users the generated manifests draw from (u0..u7); the owner is extra.
pub const POOL: usize = 8;

/// The manifest as the steps so far wrote it: one wish per pool user.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// What the manifest says of each pool user.
    pub wants: Vec<Want>,
    /// Department per user (0: not named).
    pub depts: Vec<u8>,
}

struct Model;

fn want() -> impl Strategy<Value = Want> {
    prop_oneof![
        Just(Want::NotListed),
        Just(Want::Absent),
        Just(Want::Basic),
        Just(Want::Licensed),
        Just(Want::LargeMeeting),
        Just(Want::Webinar),
    ]
}

fn fault_action() -> impl Strategy<Value = roster::model::Action> {
    use roster::model::Action as A;
    prop_oneof![
        Just(A::CreateUser),
        Just(A::InviteUser),
        Just(A::ChangeUserType),
        Just(A::AssignAddon),
        Just(A::RemoveAddon),
        Just(A::UpdateUser),
        Just(A::CancelInvitation),
        Just(A::DeactivateUser),
        Just(A::DisassociateUser),
        Just(A::ResendInvitation),
    ]
}

impl ReferenceStateMachine for Model {
    type State = Manifest;
    type Transition = Step;

    fn init_state() -> BoxedStrategy<Manifest> {
        Just(Manifest {
            wants: vec![Want::NotListed; POOL],
            depts: vec![0; POOL],
        })
        .boxed()
    }

    fn transitions(_: &Manifest) -> BoxedStrategy<Step> {
        let user = 0..POOL;
        prop_oneof![
            6 => (user.clone(), want(), 0u8..3).prop_map(|(user, want, dept)| Step::Edit { user, want, dept }),
            2 => (user.clone(), 0u8..4).prop_map(|(user, edit)| Step::OutOfBand { user, edit }),
            2 => user.clone().prop_map(|user| Step::Accept { user }),
            1 => prop_oneof![Just(1u16), Just(29), Just(31), Just(45)].prop_map(|days| Step::Clock { days }),
            2 => (fault_action(), 1u8..3, any::<bool>()).prop_map(|(action, times, after)| Step::Fault { action, times, after }),
            1 => (1u8..6).prop_map(|times| Step::Burst429 { times }),
            5 => proptest::option::of((0u8..6, any::<bool>())).prop_map(|crash| Step::Apply { crash }),
            1 => Just(Step::Concurrent),
            2 => Just(Step::Quiet),
        ]
        .boxed()
    }

    fn apply(mut state: Manifest, step: &Step) -> Manifest {
        if let Step::Edit { user, want, dept } = step {
            state.wants[*user] = *want;
            state.depts[*user] = *dept;
        }
        state
    }
}

struct Simulation;

impl StateMachineTest for Simulation {
    type SystemUnderTest = World;
    type Reference = Model;

    fn init_test(manifest: &Manifest) -> World {
        World::new(manifest)
    }

    fn apply(mut world: World, manifest: &Manifest, step: Step) -> World {
        world.step(manifest, step);
        world
    }

    fn check_invariants(world: &World, _: &Manifest) {
        world.check();
    }

    fn teardown(mut world: World, manifest: Manifest) {
        // Every sequence ends with a quiet period: it converges.
        world.step(&manifest, Step::Quiet);
        world.check();
    }
}

fn config() -> Config {
    let cases = std::env::var("SIM_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(256);
    let seed = std::env::var("SIM_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(fastrand_seed);
    eprintln!("simulation: SIM_SEED={seed} SIM_CASES={cases}");
    Config {
        cases,
        rng_seed: RngSeed::Fixed(seed),
        failure_persistence: None,
        max_shrink_iters: 2_000,
        ..Config::default()
    }
}

fn fastrand_seed() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::process::id())
}

#[test]
fn the_reconcile_loop_keeps_every_invariant_under_random_steps() {
    let config = config();
    let mut runner = proptest::test_runner::TestRunner::new(config.clone());
    let strategy = Model::sequential_strategy(1..24);
    let result = runner.run(&strategy, |(initial, steps, seen)| {
        Simulation::test_sequential(config.clone(), initial, steps, seen);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}\n(rerun with SIM_SEED printed above to reproduce)");
    }
    eprintln!(
        "simulation: {} cases held every invariant ({})",
        config.cases,
        world::STATS.line()
    );
}

/// Replays a fixed sequence (a shrunk failure kept as a regression).
fn replay(steps: Vec<Step>) {
    let mut manifest = Manifest {
        wants: vec![Want::NotListed; POOL],
        depts: vec![0; POOL],
    };
    let mut world = World::new(&manifest);
    for step in steps {
        manifest = Model::apply(manifest, &step);
        world.step(&manifest, step);
        world.check();
    }
    Simulation::teardown(world, manifest);
}

/// Found by the 10,000-case run: a user deactivated out of band whose licence seat was
/// taken meanwhile, and whom the manifest now wants basic, must be made basic before it is
/// activated (activating a licensed user needs a free seat, U2).
#[test]
fn regression_reactivating_a_user_made_basic_when_the_seats_are_full() {
    let edit = |user, want| Step::Edit {
        user,
        want,
        dept: 0,
    };
    replay(vec![
        edit(2, Want::Licensed),
        edit(3, Want::Licensed),
        edit(4, Want::Licensed),
        edit(0, Want::Absent),
        Step::Apply { crash: None },
        edit(0, Want::Licensed),
        Step::OutOfBand { user: 1, edit: 1 },
        edit(1, Want::Basic),
    ]);
}
