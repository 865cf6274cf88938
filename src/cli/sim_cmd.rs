//! `roster sim …`: act as the people on the other side of the simulated cloud (the
//! invited user, a user editing their profile, time passing) and look at it.

use crate::model::{CalendlyRole, Email, IntegrationService};
use crate::provider::ProviderError;
use crate::provider::sim::calendly::CalendlyAct;
use crate::provider::sim::integration;
use crate::provider::sim::{CloudFile, SyncedCloud, cloud::Cloud, oob, read_seed};
use std::path::{Path, PathBuf};

/// `roster sim` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum SimCommand {
    /// Replace the simulated cloud with a seed file (YAML).
    Seed {
        /// Seed file.
        file: PathBuf,
    },
    /// Print the simulated cloud as JSON (accounts, users, individuals, clock, log).
    Show,
    /// Serve the simulated cloud over HTTP with Zoom's REST paths, OAuth token endpoint,
    /// pagination and rate limits; prints `listening on http://ADDR` first.
    Serve(ServeArgs),
    /// Move the simulator's clock forward: `+31d`, `+12h`, `+90m` (expires invitations, U8).
    Clock {
        /// Offset.
        #[arg(allow_hyphen_values = true)]
        by: String,
    },
    /// The invited person accepts their pending invitation (U5; I3 may refuse with 1009).
    Accept {
        /// Invited email.
        email: String,
    },
    /// The invited person declines their pending invitation.
    Decline {
        /// Invited email.
        email: String,
    },
    /// Edit a user out of band, as the user or another admin would in the portal (drift).
    EditUser {
        /// The user's email.
        email: String,
        /// `field=value` (firstName, lastName, type, role, department, jobTitle,
        /// location, manager, group, status); repeatable.
        #[arg(long = "set", value_name = "FIELD=VALUE", required = true)]
        set: Vec<String>,
    },
    /// The invited owner or chat admin approves an organization invitation (O5).
    ApproveLink {
        /// The invited email.
        email: String,
    },
    /// The invited owner or chat admin declines an organization invitation.
    DeclineLink {
        /// The invited email.
        email: String,
    },
    /// The organization owner approves an invitation a linked account made (O4).
    ApproveInvitation {
        /// The invited email.
        email: String,
    },
    /// An account asks to join the organization owned by OWNER (O7), as its admin would.
    RequestJoin {
        /// The asking account's id.
        account: String,
        /// The organization owner's email.
        owner: String,
    },
    /// The organization owner approves an account's request to join (O7).
    ApproveJoin {
        /// The requesting account's id.
        account: String,
    },
    /// The receiver accepts a contact request (K3).
    AcceptContact {
        /// The receiver.
        email: String,
        /// The internal user who asked.
        #[arg(long)]
        from: String,
    },
    /// The receiver declines a contact request (K3).
    DeclineContact {
        /// The receiver.
        email: String,
        /// The internal user who asked.
        #[arg(long)]
        from: String,
    },
    /// An internal user adds an external contact themselves (a request, K2).
    AddContact {
        /// The internal user.
        user: String,
        /// The external email.
        contact: String,
    },
    /// Create a channel (or add members to it) in an account (U12 effects show there).
    Channel {
        /// Account id.
        account: String,
        /// Channel name.
        name: String,
        /// Members (internal users or external contacts).
        #[arg(long = "member")]
        members: Vec<String>,
    },
    /// K1: the users EMAIL finds in the directory (same account and organization).
    Directory {
        /// The user.
        email: String,
    },
    /// Add an individual Zoom user (in no account), so adding them to an account is an
    /// invitation to join (U5).
    AddIndividual {
        /// Email.
        email: String,
        /// A licensed individual (I6: joining as basic loses the licence).
        #[arg(long)]
        licensed: bool,
        /// Given name.
        #[arg(long)]
        first_name: Option<String>,
        /// Family name.
        #[arg(long)]
        last_name: Option<String>,
    },
    /// Refuse the next operations of one action with Zoom's error (an injected fault, on
    /// the embedded provider and on `sim serve` alike).
    Fail {
        /// The action, as plans name it (`request_external_contact`, `invite_account`, …).
        action: String,
        /// How many operations to refuse.
        #[arg(long, default_value_t = 1)]
        times: u32,
        /// HTTP status of the refusal.
        #[arg(long, default_value_t = 400)]
        status: u16,
        /// Zoom error code of the refusal.
        #[arg(long, default_value_t = 300)]
        code: i64,
        /// Make the change, then answer the refusal: a reply lost after the send (use
        /// with `--status 500`).
        #[arg(long)]
        after: bool,
    },
    /// The admin sets the account's default calendar and contact integration service
    /// (K4); `--lock` locks it, which disconnects users whose service differs.
    IntegrationDefault {
        /// The account id.
        account: String,
        /// `google`, `office365` or `exchange`; none clears the default.
        #[arg(long)]
        service: Option<String>,
        /// Lock the default.
        #[arg(long)]
        lock: bool,
    },
    /// The user's authorisation is revoked (or expired): Zoom shows the integration as
    /// needing re-authorisation (K4).
    RevokeIntegration {
        /// The user's email.
        email: String,
    },
    /// Act as the Calendly people of the account's Calendly organization (C1–C7): connect
    /// or drop a personal Zoom account, change a member's role, disconnect the
    /// organization's Zoom connection, change whose token roster holds. With no option,
    /// print the organization (members, connection, connected users) as JSON.
    Calendly(CalendlyArgs),
}

/// `roster sim calendly ACCOUNT [options]`: one act per option, in the order below.
#[derive(Debug, clap::Args)]
pub struct CalendlyArgs {
    /// The Zoom account id the Calendly organization connects to.
    pub account: String,
    /// A member connects a personal Zoom account (C4: it wins over the organization's).
    #[arg(long, value_name = "EMAIL")]
    pub connect_personal: Vec<String>,
    /// A member drops their personal Zoom account (C4: the organization's takes over).
    #[arg(long, value_name = "EMAIL")]
    pub drop_personal: Vec<String>,
    /// An owner sets a member's role (`owner`, `admin`, `user`); a new email joins (C1).
    #[arg(long, value_name = "EMAIL=ROLE")]
    pub role: Vec<String>,
    /// An owner or admin clicks Disconnect on the Zoom integration page (C7).
    #[arg(long)]
    pub disconnect: bool,
    /// roster's Calendly token now belongs to this member (C1).
    #[arg(long, value_name = "EMAIL")]
    pub token: Option<String>,
}

/// `roster sim serve` options.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:9900")]
    pub listen: String,
    /// Seed to start from when the state folder has no simulated cloud yet.
    #[arg(long)]
    pub seed: Option<PathBuf>,
    /// OAuth client id the token endpoint accepts.
    #[arg(long, env = "ROSTER_SIM_CLIENT_ID", default_value = "roster-sim")]
    pub client_id: String,
    /// OAuth client secret the token endpoint accepts.
    #[arg(long, env = "ROSTER_SIM_CLIENT_SECRET", hide_env_values = true)]
    pub client_secret: String,
    /// Access-token lifetime in seconds (Zoom: 3600).
    #[arg(long, default_value_t = 3600)]
    pub token_ttl: u64,
    /// `next_page_token` lifetime in seconds (Zoom: 900).
    #[arg(long, default_value_t = 900)]
    pub page_token_ttl: u64,
    /// Share of requests answered 500 (half of the changing ones after the change).
    #[arg(long, default_value_t = 0.0)]
    pub fail_rate: f64,
    /// Milliseconds added to every request.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Length of each burst of 429 answers (0: none).
    #[arg(long, default_value_t = 0)]
    pub burst_429: u32,
    /// Requests between two bursts of 429.
    #[arg(long, default_value_t = 40)]
    pub burst_every: u32,
    /// Seed of the fault generator.
    #[arg(long, default_value_t = 7)]
    pub fault_seed: u64,
    /// Do not refuse requests over Zoom's per-second and daily rate limits, nor over
    /// Calendly's per-minute one (for fuzzers and load tests; the `X-RateLimit-*` headers
    /// are still sent).
    #[arg(long)]
    pub no_rate_limit: bool,
    /// Answer `GET /contacts/user/{userId}/personal` with 404/2300, as Zoom does for an
    /// endpoint it does not have: the personal-contact list was never announced, and
    /// roster then asks for contact groups by hand rather than write blind.
    #[arg(long)]
    pub no_personal_list: bool,
}

fn email(raw: &str) -> Result<Email, ProviderError> {
    Email::parse(raw).map_err(|e| ProviderError::Config(format!("{raw}: {e}")))
}

fn load(file: &CloudFile, state_dir: &Path) -> Result<Cloud, ProviderError> {
    exists(file, state_dir)?;
    file.load()
}

fn exists(file: &CloudFile, state_dir: &Path) -> Result<(), ProviderError> {
    if file.exists() {
        return Ok(());
    }
    Err(ProviderError::Config(format!(
        "no simulated cloud under {}: run `roster plan DIR` (which seeds it) or `roster sim seed FILE` first",
        state_dir.display()
    )))
}

/// Changes the saved cloud under its file lock (`roster apply` or `roster sim serve` may
/// be writing it at the same moment); nothing is saved when `f` fails.
fn change<T>(
    file: &CloudFile,
    state_dir: &Path,
    f: impl FnOnce(&mut Cloud) -> Result<T, ProviderError>,
) -> Result<T, ProviderError> {
    exists(file, state_dir)?;
    file.update(f)
}

fn integration_default(
    file: &CloudFile,
    state_dir: &Path,
    account: &str,
    service: Option<&str>,
    lock: bool,
) -> Result<(), ProviderError> {
    let service = service
        .map(|s| {
            IntegrationService::parse(s).ok_or_else(|| {
                ProviderError::Config(format!("{s}: not a service (google, office365, exchange)"))
            })
        })
        .transpose()?;
    let d = change(file, state_dir, |cloud| {
        let ai = cloud.account_index(account).ok_or_else(|| {
            ProviderError::Config(format!("the simulator has no account {account}"))
        })?;
        integration::set_defaults(&mut cloud.accounts[ai], service, lock);
        Ok(cloud.accounts[ai].integration_defaults)
    })?;
    match d.service {
        Some(s) => println!(
            "Account {account}: default integration {}{}.",
            s.display(),
            if d.locked { ", locked" } else { "" }
        ),
        None => println!("Account {account}: no default integration."),
    }
    Ok(())
}

fn serve_config(a: ServeArgs) -> crate::provider::sim::serve::ServeConfig {
    crate::provider::sim::serve::ServeConfig {
        client_id: a.client_id,
        client_secret: a.client_secret,
        token_ttl: std::time::Duration::from_secs(a.token_ttl),
        page_token_ttl: std::time::Duration::from_secs(a.page_token_ttl),
        fail_rate: a.fail_rate,
        latency: std::time::Duration::from_millis(a.latency_ms),
        burst_429: a.burst_429,
        burst_every: a.burst_every,
        seed: a.fault_seed,
        rate_limits: !a.no_rate_limit,
        personal_list: !a.no_personal_list,
    }
}

/// `roster sim serve`: the saved cloud, or the seed's the first time.
async fn serve(a: ServeArgs, file: CloudFile, state_dir: &Path) -> Result<(), ProviderError> {
    let init = || match &a.seed {
        Some(seed) => read_seed(seed),
        None => Err(ProviderError::Config(format!(
            "no simulated cloud under {}: pass --seed FILE or run `roster sim seed FILE` first",
            state_dir.display()
        ))),
    };
    let (cloud, ()) = SyncedCloud::open(file, init, |_| ((), false))?;
    let listen = a.listen.clone();
    crate::provider::sim::serve::serve(&listen, cloud, serve_config(a)).await
}

fn sets_of(set: &[String]) -> Result<Vec<(String, String)>, ProviderError> {
    set.iter()
        .map(|kv| {
            kv.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .ok_or_else(|| ProviderError::Config(format!("--set {kv}: expected FIELD=VALUE")))
        })
        .collect()
}

/// Runs a `roster sim` subcommand against the cloud under `state_dir`. Every change is
/// made under the cloud file's lock, on the cloud as it is at that moment.
pub async fn run(cmd: SimCommand, state_dir: &Path) -> Result<(), ProviderError> {
    let file = CloudFile::new(state_dir);
    let change = |f: &mut dyn FnMut(&mut Cloud) -> Result<String, ProviderError>| {
        change(&file, state_dir, f)
    };
    let said = match cmd {
        SimCommand::Seed { file: seed } => {
            let cloud = read_seed(&seed)?;
            file.save(&cloud)?;
            format!(
                "Seeded {} account(s) and {} individual user(s); clock {}.",
                cloud.accounts.len(),
                cloud.individuals.len(),
                cloud.clock.to_rfc3339()
            )
        }
        SimCommand::Serve(a) => return serve(a, file, state_dir).await,
        SimCommand::Show => {
            let cloud = load(&file, state_dir)?;
            serde_json::to_string_pretty(&cloud).map_err(|e| ProviderError::State(e.to_string()))?
        }
        SimCommand::Clock { by } => change(&mut |cloud| {
            oob::advance_clock(cloud, &by)?;
            Ok(format!("Clock is now {}.", cloud.clock.to_rfc3339()))
        })?,
        SimCommand::Accept { email: raw } => {
            let e = email(&raw)?;
            change(&mut |cloud| {
                let account = cloud.accept(&e)?;
                Ok(format!("{raw} accepted and joined account {account}."))
            })?
        }
        SimCommand::Decline { email: raw } => {
            let e = email(&raw)?;
            change(&mut |cloud| {
                let account = cloud.decline(&e)?;
                Ok(format!(
                    "{raw} declined the invitation from account {account}."
                ))
            })?
        }
        SimCommand::EditUser { email: raw, set } => {
            let (e, sets) = (email(&raw)?, sets_of(&set)?);
            change(&mut |cloud| {
                oob::edit_user(cloud, &e, &sets)?;
                Ok(format!("Edited {raw}."))
            })?
        }
        SimCommand::ApproveLink { email: raw } => {
            let e = email(&raw)?;
            change(&mut |cloud| {
                let org = cloud.approve_link(&e)?;
                Ok(format!(
                    "{raw} approved: their account is linked to organization {org}."
                ))
            })?
        }
        SimCommand::DeclineLink { email: raw } => {
            let e = email(&raw)?;
            change(&mut |cloud| {
                let org = cloud.decline_link(&e)?;
                Ok(format!(
                    "{raw} declined the invitation to organization {org}."
                ))
            })?
        }
        SimCommand::ApproveInvitation { email: raw } => {
            let e = email(&raw)?;
            change(&mut |cloud| {
                let org = cloud.approve_invitation(&e)?;
                Ok(format!(
                    "The owner of {org} approved the invitation to {raw}: it is sent."
                ))
            })?
        }
        SimCommand::RequestJoin { account, owner } => {
            let e = email(&owner)?;
            change(&mut |cloud| {
                cloud.request_join_as_admin(&account, &e)?;
                Ok(format!(
                    "Account {account} asked {owner} to join their organization."
                ))
            })?
        }
        SimCommand::ApproveJoin { account } => change(&mut |cloud| {
            let org = cloud.approve_join(&account)?;
            Ok(format!("Account {account} joined organization {org}."))
        })?,
        SimCommand::AcceptContact { email: raw, from } => {
            let (e, f) = (email(&raw)?, email(&from)?);
            change(&mut |cloud| {
                cloud.answer_contact(&e, &f, true)?;
                Ok(format!("{raw} accepted {from}'s contact request."))
            })?
        }
        SimCommand::DeclineContact { email: raw, from } => {
            let (e, f) = (email(&raw)?, email(&from)?);
            change(&mut |cloud| {
                cloud.answer_contact(&e, &f, false)?;
                Ok(format!("{raw} declined {from}'s contact request."))
            })?
        }
        SimCommand::AddContact { user, contact } => {
            let (u, c) = (email(&user)?, email(&contact)?);
            change(&mut |cloud| {
                cloud.add_contact_as_user(&u, &c)?;
                Ok(format!("{user} asked {contact} to be a contact."))
            })?
        }
        SimCommand::Channel {
            account,
            name,
            members,
        } => {
            let members = members
                .iter()
                .map(|m| email(m))
                .collect::<Result<Vec<_>, _>>()?;
            change(&mut |cloud| {
                cloud.channel(&account, &name, &members)?;
                Ok(format!(
                    "Channel {name} in {account}: {} member(s) added.",
                    members.len()
                ))
            })?
        }
        SimCommand::Fail {
            action,
            times,
            status,
            code,
            after,
        } => {
            let action = crate::model::Action::parse(&action).ok_or_else(|| {
                ProviderError::Config(format!(
                    "{action}: not an action name (see `roster plan --format json`, e.g. request_external_contact)"
                ))
            })?;
            change(&mut |cloud| {
                cloud.faults.push(crate::provider::sim::cloud::SimFault {
                    action,
                    times,
                    status,
                    code,
                    after,
                });
                let when = if after { " after being made" } else { "" };
                Ok(format!(
                    "The next {times} {action} operation(s) will be refused with {status}/{code}{when}."
                ))
            })?
        }
        SimCommand::Directory { email: raw } => {
            for e in load(&file, state_dir)?.directory(&email(&raw)?)? {
                println!("{e}");
            }
            return Ok(());
        }
        SimCommand::AddIndividual {
            email: raw,
            licensed,
            first_name,
            last_name,
        } => {
            let e = email(&raw)?;
            change(&mut |cloud| {
                let (first, last) = (first_name.clone(), last_name.clone());
                oob::add_individual(cloud, e.clone(), licensed, first, last)?;
                Ok(format!("Added individual Zoom user {raw}."))
            })?
        }
        SimCommand::IntegrationDefault {
            account,
            service,
            lock,
        } => return integration_default(&file, state_dir, &account, service.as_deref(), lock),
        SimCommand::RevokeIntegration { email: raw } => {
            let user = email(&raw)?;
            change(&mut |cloud| revoke_integration(cloud, &raw, &user))?
        }
        SimCommand::Calendly(a) => {
            let acts = calendly_acts(&a)?;
            let account = a.account.clone();
            change(&mut |cloud| calendly(cloud, &account, &acts))?
        }
    };
    println!("{said}");
    Ok(())
}

fn calendly_acts(a: &CalendlyArgs) -> Result<Vec<CalendlyAct>, ProviderError> {
    let mut acts = Vec::new();
    for raw in &a.connect_personal {
        acts.push(CalendlyAct::Personal(email(raw)?, true));
    }
    for raw in &a.drop_personal {
        acts.push(CalendlyAct::Personal(email(raw)?, false));
    }
    for kv in &a.role {
        let (e, r) = kv
            .split_once('=')
            .ok_or_else(|| ProviderError::Config(format!("--role {kv}: expected EMAIL=ROLE")))?;
        let role = CalendlyRole::parse(r).ok_or_else(|| {
            ProviderError::Config(format!("--role {kv}: {r} is not owner, admin or user"))
        })?;
        acts.push(CalendlyAct::Role(email(e)?, role));
    }
    if a.disconnect {
        acts.push(CalendlyAct::Disconnect);
    }
    if let Some(raw) = &a.token {
        acts.push(CalendlyAct::Token(email(raw)?));
    }
    Ok(acts)
}

/// Applies the acts (all or nothing), or prints the organization when there are none.
fn calendly(
    cloud: &mut Cloud,
    account: &str,
    acts: &[CalendlyAct],
) -> Result<String, ProviderError> {
    let ai = cloud
        .account_index(account)
        .ok_or_else(|| ProviderError::Config(format!("the simulator has no account {account}")))?;
    if acts.is_empty() {
        let seen = crate::provider::sim::calendly::observe(&cloud.accounts[ai]);
        return serde_json::to_string_pretty(&seen)
            .map_err(|e| ProviderError::State(e.to_string()));
    }
    let mut next = cloud.clone();
    let mut said = Vec::new();
    for act in acts {
        said.push(crate::provider::sim::calendly::act(&mut next, ai, act)?);
    }
    *cloud = next;
    Ok(said.join("\n"))
}

fn revoke_integration(cloud: &mut Cloud, raw: &str, user: &Email) -> Result<String, ProviderError> {
    let (ai, _) = cloud
        .locate(user)
        .ok_or_else(|| ProviderError::Config(format!("{raw} is in no simulated account")))?;
    if !integration::revoke(&mut cloud.accounts[ai], user) {
        return Err(ProviderError::Config(format!(
            "{raw} has no calendar and contact integration"
        )));
    }
    Ok(format!("{raw}'s integration now needs re-authorisation."))
}
