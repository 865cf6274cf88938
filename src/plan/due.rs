//! The next time-based event of an account: when, with no one touching anything, the
//! plan would change because time passed. The plan carries it ([`super::Plan::next_event`])
//! and the daemon wakes exactly then, so the U8 and `expires` timing lives only here.
//!
//! Pure: works on the model values the planner used, on the provider's clock.

use super::users::INVITATION_LIFETIME_DAYS;
use crate::model::{Desired, DesiredStatus, LastApplied, Observed, ObservedStatus, Timestamp};

/// A time-based event.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Due {
    /// When, on the provider's clock.
    pub at: Timestamp,
    /// What happens then, for logs and `/status`.
    pub what: String,
}

/// The first event strictly after the observation: a pending invitation of a declared
/// user reaching `policy.invitations.resendAfter` or expiring (U8), or a declared user's
/// `expires` date arriving. Events at or before the observation were in the plan just
/// made (or failed, and the retry backoff owns them).
pub fn next_due(desired: &Desired, observed: &Observed, last: &LastApplied) -> Option<Due> {
    let now = observed.observed_at;
    let mut events: Vec<Due> = Vec::new();
    let lifetime = chrono::Duration::days(INVITATION_LIFETIME_DAYS);
    for du in desired.users.values() {
        if du.status == DesiredStatus::Absent {
            continue;
        }
        let ou = observed.users.get(&du.email);
        let recorded = last.invitations.get(&du.email).copied();
        // Pending now, or invited by the plan just made (`last` is the plan's next
        // LastApplied, so an invitation sent or re-sent now carries the new time).
        let sent = match ou {
            // Option's order puts None first: the later of the two known times.
            Some(ou) if ou.status == ObservedStatus::Pending => ou.invited_at.max(recorded),
            Some(_) => None,
            None => recorded,
        };
        if let Some(sent) = sent {
            if let Some(after) = desired.account.policy.resend_after {
                events.push(Due {
                    at: sent + after,
                    what: format!("the invitation of {} reaches resendAfter (U8)", du.email),
                });
            }
            events.push(Due {
                at: sent + lifetime,
                what: format!("the invitation of {} expires (U8)", du.email),
            });
        }
        if let Some(day) = du.expires
            && ou.is_some()
            && let Some(midnight) = day.and_hms_opt(0, 0, 0)
        {
            events.push(Due {
                at: midnight.and_utc(),
                what: format!("{} expires ({day})", du.email),
            });
        }
    }
    events
        .into_iter()
        .filter(|e| e.at > now)
        .min_by(|a, b| a.at.cmp(&b.at).then_with(|| a.what.cmp(&b.what)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        AccountPlan, AccountSpec, DesiredUser, Email, ObservedUser, Policy, ProviderConfig, Seats,
        SimConfig, Source, UserSpec,
    };

    fn t(s: &str) -> Timestamp {
        s.parse().expect("timestamp")
    }

    fn email(s: &str) -> Email {
        Email::parse(s).expect("email")
    }

    fn desired(users: &[(&str, Option<&str>)], resend_after_days: Option<i64>) -> Desired {
        Desired {
            account: AccountSpec {
                name: "acme".into(),
                owner: email("owner@acme.com"),
                provider: ProviderConfig::Sim(SimConfig::default()),
                defaults: Default::default(),
                custom_attributes: vec![],
                seats: Seats::default(),
                policy: Policy {
                    resend_after: resend_after_days.map(chrono::Duration::days),
                    ..Policy::default()
                },
                resync: None,
                existing: Default::default(),
                source: Source::new("account.yaml", 1, 1),
            },
            users: users
                .iter()
                .map(|(e, expires)| {
                    (
                        email(e),
                        DesiredUser {
                            email: email(e),
                            spec: UserSpec::default(),
                            status: DesiredStatus::Active,
                            expires: expires.map(|d| d.parse().expect("date")),
                            source: Source::new("users.yaml", 1, 1),
                        },
                    )
                })
                .collect(),
            groups: Default::default(),
            chat_groups: Default::default(),
            roles: Default::default(),
            organization: None,
            external_contacts: Default::default(),
            personal_contacts: Default::default(),
            integrations: Default::default(),
            calendly: None,
        }
    }

    fn observed(now: &str, users: &[(&str, ObservedStatus, Option<&str>)]) -> Observed {
        Observed {
            account_id: "acme".into(),
            observed_at: t(now),
            plan: AccountPlan::Business,
            owner: email("owner@acme.com"),
            actor: email("owner@acme.com"),
            on_prem_enabled: false,
            seats: Seats::default(),
            users: users
                .iter()
                .map(|(e, status, invited)| {
                    (
                        email(e),
                        ObservedUser {
                            email: email(e),
                            id: None,
                            status: *status,
                            spec: UserSpec::default(),
                            groups: Default::default(),
                            invited_at: invited.map(t),
                        },
                    )
                })
                .collect(),
            groups: Default::default(),
            chat_groups: Default::default(),
            roles: Default::default(),
            expired_invitations: Default::default(),
            existing_elsewhere: Default::default(),
            unread_lookups: Default::default(),
            organization: Default::default(),
            external_contacts: None,
            personal_contacts: Default::default(),
            personal_contacts_refused: None,
            integrations: Default::default(),
            calendly: None,
        }
    }

    #[test]
    fn a_pending_invitation_is_due_at_resend_after() {
        let d = desired(&[("erin@acme.com", None)], Some(25));
        let o = observed(
            "2026-11-01T09:00:00Z",
            &[(
                "erin@acme.com",
                ObservedStatus::Pending,
                Some("2026-10-10T12:00:00Z"),
            )],
        );
        let due = next_due(&d, &o, &LastApplied::default()).expect("due");
        assert_eq!(due.at, t("2026-11-04T12:00:00Z"));
        assert!(due.what.contains("resendAfter"), "{}", due.what);
    }

    #[test]
    fn without_resend_after_the_u8_expiry_is_due() {
        let d = desired(&[("erin@acme.com", None)], None);
        let o = observed(
            "2026-11-01T09:00:00Z",
            &[("erin@acme.com", ObservedStatus::Pending, None)],
        );
        let mut last = LastApplied::default();
        last.invitations
            .insert(email("erin@acme.com"), t("2026-10-20T08:00:00Z"));
        let due = next_due(&d, &o, &last).expect("due");
        assert_eq!(
            due.at,
            t("2026-11-19T08:00:00Z"),
            "30 days after roster sent it"
        );
    }

    #[test]
    fn an_expires_date_is_due_at_its_midnight_utc_and_the_earliest_event_wins() {
        let d = desired(
            &[
                ("gina@acme.com", Some("2026-11-03")),
                ("erin@acme.com", None),
            ],
            Some(25),
        );
        let o = observed(
            "2026-11-01T09:00:00Z",
            &[
                ("gina@acme.com", ObservedStatus::Active, None),
                (
                    "erin@acme.com",
                    ObservedStatus::Pending,
                    Some("2026-10-12T00:00:00Z"),
                ),
            ],
        );
        let due = next_due(&d, &o, &LastApplied::default()).expect("due");
        assert_eq!(due.at, t("2026-11-03T00:00:00Z"));
        assert!(
            due.what.starts_with("gina@acme.com expires"),
            "{}",
            due.what
        );
    }

    #[test]
    fn an_invitation_sent_by_the_plan_counts_from_now() {
        let d = desired(&[("erin@acme.com", None), ("new@acme.com", None)], Some(25));
        // Observed before the plan re-sent erin's invitation and invited new@.
        let o = observed(
            "2026-11-01T09:00:00Z",
            &[(
                "erin@acme.com",
                ObservedStatus::Pending,
                Some("2026-10-05T09:00:00Z"),
            )],
        );
        let mut next = LastApplied::default();
        next.invitations
            .insert(email("erin@acme.com"), t("2026-11-01T09:00:00Z"));
        next.invitations
            .insert(email("new@acme.com"), t("2026-11-01T09:00:00Z"));
        let due = next_due(&d, &o, &next).expect("due");
        assert_eq!(
            due.at,
            t("2026-11-26T09:00:00Z"),
            "25 days after the resend"
        );
    }

    #[test]
    fn events_already_passed_or_absent_users_schedule_nothing() {
        let d = desired(&[("gina@acme.com", Some("2026-10-01"))], Some(25));
        let o = observed(
            "2026-11-01T09:00:00Z",
            &[("gina@acme.com", ObservedStatus::Active, None)],
        );
        assert_eq!(next_due(&d, &o, &LastApplied::default()), None);
        let d = desired(&[("new@acme.com", Some("2027-01-01"))], Some(25));
        assert_eq!(
            next_due(&d, &o, &LastApplied::default()),
            None,
            "not in the account: nothing will expire"
        );
    }
}
