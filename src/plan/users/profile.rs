//! A user's profile fields (U9), custom attributes (U11) and the drift kept on
//! user-editable fields (U4): one `update_user` change for all of them.

use super::super::context::{Ctx, NewChange, Phase, json};
use super::super::field::{Decision, decide};
use super::{Edit, editable};
use crate::model::{Action, Op, ProfilePatch, Rule, UserField, UserSpec};
use serde_json::Value;
use std::collections::BTreeSet;

/// The profile fields' decisions so far.
#[derive(Default)]
struct Profile {
    patch: ProfilePatch,
    /// Field name, from, to.
    fields: Vec<(&'static str, Value, Value)>,
    /// Kept drift, worded (U4).
    drift: Vec<String>,
    /// Fields roster set and the manifest no longer names, which Zoom's API cannot clear
    /// (issue 10, item 8): left as they are and no longer managed, said in the plan.
    unclearable: Vec<String>,
}

/// Plans the profile: text fields, manager and custom attributes in one change.
pub(super) fn edit_profile(cx: &mut Ctx<'_>, e: &Edit<'_>) {
    let mut p = Profile::default();
    let text_fields: [(UserField, TextField, TextSlot); 5] = [
        (
            UserField::FirstName,
            |s| &s.first_name,
            |p| &mut p.first_name,
        ),
        (UserField::LastName, |s| &s.last_name, |p| &mut p.last_name),
        (
            UserField::Department,
            |s| &s.department,
            |p| &mut p.department,
        ),
        (UserField::JobTitle, |s| &s.job_title, |p| &mut p.job_title),
        (UserField::Location, |s| &s.location, |p| &mut p.location),
    ];
    for (field, get, slot) in text_fields {
        text_field(cx, e, &mut p, field, get, slot);
    }
    manager(cx, e, &mut p);
    custom_attributes(cx, e, &mut p);
    if !p.drift.is_empty() {
        cx.warn(
            Some(Rule::U4),
            e.target,
            format!(
                "changed by the user and kept (policy.userEditable): {}",
                p.drift.join(", ")
            ),
        );
    }
    for message in &p.unclearable {
        cx.warn(Some(Rule::U9), e.target, message.clone());
    }
    if p.patch == ProfilePatch::default() {
        return;
    }
    let op = Op::UpdateProfile {
        email: e.du.email.clone(),
        patch: p.patch,
    };
    let reason = format!("{}; profile differs from the account", e.src);
    let mut c =
        NewChange::new(Phase::Edit, Action::UpdateUser, e.target, reason, op).rule(Rule::U9);
    for (name, from, to) in p.fields {
        c = c.field(name, from, to);
    }
    cx.push(c);
}

/// A text field of a user spec.
type TextField = fn(&UserSpec) -> &Option<String>;

/// Where a text field goes in the patch.
type TextSlot = fn(&mut ProfilePatch) -> &mut Option<String>;

/// A text field: an empty value on the account counts as unset; clearing sends "".
fn text_field(
    cx: &Ctx<'_>,
    e: &Edit<'_>,
    p: &mut Profile,
    field: UserField,
    get: TextField,
    slot: TextSlot,
) {
    let name = field.as_str();
    let observed = get(&e.ou.spec);
    match decide(
        get(&e.du.spec).as_ref(),
        observed.as_ref().filter(|v| !v.is_empty()),
        get(e.last).as_ref(),
        editable(cx, field),
    ) {
        Decision::Keep => {}
        Decision::Set(v) => {
            p.fields.push((name, json(observed), json(&v)));
            *slot(&mut p.patch) = Some(v);
        }
        Decision::Clear => {
            p.fields.push((name, json(observed), Value::Null));
            *slot(&mut p.patch) = Some(String::new());
        }
        Decision::DriftKept { observed } => p.drift.push(format!("{name} is now {observed:?}")),
    }
}

/// The manager, by email. Zoom's `PATCH /users/{userId}` takes a manager as an email or a
/// display name (`format: email`) and documents no way to clear one, so a manager the
/// manifest no longer names is left on the account and said so, never sent as `""`.
fn manager(cx: &Ctx<'_>, e: &Edit<'_>, p: &mut Profile) {
    let name = UserField::Manager.as_str();
    let observed = &e.ou.spec.manager;
    match decide(
        e.du.spec.manager.as_ref(),
        observed.as_ref(),
        e.last.manager.as_ref(),
        editable(cx, UserField::Manager),
    ) {
        Decision::Keep => {}
        Decision::Set(v) => {
            p.fields.push((name, json(observed), json(&v)));
            p.patch.manager = Some(Some(v));
        }
        Decision::Clear => p.unclearable.push(format!(
            "{name} is no longer named, but Zoom's API cannot clear a manager (it takes an email or a display name only): {} stays and roster no longer manages it; remove it in the Zoom portal (User Management > Users > Edit) if it should go",
            observed.as_ref().map(ToString::to_string).unwrap_or_default()
        )),
        Decision::DriftKept { observed } => p.drift.push(format!("{name} is now {observed}")),
    }
}

/// Custom attributes (U11): decided per key; roster clears only the keys it set.
fn custom_attributes(cx: &Ctx<'_>, e: &Edit<'_>, p: &mut Profile) {
    let empty = Default::default();
    let dm = e.du.spec.custom_attributes.as_ref();
    let om = e.ou.spec.custom_attributes.as_ref().unwrap_or(&empty);
    let lm = e.last.custom_attributes.as_ref();
    let mut after = om.clone();
    let mut keys: BTreeSet<&String> = om.keys().collect();
    keys.extend(dm.iter().flat_map(|m| m.keys()));
    keys.extend(lm.iter().flat_map(|m| m.keys()));
    for k in keys {
        match decide(
            dm.and_then(|m| m.get(k)),
            om.get(k).filter(|v| !v.is_empty()),
            lm.and_then(|m| m.get(k)),
            editable(cx, UserField::CustomAttributes),
        ) {
            Decision::Keep => {}
            Decision::Set(v) => {
                after.insert(k.clone(), v);
            }
            Decision::Clear => {
                after.remove(k);
            }
            Decision::DriftKept { observed } => p
                .drift
                .push(format!("customAttributes.{k} is now {observed:?}")),
        }
    }
    if &after != om {
        let name = UserField::CustomAttributes.as_str();
        p.fields.push((name, json(om), json(&after)));
        p.patch.custom_attributes = Some(after);
    }
}
