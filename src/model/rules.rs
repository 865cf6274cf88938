use serde::{Deserialize, Serialize};
use std::fmt;

/// Declares [`Rule`] and [`Rule::ALL`] from one list, so the ids cannot drift apart.
macro_rules! rules {
    ($($id:ident),* $(,)?) => {
        /// The id of an account rule from `docs/rules.md` (U8, O2, K5, C2, …).
        ///
        /// Plan messages, diagnostics and test names cite these ids so an admin can look
        /// the rule up.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[allow(missing_docs)]
        pub enum Rule {
            $($id,)*
            /// Not an account rule: a `policy` setting of the Account manifest refused the plan.
            Policy,
            /// Not an account rule: the manifest format itself (docs/manifests.md).
            Manifest,
        }

        impl Rule {
            /// Every rule id, account rules first (the one list of them).
            pub const ALL: &'static [Rule] = &[$(Rule::$id,)* Rule::Policy, Rule::Manifest];
        }
    };
}

rules!(
    U1, U2, U3, U4, U5, U6, U7, U8, U9, U10, U11, U12, U13, I3, I4, I6, O1, O2, O3, O4, O5, O6, O7,
    K1, K2, K3, K4, K5, K6, K7, C1, C2, C3, C4, C5, C6, C7,
);

impl Rule {
    /// Parses an id as printed (`U8`, `Manifest`).
    pub fn parse(s: &str) -> Option<Rule> {
        Rule::ALL.iter().copied().find(|r| r.to_string() == s)
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}
