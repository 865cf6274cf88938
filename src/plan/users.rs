//! The diff of users: additions (U5), invitations (U8), field edits (U2, U3, U7, U9),
//! removals (U13), with waiting changes for pending and deactivated users.

use super::context::{Ctx, NewChange, Phase, json};
use super::field::{Decision, decide, decide_set};
use super::seats::Pools;
use super::{Action, Op, ProfilePatch};
use crate::model::{ChangeId, ObjectRef};
use crate::model::{
    DesiredStatus, DesiredUser, Email, ObservedStatus, ObservedUser, RemoveAction, RoleName, Rule,
    Source, UserField, UserSpec, UserType,
};
use serde_json::Value;

/// A user roster never set anything on.
static NOTHING_SET: UserSpec = UserSpec {
    first_name: None,
    last_name: None,
    user_type: None,
    addons: None,
    role: None,
    group: None,
    chat_groups: None,
    department: None,
    manager: None,
    job_title: None,
    location: None,
    custom_attributes: None,
};

/// U8: invitations expire this long after they were sent.
pub(crate) const INVITATION_LIFETIME_DAYS: i64 = 30;

pub(crate) fn plan_users(cx: &mut Ctx<'_>, pools: &mut Pools) {
    let d = cx.d;
    let o = cx.o;
    for du in d.users.values() {
        plan_declared(cx, pools, du, o.users.get(&du.email));
    }
    for ou in o.users.values() {
        if d.users.contains_key(&ou.email) || cx.is_ignored(&ou.email) {
            continue;
        }
        if ou.email == o.owner {
            continue; // U7: never removed, whatever the manifests say.
        }
        if cx.l.users.contains_key(&ou.email) {
            let reason =
                "roster managed this user and no manifest declares it any more".to_string();
            remove_user(cx, pools, ou, reason, None);
        } else if cx.d.account.policy.prune {
            let reason = "declared in no manifest and policy.prune is true".to_string();
            remove_user(cx, pools, ou, reason, None);
        } else {
            cx.unmanaged.push(ou.email.clone());
        }
    }
}

fn plan_declared(cx: &mut Ctx<'_>, pools: &mut Pools, du: &DesiredUser, ou: Option<&ObservedUser>) {
    let target = ObjectRef::User(du.email.clone());
    if cx.is_ignored(&du.email) {
        cx.warn(
            None,
            &target,
            format!(
                "declared in {} but matches policy.ignore: roster leaves it alone",
                du.source
            ),
        );
        return;
    }
    if du.email == cx.o.owner && du.status != DesiredStatus::Active {
        cx.error(
            Rule::U7,
            &target,
            Some(&du.source),
            "the account owner is never deactivated or removed".into(),
        );
        return;
    }
    let expired_on = du.expires.filter(|day| *day <= cx.today());
    if du.status == DesiredStatus::Absent || expired_on.is_some() {
        if let Some(ou) = ou {
            let reason = match expired_on {
                Some(day) => format!(
                    "expires on {day} (declared in {}), a date that has passed",
                    du.source
                ),
                None => format!("declared `status: absent` in {}", du.source),
            };
            remove_user(cx, pools, ou, reason, Some(&du.source));
        }
        return;
    }
    cx.next.users.insert(du.email.clone(), du.spec.clone());
    match ou {
        None => add_user(cx, pools, du, &target),
        Some(ou) => match ou.status {
            ObservedStatus::Pending => pending_user(cx, pools, du, ou, &target),
            ObservedStatus::Inactive => inactive_user(cx, du, ou, &target),
            ObservedStatus::Active if du.status == DesiredStatus::Deactivated => {
                deactivate(
                    cx,
                    pools,
                    ou,
                    &target,
                    format!("declared `status: deactivated` in {}", du.source),
                    Some(&du.source),
                );
            }
            ObservedStatus::Active => edit_user(cx, pools, du, ou, &target),
        },
    }
}

fn desired_type(du: &DesiredUser) -> UserType {
    du.spec.user_type.unwrap_or(UserType::Basic)
}

fn check_on_prem(cx: &mut Ctx<'_>, du: &DesiredUser, target: &ObjectRef) -> bool {
    if desired_type(du) == UserType::OnPrem && !cx.o.on_prem_enabled {
        cx.error(
            Rule::U2,
            target,
            Some(&du.source),
            "type on-prem needs the meeting connector enabled on the account (and the current API no longer lists on-prem); use basic or licensed".into(),
        );
        return false;
    }
    true
}

fn add_user(cx: &mut Ctx<'_>, pools: &mut Pools, du: &DesiredUser, target: &ObjectRef) {
    if !check_on_prem(cx, du, target) {
        return;
    }
    let user_type = desired_type(du);
    let recorded = cx.l.invitations.get(&du.email).copied();
    let expired_at: Option<Option<crate::model::Timestamp>> = cx
        .o
        .expired_invitations
        .get(&du.email)
        .map(|sent| sent.or(recorded))
        .or_else(|| {
            recorded
                .filter(|sent| *sent + chrono::Duration::days(INVITATION_LIFETIME_DAYS) <= cx.now)
                .map(Some)
        });
    let (action, rule, reason, op) = if let Some(sent) = expired_at {
        let when = match sent {
            Some(sent) => format!(
                "the invitation sent on {} expired on {}",
                sent.format("%Y-%m-%d"),
                (sent + chrono::Duration::days(INVITATION_LIFETIME_DAYS)).format("%Y-%m-%d")
            ),
            None => {
                "the invitation expired unanswered (Zoom answers 1120; when it was sent is unknown)"
                    .to_string()
            }
        };
        (
            Action::ResendInvitation,
            Rule::U8,
            format!(
                "declared in {}; {when} (U8: 30 days), so it is sent again",
                du.source
            ),
            Op::ResendInvitation {
                email: du.email.clone(),
                user_type,
                first_name: du.spec.first_name.clone(),
                last_name: du.spec.last_name.clone(),
            },
        )
    } else {
        let op = Op::CreateUser {
            email: du.email.clone(),
            user_type,
            first_name: du.spec.first_name.clone(),
            last_name: du.spec.last_name.clone(),
        };
        match cx.o.existing_elsewhere.get(&du.email) {
            Some(existing) => {
                if existing.licensed && user_type == UserType::Basic {
                    cx.warn(
                        Some(Rule::I6),
                        target,
                        "is a licensed Zoom user today; joining as basic loses the licensed features (licences do not move, I4)".into(),
                    );
                }
                (
                    Action::InviteUser,
                    Rule::U5,
                    format!(
                        "declared in {} and absent from the account; the email already has a Zoom account, so Zoom sends an invitation to join",
                        du.source
                    ),
                    op,
                )
            }
            None => (
                Action::CreateUser,
                Rule::U5,
                format!(
                    "declared in {} and absent from the account; Zoom sends an activation email",
                    du.source
                ),
                op,
            ),
        }
    };
    let mut c = NewChange::new(Phase::Add, action, target, reason, op)
        .rule(rule)
        .field(UserField::Type.as_str(), Value::Null, json(user_type));
    if let Some(n) = &du.spec.first_name {
        c = c.field(UserField::FirstName.as_str(), Value::Null, json(n));
    }
    if let Some(n) = &du.spec.last_name {
        c = c.field(UserField::LastName.as_str(), Value::Null, json(n));
    }
    let id = cx.push(c);
    if user_type == UserType::Licensed {
        pools.consume_licence(id, du.source.clone(), target);
    }
    cx.next.invitations.insert(du.email.clone(), cx.now);
    let waiting = pending_fields(cx, du, None);
    if !waiting.is_empty() {
        cx.wait(target, format!("{} wait until the invitation is accepted (pending users hold no group, role or add-on)", waiting.join(", ")));
    }
}

/// The fields of a desired user that a pending (or new) user cannot take yet.
fn pending_fields(cx: &Ctx<'_>, du: &DesiredUser, ou: Option<&ObservedUser>) -> Vec<String> {
    let mut out = Vec::new();
    let s = &du.spec;
    let o = ou.map(|u| &u.spec);
    if let Some(r) = &s.role
        && *r != RoleName::Member
        && o.and_then(|o| o.role.as_ref()) != Some(r)
    {
        out.push(format!("role {}", r.as_str()));
    }
    if let Some(g) = &s.group
        && ou.is_none_or(|u| !u.groups.contains(g))
    {
        out.push(format!("group {g}"));
    }
    if let Some(cg) = &s.chat_groups {
        let have = o.and_then(|o| o.chat_groups.clone()).unwrap_or_default();
        let missing: Vec<_> = cg.difference(&have).cloned().collect();
        if !missing.is_empty() {
            out.push(format!("chat groups {}", missing.join(", ")));
        }
    }
    if let Some(a) = &s.addons
        && !a.is_empty()
    {
        out.push(format!(
            "add-ons {}",
            a.iter().map(|a| a.as_str()).collect::<Vec<_>>().join(", ")
        ));
    }
    let profile = [
        (UserField::Department, &s.department),
        (UserField::JobTitle, &s.job_title),
        (UserField::Location, &s.location),
    ];
    for (f, v) in profile {
        if v.as_ref().is_some_and(|v| !v.is_empty()) {
            out.push(f.as_str().to_string());
        }
    }
    if s.manager.is_some() {
        out.push(UserField::Manager.as_str().into());
    }
    if s.custom_attributes.as_ref().is_some_and(|m| !m.is_empty()) {
        out.push(UserField::CustomAttributes.as_str().into());
    }
    let _ = cx;
    out
}

fn pending_user(
    cx: &mut Ctx<'_>,
    pools: &mut Pools,
    du: &DesiredUser,
    ou: &ObservedUser,
    target: &ObjectRef,
) {
    let sent = ou
        .invited_at
        .or_else(|| cx.l.invitations.get(&du.email).copied())
        .unwrap_or(cx.now);
    cx.next.invitations.insert(du.email.clone(), sent);
    let Some(resend_after) = cx.d.account.policy.resend_after else {
        note_pending_waits(cx, du, ou, target);
        return;
    };
    let age = cx.now - sent;
    if age >= resend_after {
        if !check_on_prem(cx, du, target) {
            return;
        }
        let user_type = desired_type(du);
        let was = ou.spec.user_type.unwrap_or(UserType::Basic);
        let reason = format!(
            "pending since {} ({} days), longer than invitations.resendAfter ({} days); resending resets the 30-day expiry (U8)",
            sent.format("%Y-%m-%d"),
            age.num_days(),
            resend_after.num_days()
        );
        let mut c = NewChange::new(
            Phase::Add,
            Action::ResendInvitation,
            target,
            reason,
            Op::ResendInvitation {
                email: du.email.clone(),
                user_type,
                first_name: du
                    .spec
                    .first_name
                    .clone()
                    .or_else(|| ou.spec.first_name.clone()),
                last_name: du
                    .spec
                    .last_name
                    .clone()
                    .or_else(|| ou.spec.last_name.clone()),
            },
        )
        .rule(Rule::U8)
        .field("invitedAt", json(sent), json(cx.now));
        if was != user_type {
            c = c.field(UserField::Type.as_str(), json(was), json(user_type));
        }
        let id = cx.push(c);
        match (was == UserType::Licensed, user_type == UserType::Licensed) {
            (false, true) => pools.consume_licence(id, du.source.clone(), target),
            (true, false) => pools.free_licence(id),
            (true, true) | (false, false) => {}
        }
        cx.next.invitations.insert(du.email.clone(), cx.now);
    }
    note_pending_waits(cx, du, ou, target);
}

fn note_pending_waits(cx: &mut Ctx<'_>, du: &DesiredUser, ou: &ObservedUser, target: &ObjectRef) {
    let mut waiting = pending_fields(cx, du, Some(ou));
    if let (Some(d), Some(o)) = (du.spec.user_type, ou.spec.user_type)
        && d != o
    {
        waiting.insert(0, format!("type {}", d.as_str()));
    }
    if !waiting.is_empty() {
        cx.wait(target, format!("{} wait until the invitation is accepted (pending users hold no group, role or add-on)", waiting.join(", ")));
    }
}

fn inactive_user(cx: &mut Ctx<'_>, du: &DesiredUser, ou: &ObservedUser, target: &ObjectRef) {
    if du.status == DesiredStatus::Active {
        cx.push(
            NewChange::new(
                Phase::Add,
                Action::ActivateUser,
                target,
                format!(
                    "declared active in {} and deactivated on the account",
                    du.source
                ),
                Op::ActivateUser {
                    email: du.email.clone(),
                },
            )
            .rule(Rule::U13)
            .field("status", json("deactivated"), json("active")),
        );
    }
    let differs = differing_fields(du, ou);
    if !differs.is_empty() {
        let when = if du.status == DesiredStatus::Active {
            "wait until the user is reactivated"
        } else {
            "wait: a deactivated user cannot be edited"
        };
        cx.wait(target, format!("{} {when}", differs.join(", ")));
    }
}

/// The declared fields a deactivated user does not have yet, in plan display order.
fn differing_fields(du: &DesiredUser, ou: &ObservedUser) -> Vec<&'static str> {
    UserField::ALL
        .into_iter()
        .filter(|f| differs(du, ou, *f))
        .map(UserField::as_str)
        .collect()
}

/// Whether the manifest names `field` with a value the observed user does not hold.
fn differs(du: &DesiredUser, ou: &ObservedUser, field: UserField) -> bool {
    let d = &du.spec;
    let o = &ou.spec;
    fn named_and_differs<T: PartialEq>(d: &Option<T>, o: &Option<T>) -> bool {
        d.is_some() && d != o
    }
    match field {
        UserField::FirstName => named_and_differs(&d.first_name, &o.first_name),
        UserField::LastName => named_and_differs(&d.last_name, &o.last_name),
        UserField::Type => named_and_differs(&d.user_type, &o.user_type),
        UserField::Addons => named_and_differs(&d.addons, &o.addons),
        UserField::Role => named_and_differs(&d.role, &o.role),
        UserField::Group => d.group.as_ref().is_some_and(|g| !ou.groups.contains(g)),
        UserField::ChatGroups => named_and_differs(&d.chat_groups, &o.chat_groups),
        UserField::Department => named_and_differs(&d.department, &o.department),
        UserField::Manager => named_and_differs(&d.manager, &o.manager),
        UserField::JobTitle => named_and_differs(&d.job_title, &o.job_title),
        UserField::Location => named_and_differs(&d.location, &o.location),
        // Not reported while deactivated (as before this table existed): attribute
        // keys are diffed one by one once the user is active again.
        UserField::CustomAttributes => false,
    }
}

fn editable(cx: &Ctx<'_>, f: UserField) -> bool {
    cx.d.account.policy.user_editable.contains(&f)
}

fn edit_user(
    cx: &mut Ctx<'_>,
    pools: &mut Pools,
    du: &DesiredUser,
    ou: &ObservedUser,
    target: &ObjectRef,
) {
    let email = &du.email;
    let d = &du.spec;
    let o = &ou.spec;
    let all_last = cx.l;
    let last = all_last.users.get(email).unwrap_or(&NOTHING_SET);
    let src = format!("declared in {}", du.source);

    // Profile fields: one update_user change.
    let mut patch = ProfilePatch::default();
    let mut c = NewChange::new(
        Phase::Edit,
        Action::UpdateUser,
        target,
        String::new(),
        Op::UpdateProfile {
            email: email.clone(),
            patch: ProfilePatch::default(),
        },
    )
    .rule(Rule::U9);
    let mut drift: Vec<String> = Vec::new();
    macro_rules! text_field {
        ($f:ident, $field:expr) => {{
            let name = $field.as_str();
            match decide(
                d.$f.as_ref(),
                o.$f.as_ref().filter(|v| !v.is_empty()),
                last.$f.as_ref(),
                editable(cx, $field),
            ) {
                Decision::Keep => {}
                Decision::Set(v) => {
                    c = c.field(name, json(&o.$f), json(&v));
                    patch.$f = Some(v);
                }
                Decision::Clear => {
                    c = c.field(name, json(&o.$f), Value::Null);
                    patch.$f = Some(String::new());
                }
                Decision::DriftKept { observed } => {
                    drift.push(format!("{name} is now {observed:?}"))
                }
            }
        }};
    }
    text_field!(first_name, UserField::FirstName);
    text_field!(last_name, UserField::LastName);
    text_field!(department, UserField::Department);
    text_field!(job_title, UserField::JobTitle);
    text_field!(location, UserField::Location);
    match decide(
        d.manager.as_ref(),
        o.manager.as_ref(),
        last.manager.as_ref(),
        editable(cx, UserField::Manager),
    ) {
        Decision::Keep => {}
        Decision::Set(v) => {
            c = c.field(UserField::Manager.as_str(), json(&o.manager), json(&v));
            patch.manager = Some(Some(v));
        }
        Decision::Clear => {
            c = c.field(UserField::Manager.as_str(), json(&o.manager), Value::Null);
            patch.manager = Some(None);
        }
        Decision::DriftKept { observed } => drift.push(format!("manager is now {observed}")),
    }
    // Custom attributes (U11): per key; roster clears only the keys it set.
    {
        let empty = Default::default();
        let dm = d.custom_attributes.as_ref();
        let om = o.custom_attributes.as_ref().unwrap_or(&empty);
        let lm = last.custom_attributes.as_ref();
        let mut after = om.clone();
        let mut keys: std::collections::BTreeSet<&String> = om.keys().collect();
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
                Decision::DriftKept { observed } => {
                    drift.push(format!("customAttributes.{k} is now {observed:?}"))
                }
            }
        }
        if &after != om {
            c = c.field(UserField::CustomAttributes.as_str(), json(om), json(&after));
            patch.custom_attributes = Some(after);
        }
    }
    if !drift.is_empty() {
        cx.warn(
            Some(Rule::U4),
            target,
            format!(
                "changed by the user and kept (policy.userEditable): {}",
                drift.join(", ")
            ),
        );
    }
    if patch != ProfilePatch::default() {
        c.reason = format!("{src}; profile differs from the account");
        c.op = Op::UpdateProfile {
            email: email.clone(),
            patch,
        };
        cx.push(c);
    }

    // Type (U2).
    match decide(
        d.user_type.as_ref(),
        o.user_type.as_ref(),
        last.user_type.as_ref(),
        editable(cx, UserField::Type),
    ) {
        Decision::Keep | Decision::Clear | Decision::DriftKept { .. } => {}
        Decision::Set(to) => {
            if check_on_prem(cx, du, target) {
                let from = o.user_type.unwrap_or(UserType::Basic);
                let upgrade = to == UserType::Licensed;
                let phase = if upgrade { Phase::Edit } else { Phase::Free };
                let id = cx.push(
                    NewChange::new(
                        phase,
                        Action::ChangeUserType,
                        target,
                        format!("{src} as {}", to.as_str()),
                        Op::ChangeUserType {
                            email: email.clone(),
                            to,
                        },
                    )
                    .rule(Rule::U2)
                    .field(UserField::Type.as_str(), json(from), json(to)),
                );
                match (from == UserType::Licensed, upgrade) {
                    (false, true) => pools.consume_licence(id, du.source.clone(), target),
                    (true, false) => pools.free_licence(id),
                    (true, true) | (false, false) => {}
                }
            }
        }
    }

    // Role (U7).
    if ou.email == cx.o.owner {
        if d.role.as_ref().is_some_and(|r| *r != RoleName::Owner) {
            cx.error(
                Rule::U7,
                target,
                Some(&du.source),
                "the account owner is never demoted".into(),
            );
        }
    } else {
        match decide(
            d.role.as_ref(),
            o.role.as_ref(),
            last.role.as_ref(),
            editable(cx, UserField::Role),
        ) {
            Decision::Keep | Decision::DriftKept { .. } => {}
            Decision::Set(to) => {
                let reason = format!("{src} with role {}", to.as_str());
                change_role(cx, ou, to, Phase::Edit, reason, Some(&du.source));
            }
            Decision::Clear => {
                change_role(
                    cx,
                    ou,
                    RoleName::Member,
                    Phase::Edit,
                    "role no longer declared: back to member".into(),
                    Some(&du.source),
                );
            }
        }
    }

    // Add-ons (U3).
    let have = o.addons.clone().unwrap_or_default();
    let (add, remove) = decide_set(d.addons.as_ref(), &have, last.addons.as_ref());
    for a in remove {
        let id = cx.push(
            NewChange::new(
                Phase::Free,
                Action::RemoveAddon,
                target,
                format!("{src} without add-on {}", a.as_str()),
                Op::RemoveAddon {
                    email: email.clone(),
                    addon: a,
                },
            )
            .rule(Rule::U3)
            .part(a.as_str())
            .field(UserField::Addons.as_str(), json(&have), json(a.as_str())),
        );
        pools.free_addon(a, id);
    }
    for a in add {
        let id = cx.push(
            NewChange::new(
                Phase::Edit,
                Action::AssignAddon,
                target,
                format!("{src} with add-on {}", a.as_str()),
                Op::AssignAddon {
                    email: email.clone(),
                    addon: a,
                },
            )
            .rule(Rule::U3)
            .part(a.as_str())
            .field(UserField::Addons.as_str(), json(&have), json(a.as_str())),
        );
        pools.consume_addon(a, id, du.source.clone(), target);
    }

    // Group.
    let in_desired = d.group.as_ref().is_some_and(|g| ou.groups.contains(g));
    let group_decision = if in_desired {
        Decision::Keep
    } else {
        decide(
            d.group.as_ref(),
            o.group.as_ref(),
            last.group.as_ref(),
            editable(cx, UserField::Group),
        )
    };
    let leave = |g: Option<&String>| -> std::collections::BTreeSet<String> {
        last.group
            .iter()
            .filter(|lg| ou.groups.contains(*lg) && Some(*lg) != g)
            .cloned()
            .collect()
    };
    match group_decision {
        Decision::Keep | Decision::DriftKept { .. } => {}
        Decision::Set(g) => {
            if group_exists(cx, &g, target, &du.source) {
                let dep = cx.created.get(&ObjectRef::Group(g.clone())).cloned();
                let remove_from = leave(Some(&g));
                cx.push(
                    NewChange::new(
                        Phase::Edit,
                        Action::SetGroup,
                        target,
                        format!("{src} in group {g}"),
                        Op::SetGroup {
                            email: email.clone(),
                            group: Some(g.clone()),
                            remove_from,
                        },
                    )
                    .field(UserField::Group.as_str(), json(&o.group), json(&g))
                    .after(dep),
                );
            }
        }
        Decision::Clear => {
            let remove_from = leave(None);
            if !remove_from.is_empty() {
                cx.push(
                    NewChange::new(
                        Phase::Edit,
                        Action::SetGroup,
                        target,
                        "group no longer declared".into(),
                        Op::SetGroup {
                            email: email.clone(),
                            group: None,
                            remove_from,
                        },
                    )
                    .field(
                        UserField::Group.as_str(),
                        json(&o.group),
                        Value::Null,
                    ),
                );
            }
        }
    }

    // Chat groups.
    let have = o.chat_groups.clone().unwrap_or_default();
    let (add, remove) = decide_set(d.chat_groups.as_ref(), &have, last.chat_groups.as_ref());
    for g in remove {
        cx.push(
            NewChange::new(
                Phase::Edit,
                Action::RemoveChatGroup,
                target,
                format!("chat group {g} no longer declared for the user"),
                Op::RemoveChatGroup {
                    email: email.clone(),
                    group: g.clone(),
                },
            )
            .part(&g)
            .field(UserField::ChatGroups.as_str(), json(&g), Value::Null),
        );
    }
    for g in add {
        if chat_group_exists(cx, &g, target, &du.source) {
            let dep = cx.created.get(&ObjectRef::ChatGroup(g.clone())).cloned();
            cx.push(
                NewChange::new(
                    Phase::Edit,
                    Action::AddChatGroup,
                    target,
                    format!("{src} in chat group {g}"),
                    Op::AddChatGroup {
                        email: email.clone(),
                        group: g.clone(),
                    },
                )
                .part(&g)
                .field(UserField::ChatGroups.as_str(), Value::Null, json(&g))
                .after(dep),
            );
        }
    }
}

fn group_exists(cx: &mut Ctx<'_>, g: &str, target: &ObjectRef, source: &Source) -> bool {
    if cx.d.groups.contains_key(g) || cx.o.groups.contains_key(g) {
        return true;
    }
    cx.error(
        Rule::Manifest,
        target,
        Some(source),
        format!("group `{g}` is neither declared (kind: Group) nor on the account"),
    );
    false
}

fn chat_group_exists(cx: &mut Ctx<'_>, g: &str, target: &ObjectRef, source: &Source) -> bool {
    if cx.d.chat_groups.contains_key(g) || cx.o.chat_groups.contains_key(g) {
        return true;
    }
    cx.error(
        Rule::Manifest,
        target,
        Some(source),
        format!("chat group `{g}` is neither declared (kind: ChatGroup) nor on the account"),
    );
    false
}

/// U7: who may promote to or demote from admin.
fn actor_may_manage_admins(cx: &Ctx<'_>) -> bool {
    let o = cx.o;
    if o.actor == o.owner {
        return true;
    }
    let Some(actor) = o.users.get(&o.actor) else {
        return false;
    };
    match &actor.spec.role {
        Some(RoleName::Owner) => true,
        Some(RoleName::Custom(name)) => o
            .roles
            .get(name)
            .is_some_and(|r| r.privileges.contains("role:edit")),
        Some(RoleName::Admin) | Some(RoleName::Member) | None => false,
    }
}

/// Adds a role change (checking U7 and that the role exists); returns its id.
fn change_role(
    cx: &mut Ctx<'_>,
    ou: &ObservedUser,
    to: RoleName,
    phase: Phase,
    reason: String,
    source: Option<&Source>,
) -> Option<ChangeId> {
    let target = ObjectRef::User(ou.email.clone());
    let from = ou.spec.role.clone().unwrap_or(RoleName::Member);
    if to == RoleName::Owner {
        cx.error(
            Rule::U7,
            &target,
            source,
            "the owner role cannot be assigned; change the account owner in the web portal".into(),
        );
        return None;
    }
    if (from.is_admin_level() || to.is_admin_level()) && !actor_may_manage_admins(cx) {
        let verb = if to.is_admin_level() {
            "promote"
        } else {
            "demote"
        };
        cx.error(
            Rule::U7,
            &target,
            source,
            format!(
                "only the account owner or a role with the role:edit privilege may {verb} an admin; roster acts as {} here",
                cx.o.actor
            ),
        );
        return None;
    }
    let mut dep = None;
    if let RoleName::Custom(name) = &to {
        if !cx.d.roles.contains_key(name) && !cx.o.roles.contains_key(name) {
            cx.error(
                Rule::U7,
                &target,
                source,
                format!("role `{name}` is neither declared (kind: Role) nor on the account"),
            );
            return None;
        }
        dep = cx.created.get(&ObjectRef::Role(name.clone())).cloned();
    }
    let promotion = to.is_admin_level() && !from.is_admin_level();
    let reason = if promotion {
        format!("{reason} (promotion to admin: U7)")
    } else {
        reason
    };
    Some(
        cx.push(
            NewChange::new(
                phase,
                Action::ChangeRole,
                &target,
                reason,
                Op::ChangeRole {
                    email: ou.email.clone(),
                    to: to.clone(),
                },
            )
            .rule(Rule::U7)
            .field(
                UserField::Role.as_str(),
                json(from.as_str()),
                json(to.as_str()),
            )
            .after(dep),
        ),
    )
}

/// Takes a user out of the account with `policy.removeAction` (U13), or cancels a pending
/// invitation (U8). Admins are demoted first: Zoom refuses to disassociate them (1117) or
/// change their status (200).
pub(crate) fn remove_user(
    cx: &mut Ctx<'_>,
    pools: &mut Pools,
    ou: &ObservedUser,
    reason: String,
    source: Option<&Source>,
) {
    let target = ObjectRef::User(ou.email.clone());
    if ou.email == cx.o.owner {
        cx.error(
            Rule::U7,
            &target,
            source,
            "the account owner is never removed".into(),
        );
        return;
    }
    cx.next.users.remove(&ou.email);
    cx.next.invitations.remove(&ou.email);
    if ou.status == ObservedStatus::Pending {
        let id = cx.push(
            NewChange::new(
                Phase::Remove,
                Action::CancelInvitation,
                &target,
                format!("{reason}: the pending invitation is cancelled"),
                Op::CancelInvitation {
                    email: ou.email.clone(),
                },
            )
            .rule(Rule::U8)
            .field("status", json("pending"), Value::Null),
        );
        free_user_seats(pools, ou, &id);
        return;
    }
    match cx.d.account.policy.remove_action {
        RemoveAction::Deactivate => deactivate(cx, pools, ou, &target, reason, source),
        RemoveAction::Disassociate | RemoveAction::Delete => {
            let delete = cx.d.account.policy.remove_action == RemoveAction::Delete;
            let demoted = demote_before_removal(cx, ou, &target, source);
            let Ok(dep) = demoted else { return };
            let (action, op, to) = if delete {
                (
                    Action::DeleteUser,
                    Op::DeleteUser {
                        email: ou.email.clone(),
                    },
                    "deleted",
                )
            } else {
                (
                    Action::DisassociateUser,
                    Op::DisassociateUser {
                        email: ou.email.clone(),
                    },
                    "disassociated",
                )
            };
            let status = if ou.status == ObservedStatus::Active {
                "active"
            } else {
                "deactivated"
            };
            let id = cx.push(
                NewChange::new(
                    Phase::Remove,
                    action,
                    &target,
                    format!("{reason} (policy.removeAction)"),
                    op,
                )
                .rule(Rule::U13)
                .field("status", json(status), json(to))
                .after(dep),
            );
            free_user_seats(pools, ou, &id);
        }
    }
}

fn demote_before_removal(
    cx: &mut Ctx<'_>,
    ou: &ObservedUser,
    target: &ObjectRef,
    source: Option<&Source>,
) -> Result<Option<ChangeId>, ()> {
    if ou.spec.role.as_ref().is_some_and(|r| r.is_admin_level()) {
        let errors = cx.errors.len();
        let id = change_role(
            cx,
            ou,
            RoleName::Member,
            Phase::Free,
            "an admin must be demoted before leaving the account (Zoom 1117/200)".into(),
            source,
        );
        if cx.errors.len() > errors || id.is_none() {
            let _ = target;
            return Err(());
        }
        return Ok(id);
    }
    Ok(None)
}

fn deactivate(
    cx: &mut Ctx<'_>,
    pools: &mut Pools,
    ou: &ObservedUser,
    target: &ObjectRef,
    reason: String,
    source: Option<&Source>,
) {
    if ou.status == ObservedStatus::Inactive {
        return;
    }
    let Ok(dep) = demote_before_removal(cx, ou, target, source) else {
        return;
    };
    let id = cx.push(
        NewChange::new(
            Phase::Remove,
            Action::DeactivateUser,
            target,
            reason,
            Op::DeactivateUser {
                email: ou.email.clone(),
            },
        )
        .rule(Rule::U13)
        .field("status", json("active"), json("deactivated"))
        .after(dep),
    );
    // Deactivation removes every licence (zoom-api.md §2).
    free_user_seats(pools, ou, &id);
}

fn free_user_seats(pools: &mut Pools, ou: &ObservedUser, id: &ChangeId) {
    if ou.spec.user_type == Some(UserType::Licensed) {
        pools.free_licence(id.clone());
    }
    for a in ou.spec.addons.iter().flatten() {
        pools.free_addon(*a, id.clone());
    }
}

/// U1: user management needs a paid account and an owner or admin (or a custom role with
/// `user:edit`).
pub(crate) fn check_u1(cx: &mut Ctx<'_>) {
    let touches_users = cx
        .changes
        .iter()
        .any(|(_, c)| matches!(c.target, ObjectRef::User(_)));
    if !touches_users {
        return;
    }
    let o = cx.o;
    if !o.plan.is_paid() {
        cx.error(Rule::U1, &ObjectRef::Account, None, "user management needs a paid account (free with a credit card, Pro, Business, Education or Enterprise)".into());
    }
    let allowed = o.actor == o.owner
        || o.users
            .get(&o.actor)
            .and_then(|u| u.spec.role.as_ref())
            .is_some_and(|r| match r {
                RoleName::Owner | RoleName::Admin => true,
                RoleName::Custom(n) => o
                    .roles
                    .get(n)
                    .is_some_and(|r| r.privileges.contains("user:edit")),
                RoleName::Member => false,
            });
    if !allowed {
        cx.error(Rule::U1, &ObjectRef::Account, None, format!("roster acts as {}, who is neither owner nor admin: user management needs owner or admin privileges", o.actor));
    }
}

/// `policy.minAdmins`: admins (owner included) left once the plan is applied.
pub(crate) fn check_min_admins(cx: &mut Ctx<'_>) {
    let Some(min) = cx.d.account.policy.min_admins else {
        return;
    };
    let mut roles: std::collections::BTreeMap<&Email, bool> = cx
        .o
        .users
        .values()
        .filter(|u| u.status == ObservedStatus::Active)
        .map(|u| {
            (
                &u.email,
                u.email == cx.o.owner || u.spec.role.as_ref().is_some_and(|r| r.is_admin_level()),
            )
        })
        .collect();
    for (_, c) in &cx.changes {
        match &c.op {
            Op::ChangeRole { email, to } => {
                if let Some(v) = roles.get_mut(email) {
                    *v = to.is_admin_level();
                }
            }
            Op::DeactivateUser { email }
            | Op::DisassociateUser { email }
            | Op::DeleteUser { email } => {
                roles.remove(email);
            }
            _ => {}
        }
    }
    let admins = roles.values().filter(|a| **a).count() as u32;
    if admins < min {
        cx.error(
            Rule::Policy,
            &ObjectRef::Account,
            Some(&cx.d.account.source),
            format!("this plan leaves {admins} admin(s) (owner included), fewer than policy.minAdmins {min}"),
        );
    }
}

/// `policy.maxRemovals` with `--allow-removals N`.
pub(crate) fn check_max_removals(cx: &mut Ctx<'_>) {
    let Some(max) = cx.d.account.policy.max_removals else {
        return;
    };
    let n = cx
        .changes
        .iter()
        .filter(|(_, c)| c.action.is_user_removal())
        .count() as u32;
    let allowed = cx.options.allow_removals.unwrap_or(max).max(max);
    if n > allowed {
        cx.error(
            Rule::Policy,
            &ObjectRef::Account,
            Some(&cx.d.account.source),
            format!("this plan removes {n} users, more than policy.maxRemovals {max}; check the plan, then rerun with --allow-removals {n}"),
        );
    }
}

/// U11: at most 5 custom attributes per account, and users only use declared keys.
pub(crate) fn check_u11(cx: &mut Ctx<'_>) {
    let declared = &cx.d.account.custom_attributes;
    if declared.len() > 5 {
        let source = cx.d.account.source.clone();
        cx.error(
            Rule::U11,
            &ObjectRef::Account,
            Some(&source),
            format!(
                "{} custom attributes declared; an account has at most 5",
                declared.len()
            ),
        );
    }
    let d = cx.d;
    for u in d.users.values() {
        for key in u.spec.custom_attributes.iter().flat_map(|m| m.keys()) {
            if !declared.contains(key) {
                cx.error(
                    Rule::U11,
                    &ObjectRef::User(u.email.clone()),
                    Some(&u.source),
                    format!(
                        "custom attribute `{key}` is not declared in the Account's customAttributes"
                    ),
                );
            }
        }
    }
}
