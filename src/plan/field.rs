//! The three-way decision for one field (DESIGN.md, "LastApplied"): a total table over
//! (desired, observed, last applied), so a new case is a compile error, not a silent no-op.

/// What to do with one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision<T> {
    /// Nothing to do.
    Keep,
    /// Set the field to this value.
    Set(T),
    /// roster set it once and the manifest no longer names it: clear it.
    Clear,
    /// A user-editable field (U4) the user changed since roster set it, while the manifest
    /// still says what roster set: reported, not reverted.
    DriftKept {
        /// What the user has now.
        observed: T,
    },
}

/// Decides one scalar field.
///
/// * `desired`: what the manifest names (`None`: not named).
/// * `observed`: what the account holds (`None`: empty).
/// * `last`: what roster last set (`None`: roster never set it).
/// * `user_editable`: the field is in `policy.userEditable`.
pub fn decide<T: PartialEq + Clone>(
    desired: Option<&T>,
    observed: Option<&T>,
    last: Option<&T>,
    user_editable: bool,
) -> Decision<T> {
    match (desired, last) {
        (Some(d), _) if observed == Some(d) => Decision::Keep,
        (Some(d), Some(l)) if user_editable && l == d => match observed {
            // The manifest has not changed since roster set it; the user has.
            Some(o) => Decision::DriftKept {
                observed: o.clone(),
            },
            // The user emptied it: still their choice, nothing to revert.
            None => Decision::Keep,
        },
        (Some(d), _) => Decision::Set(d.clone()),
        // No longer named: clear what roster set, unless the user has since made it theirs.
        (None, Some(l)) => match observed {
            None => Decision::Keep,
            Some(o) if user_editable && o != l => Decision::Keep,
            Some(_) => Decision::Clear,
        },
        (None, None) => Decision::Keep,
    }
}

/// Set-valued fields (add-ons, chat groups): roster adds what the manifest names and
/// removes only what it once added itself; members added by others are left alone.
pub fn decide_set<T: Ord + Clone>(
    desired: Option<&std::collections::BTreeSet<T>>,
    observed: &std::collections::BTreeSet<T>,
    last: Option<&std::collections::BTreeSet<T>>,
) -> (Vec<T>, Vec<T>) {
    let empty = std::collections::BTreeSet::new();
    let d = desired.unwrap_or(&empty);
    let l = last.unwrap_or(&empty);
    let add = d.difference(observed).cloned().collect();
    let remove = l
        .difference(d)
        .filter(|x| observed.contains(x))
        .cloned()
        .collect();
    (add, remove)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> String {
        v.to_string()
    }

    #[test]
    fn equal_is_kept() {
        assert_eq!(
            decide(Some(&s("a")), Some(&s("a")), None, false),
            Decision::Keep
        );
    }

    #[test]
    fn differing_is_set() {
        assert_eq!(
            decide(Some(&s("b")), Some(&s("a")), Some(&s("a")), false),
            Decision::Set(s("b"))
        );
    }

    #[test]
    fn u4_user_editable_drift_is_kept_when_manifest_unchanged() {
        let d = decide(Some(&s("R&D")), Some(&s("Research")), Some(&s("R&D")), true);
        assert_eq!(
            d,
            Decision::DriftKept {
                observed: s("Research")
            }
        );
    }

    #[test]
    fn user_editable_field_changed_in_manifest_is_applied() {
        let d = decide(Some(&s("Ops")), Some(&s("Research")), Some(&s("R&D")), true);
        assert_eq!(d, Decision::Set(s("Ops")));
    }

    #[test]
    fn not_user_editable_drift_is_reverted() {
        let d = decide(
            Some(&s("R&D")),
            Some(&s("Research")),
            Some(&s("R&D")),
            false,
        );
        assert_eq!(d, Decision::Set(s("R&D")));
    }

    #[test]
    fn field_dropped_from_manifest_is_cleared() {
        assert_eq!(
            decide(None, Some(&s("a")), Some(&s("a")), false),
            Decision::<String>::Clear
        );
    }

    #[test]
    fn field_never_set_by_roster_is_left_alone() {
        assert_eq!(
            decide::<String>(None, Some(&s("a")), None, false),
            Decision::Keep
        );
    }

    #[test]
    fn dropped_field_the_user_changed_is_left_alone() {
        assert_eq!(
            decide(None, Some(&s("b")), Some(&s("a")), true),
            Decision::<String>::Keep
        );
    }

    #[test]
    fn set_removes_only_what_roster_added() {
        let obs = ["a", "b", "c"].into_iter().map(s).collect();
        let last = ["a", "b"].into_iter().map(s).collect();
        let des = ["a", "d"].into_iter().map(s).collect();
        let (add, rm) = decide_set(Some(&des), &obs, Some(&last));
        assert_eq!(add, vec![s("d")]);
        assert_eq!(rm, vec![s("b")]);
    }
}
