//! What people other than roster do to the simulated cloud: a user editing their own
//! profile, an admin clicking in the portal, time passing, a new individual Zoom user.
//! `roster sim …` drives these to create drift and to play the invited side.

use super::cloud::{Cloud, Individual, SimStatus};
use super::engine::Actor;
use crate::model::{Email, RoleName, UserField, UserType};
use crate::model::{Op, ProfilePatch};
use crate::provider::ProviderError;

fn bad(msg: impl Into<String>) -> ProviderError {
    ProviderError::Config(msg.into())
}

/// Edits a user out of band, field by field (any user field that can be edited out of
/// band, see [`editable_out_of_band`], or `status`). Each edit goes through the same
/// account rules as roster's calls (seats, owner protection), without the privilege check:
/// it stands for the user or another admin in the portal.
pub fn edit_user(
    cloud: &mut Cloud,
    email: &Email,
    sets: &[(String, String)],
) -> Result<(), ProviderError> {
    let (ai, ui) = cloud
        .locate(email)
        .ok_or_else(|| bad(format!("{email} is not a user of any simulated account")))?;
    let account = cloud.accounts[ai].id.clone();
    let current_groups = &cloud.accounts[ai].users[ui].groups;
    let actor = Actor {
        email: email.clone(),
        out_of_band: true,
    };
    let mut ops = Vec::new();
    for (key, value) in sets {
        let op = if key == "status" {
            status_op(email, value)?
        } else {
            let field = UserField::parse(key)
                .filter(|f| editable_out_of_band(*f))
                .ok_or_else(|| unknown_field(key))?;
            field_op(email, field, value, current_groups)?
        };
        ops.push(op);
    }
    // All or nothing: run on a copy, keep it only if every edit passed.
    let mut next = cloud.clone();
    for op in &ops {
        next.execute(&account, &actor, op)?;
    }
    *cloud = next;
    Ok(())
}

/// The user fields a person can change in the portal here: the profile, type, role and
/// group. Add-ons, chat groups and custom attributes are not simulated out of band.
fn editable_out_of_band(f: UserField) -> bool {
    match f {
        UserField::FirstName
        | UserField::LastName
        | UserField::Type
        | UserField::Role
        | UserField::Group
        | UserField::Department
        | UserField::Manager
        | UserField::JobTitle
        | UserField::Location => true,
        UserField::Addons | UserField::ChatGroups | UserField::CustomAttributes => false,
    }
}

fn unknown_field(key: &str) -> ProviderError {
    let names: Vec<&str> = UserField::ALL
        .into_iter()
        .filter(|f| editable_out_of_band(*f))
        .map(UserField::as_str)
        .collect();
    bad(format!(
        "unknown field {key}: use {} or status",
        names.join(", ")
    ))
}

/// `status=active|inactive|deactivated`.
fn status_op(email: &Email, value: &str) -> Result<Op, ProviderError> {
    let email = email.clone();
    match value {
        "inactive" | "deactivated" => Ok(Op::DeactivateUser { email }),
        "active" => Ok(Op::ActivateUser { email }),
        _ => Err(bad(format!("status: {value} is not active or inactive"))),
    }
}

/// The operation setting one user field to `value` (empty clears it).
fn field_op(
    email: &Email,
    field: UserField,
    value: &str,
    current_groups: &std::collections::BTreeSet<String>,
) -> Result<Op, ProviderError> {
    let text = || Some(value.to_string());
    let patch = |f: &dyn Fn(&mut ProfilePatch)| {
        let mut p = ProfilePatch::default();
        f(&mut p);
        Op::UpdateProfile {
            email: email.clone(),
            patch: p,
        }
    };
    Ok(match field {
        UserField::FirstName => patch(&|p| p.first_name = text()),
        UserField::LastName => patch(&|p| p.last_name = text()),
        UserField::Department => patch(&|p| p.department = text()),
        UserField::JobTitle => patch(&|p| p.job_title = text()),
        UserField::Location => patch(&|p| p.location = text()),
        UserField::Manager => {
            let m = if value.is_empty() {
                None
            } else {
                Some(Email::parse(value).map_err(|e| bad(format!("manager: {e}")))?)
            };
            patch(&|p| p.manager = Some(m.clone()))
        }
        UserField::Type => Op::ChangeUserType {
            email: email.clone(),
            to: UserType::parse(value)
                .ok_or_else(|| bad(format!("type: {value} is not basic, licensed or on-prem")))?,
        },
        UserField::Role => Op::ChangeRole {
            email: email.clone(),
            to: RoleName::parse(value),
        },
        UserField::Group => Op::SetGroup {
            email: email.clone(),
            group: (!value.is_empty()).then(|| value.to_string()),
            remove_from: current_groups.clone(),
        },
        UserField::Addons | UserField::ChatGroups | UserField::CustomAttributes => {
            return Err(unknown_field(field.as_str()));
        }
    })
}

/// Moves the clock forward by `+Nd`, `+Nh` or `+Nm`, then expires invitations (U8).
pub fn advance_clock(cloud: &mut Cloud, by: &str) -> Result<(), ProviderError> {
    let d = parse_offset(by)
        .ok_or_else(|| bad(format!("clock {by}: expected +Nd, +Nh or +Nm (e.g. +31d)")))?;
    cloud.clock += d;
    let detail = format!("{by}, now {}", cloud.clock.to_rfc3339());
    cloud.record("", "clock", "advance_clock", None, Some(detail));
    cloud.expire_invitations();
    Ok(())
}

/// `+31d`, `+12h`, `+90m`, `+1h 30m` (humantime's units after the `+`).
fn parse_offset(s: &str) -> Option<chrono::Duration> {
    let d = humantime::parse_duration(s.strip_prefix('+')?.trim()).ok()?;
    chrono::Duration::from_std(d).ok()
}

/// Adds an individual Zoom user (one who belongs to no account), so that adding their
/// email to an account sends an invitation to join rather than an activation (U5).
pub fn add_individual(
    cloud: &mut Cloud,
    email: Email,
    licensed: bool,
    first_name: Option<String>,
    last_name: Option<String>,
) -> Result<(), ProviderError> {
    if cloud.individuals.iter().any(|i| i.email == email)
        || cloud
            .locate(&email)
            .is_some_and(|(ai, ui)| cloud.accounts[ai].users[ui].status != SimStatus::Pending)
    {
        return Err(bad(format!("{email} already has a Zoom user")));
    }
    cloud.individuals.push(Individual {
        email: email.clone(),
        user_type: if licensed {
            UserType::Licensed
        } else {
            UserType::Basic
        },
        first_name,
        last_name,
    });
    let target = Some(crate::model::ObjectRef::User(email.clone()));
    cloud.record("", email.as_str(), "sign_up", target, None);
    Ok(())
}
