//! The Zoom web portal steps of the operations Zoom exposes no API for (seeds 000 and
//! 002): on this provider they become manual changes that a person makes and confirms with
//! `roster confirm`. The simulator performs them itself and has no steps.

use crate::model::Op;

/// The portal steps of `op`, or `None` when Zoom has an API for it.
///
/// Total over [`Op`]: a new operation must say here whether Zoom has an API for it.
pub fn manual_steps(op: &Op) -> Option<Vec<String>> {
    let chat = "Sign in to the Zoom web portal as an admin allowed to edit chat settings; open Account Management > Chat Management > Chat Settings; find \"Link accounts to an organization\"".to_string();
    let steps = match op {
        Op::CreateOrganization { name } => vec![chat, "Click \"Create a new organization\"".into(), format!("Enter the organization name \"{name}\""), "Enter the email of the first account to invite (the next invite_account change), then click Create".into()],
        Op::InviteAccount { email } => vec![chat, "Click \"Invite accounts\"".into(), format!("Enter {email} (the account's owner, or an admin allowed to edit chat settings) and send")],
        Op::ResendAccountInvitation { email } => vec![chat, format!("In the pending invitations, click \"Resend request\" next to {email}")],
        Op::UnlinkAccount { email } => vec![chat, format!("Click \"Unlink\" next to the account invited as {email}")],
        Op::RequestLink { owner } => vec![chat, "Click \"Link to an existing organization\"".into(), format!("Enter the organization owner's email {owner}"), "Click \"Send link request\"".into()],
        Op::DeleteOrganization { name } => vec![chat, format!("Delete the organization \"{name}\" (only the owning account can)")],
        Op::RemoveExternalContact { user, contact } => vec![
            "Sign in to the Zoom web portal as an admin; open User Management > Users".into(),
            "Click the gear icon above the table, choose External contacts, and confirm".into(),
            format!("Click the number in the External contacts column of {user}"),
            format!("On the row of {contact}, click the ellipsis, then \"Remove from account\"" ),
        ],
        Op::ConnectIntegration { user, service, .. } => connect_steps(user, *service),
        Op::ConnectCalendly {
            organization,
            zoom_admin,
            meeting_summary,
            allow_user_disconnect,
        } => calendly_connect_steps(organization, zoom_admin, *meeting_summary, *allow_user_disconnect),
        Op::ReconnectCalendly {
            organization,
            zoom_admin,
            previous,
        } => calendly_reconnect_steps(organization, zoom_admin, previous),
        Op::SetCalendlyOptions {
            organization,
            meeting_summary,
            allow_user_disconnect,
        } => calendly_options_steps(organization, *meeting_summary, *allow_user_disconnect),
        Op::ReplacePersonalContactsByHand {
            user,
            group,
            contacts,
        } => by_hand_steps(user, group, contacts),
        Op::CreateUser { .. }
        | Op::ResendInvitation { .. }
        | Op::CancelInvitation { .. }
        | Op::UpdateProfile { .. }
        | Op::ChangeUserType { .. }
        | Op::ChangeRole { .. }
        | Op::AssignAddon { .. }
        | Op::RemoveAddon { .. }
        | Op::SetGroup { .. }
        | Op::AddChatGroup { .. }
        | Op::RemoveChatGroup { .. }
        | Op::DeactivateUser { .. }
        | Op::ActivateUser { .. }
        | Op::DisassociateUser { .. }
        | Op::DeleteUser { .. }
        | Op::CreateGroup { .. }
        | Op::DeleteGroup { .. }
        | Op::CreateChatGroup { .. }
        | Op::DeleteChatGroup { .. }
        | Op::CreateRole { .. }
        | Op::UpdateRole { .. }
        | Op::DeleteRole { .. }
        | Op::RequestExternalContact { .. }
        | Op::ReplacePersonalContacts { .. } => return None,
    };
    Some(steps)
}

/// K5–K7 by hand: Zoom refused to list personal contacts (404/2300), so the person who
/// holds the group (or an admin signed in as them) makes it equal to the list.
fn by_hand_steps(
    user: &crate::model::Email,
    group: &str,
    contacts: &[crate::model::PersonalContact],
) -> Vec<String> {
    let mut steps = vec![
        format!("Sign in to the Zoom Workplace app as {user}; open Contacts > Personal contacts"),
        format!("Open the group \"{group}\" (create it if it is missing)"),
        format!(
            "Make it hold exactly the {} contact(s) below, removing any other:",
            contacts.len()
        ),
    ];
    steps.extend(contacts.iter().map(|c| format!("  {}", c.describe())));
    steps
}

/// Seed 004: the user connects the integration in the Zoom Workplace app (the OAuth
/// consent or the Exchange password is theirs; no admin can do it for them).
fn connect_steps(
    user: &crate::model::Email,
    service: crate::model::IntegrationService,
) -> Vec<String> {
    use crate::model::IntegrationService;
    let consent = match service {
        IntegrationService::Google => "Google: sign in to the Google account on Google's page and click Allow, so that Zoom may read the contacts and Google Calendar".to_string(),
        IntegrationService::Office365 => "Office 365: sign in with the Microsoft 365 account and accept the permissions Zoom asks for (contacts and calendar, through Microsoft Graph)".to_string(),
        IntegrationService::Exchange => "Exchange: enter the Exchange username or UPN, the Exchange password, the Exchange version and the organization's EWS URL".to_string(),
    };
    vec![
        format!("{user} (not an admin: the authorisation is theirs) opens the Zoom Workplace desktop app, selects the Profile tab on the left and scrolls to Other"),
        format!("Under Calendar and Contacts Integration, select \"Set up calendar and contacts integration\" and choose {}", service.display()),
        "Click Next and follow the on-screen instructions to give Zoom access to the contacts and calendar service".into(),
        consent,
        "After authorising, the Zoom web portal opens and shows the calendar and contact integration permissions; then run `roster confirm` with this change's id".into(),
    ]
}

/// Seed 003: a Calendly owner or admin starts the organization connection; only a Zoom
/// admin can complete it (C1).
fn calendly_connect_steps(
    organization: &str,
    zoom_admin: &crate::model::Email,
    meeting_summary: bool,
    allow_user_disconnect: bool,
) -> Vec<String> {
    let mut steps = vec![
        format!(
            "Sign in to Calendly as an owner or admin of the organization \"{organization}\" (C1); open Integrations & apps from the home screen"
        ),
        "Select the Zoom integration, then click \"Connect Zoom for my organization\"".to_string(),
        format!(
            "Find the link Calendly gives; unless you are {zoom_admin}, copy it and send it to {zoom_admin}"
        ),
        format!(
            "{zoom_admin} (a Zoom admin: Zoom tells whoever else tries that they are not the right admin) follows the link, signs in to Zoom and finishes the setup"
        ),
    ];
    steps.extend(calendly_options_lines(
        meeting_summary,
        allow_user_disconnect,
    ));
    steps.push(confirm_line());
    steps
}

/// C2: the Zoom user that completed the connection must stay an admin; before it stops
/// being one, the connection is redone with another Zoom admin.
fn calendly_reconnect_steps(
    organization: &str,
    zoom_admin: &crate::model::Email,
    previous: &crate::model::Email,
) -> Vec<String> {
    vec![
        format!(
            "C2: the connection of \"{organization}\" goes through {previous}, who is about to lose (or lost) the Zoom admin role; redo it with {zoom_admin}"
        ),
        format!(
            "Sign in to Calendly as an owner or admin of \"{organization}\"; open Integrations & apps, select the Zoom integration"
        ),
        "Click \"Connect Zoom for my organization\" and find the link Calendly gives".to_string(),
        format!("{zoom_admin} follows the link, signs in to Zoom and finishes the setup"),
        format!(
            "Do this before {previous} is demoted or removed (roster applies that change only once this one is confirmed)"
        ),
        confirm_line(),
    ]
}

/// C5: the two options of Calendly's Zoom integration page.
fn calendly_options_steps(
    organization: &str,
    meeting_summary: bool,
    allow_user_disconnect: bool,
) -> Vec<String> {
    let mut steps = vec![format!(
        "Sign in to Calendly as an owner or admin of \"{organization}\"; open Integrations & apps, select the Zoom integration"
    )];
    steps.extend(calendly_options_lines(
        meeting_summary,
        allow_user_disconnect,
    ));
    steps.push(confirm_line());
    steps
}

fn calendly_options_lines(meeting_summary: bool, allow_user_disconnect: bool) -> Vec<String> {
    let on = |b: bool| if b { "on" } else { "off" };
    vec![
        format!(
            "On the Zoom integration page, turn {} \"Automatically enable Zoom meeting summary for all your meetings\"",
            on(meeting_summary)
        ),
        format!(
            "Turn {} \"Allow users to disconnect this integration\"",
            on(allow_user_disconnect)
        ),
    ]
}

fn confirm_line() -> String {
    "Then run `roster confirm` with this change's id; roster checks it against what Calendly shows (memberships, locations)".into()
}
