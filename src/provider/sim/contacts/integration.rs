//! Calendar and contact integrations (K4) in the simulator: connecting one (what the user
//! does through OAuth consent on real Zoom), the account's default service and lock, and
//! what a refresh sees. Zoom itself has no API for any of this; the simulator models what
//! the portal shows.

use super::{Done, refuse};
use crate::model::{
    Email, IntegrationObservation, IntegrationService, IntegrationStatus, ObjectRef,
    ObservedIntegration, Rule,
};
use crate::provider::ProviderError;
use crate::provider::sim::cloud::{Cloud, SimAccount, SimStatus};

impl Cloud {
    /// K4: connects `user`'s integration with `service` (one service at a time: another
    /// one is replaced). Refused when the account locks a different default service.
    pub(in crate::provider::sim) fn connect_integration(
        &mut self,
        ai: usize,
        user: &Email,
        service: IntegrationService,
        calendar: bool,
        contacts: bool,
    ) -> Result<Done, ProviderError> {
        let a = &mut self.accounts[ai];
        check_connect(a, user, service)?;
        let previous = a.integrations.get(user).and_then(|i| i.last_sync);
        let same = a
            .integrations
            .get(user)
            .is_some_and(|i| i.service == service);
        a.integrations.insert(
            user.clone(),
            ObservedIntegration {
                service,
                calendar,
                contacts,
                status: IntegrationStatus::Connected,
                last_sync: previous.filter(|_| same),
            },
        );
        Ok(
            Done::new("connect_integration", ObjectRef::Integration(user.clone()))
                .detail(service.as_str().to_string()),
        )
    }
}

fn check_connect(
    a: &SimAccount,
    user: &Email,
    service: IntegrationService,
) -> Result<(), ProviderError> {
    if !a
        .users
        .iter()
        .any(|u| &u.email == user && u.status == SimStatus::Active)
    {
        return Err(ProviderError::api(
            404,
            1001,
            format!("User does not exist or is not active: {user}."),
        ));
    }
    let d = a.integration_defaults;
    match d.service {
        Some(locked) if d.locked && locked != service => Err(refuse(
            400,
            Rule::K4,
            format!(
                "The account locks the calendar and contact integration to {}: {user} cannot connect {}.",
                locked.display(),
                service.display()
            ),
        )),
        Some(_) | None => Ok(()),
    }
}

/// What a refresh sees of the integrations (the simulator can read them; Zoom cannot).
pub fn observe_integrations(a: &SimAccount) -> IntegrationObservation {
    IntegrationObservation {
        users: a.integrations.clone(),
        defaults: a.integration_defaults,
    }
}

/// Sets the account's default service and lock; locking disconnects the users whose
/// service differs, who must then authorise again (integrations.md).
pub fn set_defaults(a: &mut SimAccount, service: Option<IntegrationService>, locked: bool) {
    a.integration_defaults.service = service;
    a.integration_defaults.locked = locked && service.is_some();
    if let (Some(s), true) = (service, a.integration_defaults.locked) {
        for i in a.integrations.values_mut().filter(|i| i.service != s) {
            i.status = IntegrationStatus::Disconnected;
        }
    }
}

/// The user's authorisation was revoked or expired (`invalid_grant`): Zoom shows the
/// integration as needing re-authorisation. `false` when the user has none.
pub fn revoke(a: &mut SimAccount, user: &Email) -> bool {
    match a.integrations.get_mut(user) {
        Some(i) => {
            i.status = IntegrationStatus::NeedsReauthorisation;
            true
        }
        None => false,
    }
}
