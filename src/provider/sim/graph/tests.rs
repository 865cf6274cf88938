//! The mailbox's rules: ids across moves, etags, delta rounds and their expiry, token
//! rotation (K4).

use super::delta::DeltaFrom;
use super::*;

fn now() -> Timestamp {
    "2026-11-01T09:00:00Z".parse().expect("time")
}

fn named(n: &str) -> ContactFields {
    ContactFields {
        display_name: Some(n.into()),
        ..ContactFields::default()
    }
}

/// Follows a delta round to its end: rows and the delta token.
fn round(m: &GraphMailbox, scope: &Scope, from: DeltaFrom<'_>) -> (Vec<DeltaRow>, String) {
    let mut rows = Vec::new();
    let mut page = m.delta(scope, from, 2, now()).expect("delta");
    loop {
        rows.extend(page.rows.clone());
        match page.next {
            Ok(skip) => {
                page = m
                    .delta(scope, DeltaFrom::Skip(&skip), 2, now())
                    .expect("page")
            }
            Err(delta) => return (rows, delta),
        }
    }
}

#[test]
fn a_move_keeps_the_immutable_id_changes_the_rest_id_and_shows_in_both_folders_deltas() {
    let mut m = GraphMailbox::default();
    let work = m.add_folder("Work", None).expect("folder");
    let i = m.create_contact(None, named("Ada"), now()).expect("create");
    let (imm, rest) = (m.contacts[i].id.clone(), m.contacts[i].rest_id());
    let default = Scope::Contacts(DEFAULT_FOLDER.into());
    let (rows, token) = round(&m, &default, DeltaFrom::Start);
    assert_eq!(rows, vec![DeltaRow::Changed(imm.clone())]);
    let (_, work_token) = round(&m, &Scope::Contacts(work.clone()), DeltaFrom::Start);
    m.update_contact(&imm, None, |_| {}, Some(&work), now())
        .expect("move");
    assert_eq!(m.contacts[i].id, imm);
    assert_ne!(m.contacts[i].rest_id(), rest);
    let (rows, _) = round(&m, &default, DeltaFrom::Delta(&token));
    assert_eq!(rows, vec![DeltaRow::Removed(imm.clone())]);
    let (rows, _) = round(&m, &Scope::Contacts(work), DeltaFrom::Delta(&work_token));
    assert_eq!(rows, vec![DeltaRow::Changed(imm)]);
}

#[test]
fn a_stale_etag_is_refused_and_every_write_moves_the_etag() {
    let mut m = GraphMailbox::default();
    let i = m.create_contact(None, named("Ada"), now()).expect("create");
    let (id, etag) = (m.contacts[i].id.clone(), m.contacts[i].etag());
    m.update_contact(
        &id,
        Some(&etag),
        |f| f.company_name = Some("X".into()),
        None,
        now(),
    )
    .expect("update");
    assert_ne!(m.contacts[i].etag(), etag);
    assert_eq!(
        m.delete_contact(&id, Some(&etag)),
        Err(GraphError::Precondition)
    );
    let fresh = m.contacts[i].etag();
    m.delete_contact(&id, Some(&fresh)).expect("delete");
}

#[test]
fn a_delta_link_expires_after_its_age_and_on_demand() {
    let mut m = GraphMailbox::default();
    m.create_contact(None, named("Ada"), now()).expect("create");
    let scope = Scope::Contacts(DEFAULT_FOLDER.into());
    let (_, token) = round(&m, &scope, DeltaFrom::Start);
    let late = now() + chrono::Duration::days(DELTA_TTL_DAYS + 1);
    assert_eq!(
        m.delta(&scope, DeltaFrom::Delta(&token), 10, late),
        Err(GraphError::Gone)
    );
    assert!(m.delta(&scope, DeltaFrom::Delta(&token), 10, now()).is_ok());
    m.expire_cursors();
    assert_eq!(
        m.delta(&scope, DeltaFrom::Delta(&token), 10, now()),
        Err(GraphError::Gone)
    );
}

#[test]
fn a_used_refresh_token_stops_working_once_its_successor_is_used() {
    let mut g = tokens::Grant {
        refresh_token: Some("seed".into()),
        ..tokens::Grant::default()
    };
    let t1 = g.redeem("seed", "ada@x.org").expect("first");
    // The answer was lost: the old token still works, and replaces the unused successor.
    let t1b = g.redeem("seed", "ada@x.org").expect("retry");
    assert!(g.accepts(&t1).is_err());
    let t2 = g.redeem(&t1b, "ada@x.org").expect("second");
    assert!(
        matches!(g.redeem("seed", "ada@x.org"), Err(GraphError::InvalidGrant(m)) if m.starts_with("AADSTS70000"))
    );
    g.revoke();
    assert!(
        matches!(g.redeem(&t2, "ada@x.org"), Err(GraphError::InvalidGrant(m)) if m.starts_with("AADSTS50173"))
    );
}
