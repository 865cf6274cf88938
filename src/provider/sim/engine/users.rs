//! The user lifecycle: create or invite (U5), resend and expire invitations (U8), accept
//! or decline them (I3, I4), deactivate and reactivate (U13), disassociate and delete
//! (U7, U13).

use super::{Done, INVITATION_DAYS, refuse};
use crate::model::{Email, ObjectRef, Rule, UserType};
use crate::provider::ProviderError;
use crate::provider::sim::cloud::{Cloud, Individual, InviteKind, SimAccount, SimStatus, SimUser};

fn already_in_account(email: &Email) -> ProviderError {
    ProviderError::api(409, 1005, format!("User already in the account: {email}."))
}

impl Cloud {
    /// A pending user invited now: an activation email, or an invitation to join when the
    /// email has a Zoom user elsewhere (U5).
    fn invited(
        &self,
        ai: usize,
        email: &Email,
        user_type: UserType,
        first_name: &Option<String>,
        last_name: &Option<String>,
    ) -> SimUser {
        let elsewhere = self.existing_elsewhere(&self.accounts[ai].id, email);
        let mut u = SimUser::new(email.clone());
        u.status = SimStatus::Pending;
        u.user_type = user_type;
        u.first_name = first_name.clone();
        u.last_name = last_name.clone();
        u.invited_at = Some(self.clock);
        u.invite = Some(match elsewhere {
            Some(_) => InviteKind::Join,
            None => InviteKind::Activation,
        });
        u
    }

    /// U5: the user joins pending; 1005 when already in the account.
    pub(super) fn create_user(
        &mut self,
        ai: usize,
        email: &Email,
        user_type: UserType,
        first_name: &Option<String>,
        last_name: &Option<String>,
    ) -> Result<Done, ProviderError> {
        let u = self.invited(ai, email, user_type, first_name, last_name);
        let a = &mut self.accounts[ai];
        if a.user(email).is_some() {
            return Err(already_in_account(email));
        }
        a.check_type(email, user_type)?;
        a.expired_invitations.remove(email);
        let action = match u.invite {
            Some(InviteKind::Join) => "invite_user",
            Some(InviteKind::Activation) | None => "create_user",
        };
        a.users.push(u);
        Ok(Done::new(action, ObjectRef::User(email.clone()))
            .detail(format!("type={}", user_type.as_str())))
    }

    /// U8: Zoom has no resend endpoint: the pending user is disassociated and created
    /// again (zoom-api.md §2). Either way the 30-day clock restarts.
    pub(super) fn resend_invitation(
        &mut self,
        ai: usize,
        email: &Email,
        user_type: UserType,
        first_name: &Option<String>,
        last_name: &Option<String>,
    ) -> Result<Done, ProviderError> {
        let u = self.invited(ai, email, user_type, first_name, last_name);
        let a = &mut self.accounts[ai];
        let pending = a.users.iter().position(|u| &u.email == email);
        if let Some(i) = pending
            && a.users[i].status != SimStatus::Pending
        {
            return Err(already_in_account(email));
        }
        // Checked before the pending user goes, so a refusal changes nothing (the check
        // leaves `email`'s own seat out either way).
        a.check_type(email, user_type)?;
        if let Some(i) = pending {
            a.users.remove(i);
        }
        a.expired_invitations.remove(email);
        a.users.push(u);
        Ok(Done::new(
            "resend_invitation",
            ObjectRef::User(email.clone()),
        ))
    }

    /// U13: an unlinked user becomes an individual Zoom user again, keeping their data
    /// but not the account's licence. U7: admins cannot be disassociated.
    pub(super) fn disassociate(&mut self, ai: usize, email: &Email) -> Result<Done, ProviderError> {
        let a = &mut self.accounts[ai];
        let i = a.user_index(email)?;
        if a.users[i].is_admin_level() {
            return Err(refuse(
                400,
                1117,
                Rule::U7,
                format!("Admin users cannot be disassociated: {email}."),
            ));
        }
        let u = a.users.remove(i);
        if u.status != SimStatus::Pending {
            self.individuals.push(Individual {
                email: u.email.clone(),
                user_type: UserType::Basic,
                first_name: u.first_name,
                last_name: u.last_name,
            });
        }
        Ok(Done::new(
            "disassociate_user",
            ObjectRef::User(email.clone()),
        ))
    }

    /// U8: pending invitations older than 30 days leave the pending list.
    pub fn expire_invitations(&mut self) {
        let now = self.clock;
        let mut expired = Vec::new();
        for a in &mut self.accounts {
            let mut keep = Vec::with_capacity(a.users.len());
            for u in a.users.drain(..) {
                let sent = u.invited_at.unwrap_or(now);
                if u.status == SimStatus::Pending
                    && sent + chrono::Duration::days(INVITATION_DAYS) <= now
                {
                    a.expired_invitations.insert(u.email.clone(), sent);
                    expired.push((a.id.clone(), u.email.clone()));
                } else {
                    keep.push(u);
                }
            }
            a.users = keep;
        }
        for (account, email) in expired {
            self.record(
                &account,
                "zoom",
                "invitation_expired",
                Some(ObjectRef::User(email)),
                Some("U8: 30 days".into()),
            );
        }
    }

    /// The invited person accepts (U5). I3: refused with 1009 while the account they own
    /// still holds other users or a Zoom Room; I4: profile moves, licences do not.
    pub fn accept(&mut self, email: &Email) -> Result<String, ProviderError> {
        self.expire_invitations();
        let (ai, ui) = self
            .pending(email)
            .ok_or_else(|| ProviderError::api(404, 1001, format!("No pending invitation for {email} (expired invitations cannot be accepted, U8).")))?;
        let target = self.accounts[ai].id.clone();
        self.check_own_account_empty(&target, email)?;
        let moved_names = self.leave_elsewhere(&target, email);
        let id = self.fresh_id("u");
        let u = &mut self.accounts[ai].users[ui];
        u.status = SimStatus::Active;
        // Zoom gives the user its id when it is created; accepting keeps it.
        u.id = u.id.take().or(Some(id));
        u.invited_at = None;
        u.invite = None;
        if let Some((f, l)) = moved_names {
            if u.first_name.is_none() {
                u.first_name = f;
            }
            if u.last_name.is_none() {
                u.last_name = l;
            }
        }
        self.record(
            &target,
            email.as_str(),
            "accept_invitation",
            Some(ObjectRef::User(email.clone())),
            None,
        );
        Ok(target)
    }

    /// I3: someone who owns another account joins only once it holds nobody else and no
    /// Zoom Room.
    fn check_own_account_empty(&self, target: &str, email: &Email) -> Result<(), ProviderError> {
        let Some(own) = self
            .accounts
            .iter()
            .find(|a| a.id != target && &a.owner == email)
        else {
            return Ok(());
        };
        let others = own.users.iter().filter(|u| &u.email != email).count();
        if others > 0 || own.zoom_rooms > 0 {
            return Err(refuse(
                400,
                1009,
                Rule::I3,
                format!(
                    "{email} still owns account {} with {others} other user(s) and {} Zoom Room(s): remove, unlink or invite them elsewhere first. The invitation stays pending.",
                    own.id, own.zoom_rooms
                ),
            ));
        }
        Ok(())
    }

    /// I4: the joining user leaves their individual user, their other account and the
    /// (empty) account they owned; their names move with them, licences and add-ons stay.
    fn leave_elsewhere(
        &mut self,
        target: &str,
        email: &Email,
    ) -> Option<(Option<String>, Option<String>)> {
        let mut moved_names = None;
        if let Some(i) = self.individuals.iter().position(|i| &i.email == email) {
            let ind = self.individuals.remove(i);
            moved_names = Some((ind.first_name, ind.last_name));
        }
        for a in self.accounts.iter_mut().filter(|a| a.id != target) {
            if let Some(i) = a
                .users
                .iter()
                .position(|u| &u.email == email && u.status != SimStatus::Pending)
            {
                let u = a.users.remove(i);
                moved_names = Some((u.first_name, u.last_name));
            }
        }
        self.accounts
            .retain(|a| !(a.id != target && &a.owner == email));
        moved_names
    }

    /// The invited person declines: the pending user leaves the account.
    pub fn decline(&mut self, email: &Email) -> Result<String, ProviderError> {
        self.expire_invitations();
        let (ai, ui) = self.pending(email).ok_or_else(|| {
            ProviderError::api(404, 1001, format!("No pending invitation for {email}."))
        })?;
        self.accounts[ai].users.remove(ui);
        let target = self.accounts[ai].id.clone();
        self.record(
            &target,
            email.as_str(),
            "decline_invitation",
            Some(ObjectRef::User(email.clone())),
            None,
        );
        Ok(target)
    }

    fn pending(&self, email: &Email) -> Option<(usize, usize)> {
        self.accounts.iter().enumerate().find_map(|(ai, a)| {
            a.users
                .iter()
                .position(|u| &u.email == email && u.status == SimStatus::Pending)
                .map(|ui| (ai, ui))
        })
    }
}

impl SimAccount {
    /// U8: a pending invitation is withdrawn.
    pub(super) fn cancel_invitation(&mut self, email: &Email) -> Result<Done, ProviderError> {
        let i = self.user_index(email)?;
        if self.users[i].status != SimStatus::Pending {
            return Err(refuse(
                400,
                300,
                Rule::U8,
                format!("{email} is not a pending user."),
            ));
        }
        self.users.remove(i);
        Ok(Done::new(
            "cancel_invitation",
            ObjectRef::User(email.clone()),
        ))
    }

    /// U13: an active member stops being able to sign in (U7: admins' status is fixed).
    pub(super) fn deactivate(&mut self, email: &Email) -> Result<Done, ProviderError> {
        let i = self.user_index(email)?;
        if self.users[i].is_admin_level() {
            return Err(refuse(
                400,
                200,
                Rule::U7,
                format!("The status of admin users cannot be changed: {email}."),
            ));
        }
        if self.users[i].status != SimStatus::Active {
            return Err(refuse(
                400,
                300,
                Rule::U13,
                format!("{email} is not an active user."),
            ));
        }
        self.users[i].status = SimStatus::Inactive;
        Ok(Done::new("deactivate_user", ObjectRef::User(email.clone())))
    }

    /// U13: a deactivated user signs in again; a licensed one takes a seat back (U2).
    pub(super) fn activate(&mut self, email: &Email) -> Result<Done, ProviderError> {
        let i = self.user_index(email)?;
        if self.users[i].status != SimStatus::Inactive {
            return Err(refuse(
                400,
                300,
                Rule::U13,
                format!("{email} is not deactivated."),
            ));
        }
        if self.users[i].user_type == UserType::Licensed
            && let Some(cap) = self.seats.licensed
            && self.licensed_in_use(Some(email)) >= cap
        {
            return Err(refuse(
                400,
                3412,
                Rule::U2,
                "Your request was not accepted because the paying-user maximum has been reached.",
            ));
        }
        self.users[i].status = SimStatus::Active;
        Ok(Done::new("activate_user", ObjectRef::User(email.clone())))
    }

    /// U13: the user and their data go (U7: never the owner; pending users are
    /// disassociated instead).
    pub(super) fn delete_user(&mut self, email: &Email) -> Result<Done, ProviderError> {
        let i = self.user_index(email)?;
        if self.users[i].role == crate::model::RoleName::Owner {
            return Err(refuse(
                400,
                200,
                Rule::U7,
                "The account owner cannot be deleted.",
            ));
        }
        if self.users[i].status == SimStatus::Pending {
            return Err(refuse(
                400,
                300,
                Rule::U8,
                format!("Pending users must be removed with action=disassociate: {email}."),
            ));
        }
        if self.users[i].status == SimStatus::Inactive {
            // users-api.json, DELETE /users/{userId}: 400/200 (issue 10, item 6).
            return Err(refuse(
                400,
                200,
                Rule::U13,
                format!(
                    "Unable to delete this deactivated user: {email} must be activated (or disassociated) first."
                ),
            ));
        }
        self.users.remove(i);
        Ok(Done::new("delete_user", ObjectRef::User(email.clone())))
    }
}
