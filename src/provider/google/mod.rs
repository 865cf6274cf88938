//! Google People as a side of the contact sync (K4): `GoogleSource` speaks the People API
//! over HTTP, `SimGoogleSource` gives the same answers straight from the simulator's
//! address books; both implement `sync::ContactSource`.

pub mod wire;
