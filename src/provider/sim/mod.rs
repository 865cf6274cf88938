//! The embedded simulator of a Zoom cloud (several accounts and individual users).
