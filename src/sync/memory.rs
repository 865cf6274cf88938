//! An in-memory [`ContactSource`] with the faults the real services have: cursors that
//! expire, etags that move without a content change, writes that show up in listings
//! late (Google), writes refused part-way through a run, and answers lost after the write
//! was made. The engine's tests and property test run on it; it is the reference the
//! HTTP fakes of `roster sim serve` follow.

use super::contact::Contact;
use super::source::{ContactSource, Item, Listing, SourceError, WriteOp, Written};
use super::status::Cursor;
use async_trait::async_trait;
use std::collections::{BTreeMap, BTreeSet};

/// A roster write made but not yet visible in listings.
#[derive(Debug, Clone)]
struct Late {
    id: String,
    lists_left: u32,
    before: Option<(u64, Contact)>,
}

/// The in-memory side.
#[derive(Debug, Clone, Default)]
pub struct MemorySource {
    prefix: String,
    items: BTreeMap<String, (u64, Contact)>,
    log: Vec<(u64, String)>,
    seq: u64,
    next_id: u64,
    epoch: u64,
    late: Vec<Late>,
    /// roster's writes show up this many listings late (0: at once).
    pub late_lists: u32,
    /// The next this-many writes are refused (after `fail_after` succeed).
    pub fail_next: u32,
    /// Writes that still succeed before `fail_next` starts.
    pub fail_after: u32,
    /// The next write is made but its answer is lost (an error comes back).
    pub lose_answer: bool,
    /// Writes roster made (calls).
    pub writes: u64,
    /// Listing calls.
    pub lists: u64,
}

impl MemorySource {
    /// An empty side whose ids start with `prefix`.
    pub fn new(prefix: &str) -> Self {
        MemorySource {
            prefix: prefix.into(),
            ..MemorySource::default()
        }
    }

    fn touch(&mut self, id: &str) {
        self.seq += 1;
        self.log.push((self.seq, id.to_string()));
    }

    fn fresh_id(&mut self) -> String {
        self.next_id += 1;
        format!("{}{}", self.prefix, self.next_id)
    }

    fn land(&mut self, id: &str) {
        self.late.retain(|l| l.id != id);
    }

    /// A person on that side adds a contact; returns its id.
    pub fn user_create(&mut self, contact: Contact) -> String {
        let id = self.fresh_id();
        self.items.insert(id.clone(), (1, contact));
        self.touch(&id);
        id
    }

    /// A person edits a contact (lands any late write of it first).
    pub fn user_edit(&mut self, id: &str, contact: Contact) {
        self.land(id);
        if let Some((etag, c)) = self.items.get_mut(id) {
            *etag += 1;
            *c = contact;
            self.touch(id);
        }
    }

    /// A person deletes a contact.
    pub fn user_delete(&mut self, id: &str) {
        self.land(id);
        if self.items.remove(id).is_some() {
            self.touch(id);
        }
    }

    /// The etag moves without a content change (Graph and Google both do this).
    pub fn flake_etag(&mut self, id: &str) {
        self.land(id);
        if let Some((etag, _)) = self.items.get_mut(id) {
            *etag += 1;
            self.touch(id);
        }
    }

    /// Every cursor handed out so far expires.
    pub fn expire_cursors(&mut self) {
        self.epoch += 1;
    }

    /// Every late write becomes visible now.
    pub fn land_all(&mut self) {
        self.late.clear();
    }

    /// The contacts the side holds (what a person would see), by id.
    pub fn contacts(&self) -> &BTreeMap<String, (u64, Contact)> {
        &self.items
    }

    /// What a listing shows of `id` now: late writes show the version before them.
    fn visible(&self, id: &str) -> Option<(u64, Contact)> {
        match self.late.iter().find(|l| l.id == id) {
            Some(l) => l.before.clone(),
            None => self.items.get(id).cloned(),
        }
    }

    fn item(&self, id: &str, (etag, c): (u64, Contact)) -> Item {
        Item {
            id: id.to_string(),
            etag: Some(format!("{id}.{etag}")),
            contact: c,
        }
    }

    fn cursor(&self) -> Cursor {
        Cursor(format!("{}:{}", self.epoch, self.seq))
    }

    fn parse(&self, cursor: &Cursor) -> Result<u64, SourceError> {
        let (epoch, seq) = cursor
            .0
            .split_once(':')
            .ok_or_else(|| SourceError::Other("malformed cursor".into()))?;
        if epoch != self.epoch.to_string() {
            return Err(SourceError::CursorExpired);
        }
        seq.parse()
            .map_err(|_| SourceError::Other("malformed cursor".into()))
    }

    fn tick_late(&mut self) {
        for l in &mut self.late {
            l.lists_left = l.lists_left.saturating_sub(1);
        }
        let landed: Vec<String> = self
            .late
            .iter()
            .filter(|l| l.lists_left == 0)
            .map(|l| l.id.clone())
            .collect();
        self.late.retain(|l| l.lists_left > 0);
        for id in landed {
            self.touch(&id);
        }
    }

    fn check_etag(&self, id: &str, etag: &Option<String>) -> Result<(), SourceError> {
        let (cur, _) = self.items.get(id).ok_or(SourceError::NotFound)?;
        if etag.as_deref() != Some(format!("{id}.{cur}").as_str()) {
            return Err(SourceError::PreconditionFailed);
        }
        Ok(())
    }

    fn apply(&mut self, op: &WriteOp) -> Result<Written, SourceError> {
        let (id, before) = match op {
            WriteOp::Create { contact } => {
                let id = self.fresh_id();
                self.items.insert(id.clone(), (1, contact.clone()));
                (id, None)
            }
            WriteOp::Update { id, etag, contact } => {
                self.check_etag(id, etag)?;
                let before = self.visible(id);
                let entry = self.items.get_mut(id).ok_or(SourceError::NotFound)?;
                entry.0 += 1;
                entry.1 = contact.clone();
                (id.clone(), before)
            }
            WriteOp::Delete { id, etag } => {
                self.check_etag(id, etag)?;
                self.land(id);
                self.items.remove(id);
                self.touch(id);
                return Ok(Written {
                    id: id.clone(),
                    etag: None,
                });
            }
        };
        let etag = self.items.get(&id).map(|(e, _)| format!("{id}.{e}"));
        if self.late_lists > 0 && !self.lose_answer {
            self.late.retain(|l| l.id != id);
            self.late.push(Late {
                id: id.clone(),
                lists_left: self.late_lists,
                before,
            });
        } else {
            self.touch(&id);
        }
        Ok(Written { id, etag })
    }
}

#[async_trait]
impl ContactSource for MemorySource {
    async fn list(&mut self, cursor: Option<&Cursor>) -> Result<Listing, SourceError> {
        self.lists += 1;
        self.tick_late();
        match cursor {
            None => {
                let ids: Vec<String> = self.items.keys().cloned().collect();
                let items = ids
                    .iter()
                    .filter_map(|id| self.visible(id).map(|v| self.item(id, v)))
                    .collect();
                Ok(Listing::Full {
                    items,
                    cursor: self.cursor(),
                })
            }
            Some(c) => {
                let from = self.parse(c)?;
                let ids: BTreeSet<String> = self
                    .log
                    .iter()
                    .filter(|(s, _)| *s > from)
                    .map(|(_, id)| id.clone())
                    .collect();
                let mut changed = Vec::new();
                let mut removed = Vec::new();
                for id in ids {
                    match self.visible(&id) {
                        Some(v) => changed.push(self.item(&id, v)),
                        None => removed.push(id),
                    }
                }
                Ok(Listing::Delta {
                    changed,
                    removed,
                    cursor: self.cursor(),
                })
            }
        }
    }

    async fn write(&mut self, op: &WriteOp) -> Result<Written, SourceError> {
        self.writes += 1;
        if self.fail_after > 0 {
            self.fail_after -= 1;
        } else if self.fail_next > 0 {
            self.fail_next -= 1;
            return Err(SourceError::Other("refused (injected)".into()));
        }
        let done = self.apply(op)?;
        if self.lose_answer {
            self.lose_answer = false;
            return Err(SourceError::Other("answer lost (injected)".into()));
        }
        Ok(done)
    }
}
