//! The manifest format as data: every kind, every field (with its shape, whether it is
//! required and the rule it carries) and every list of values, in one table. The loader
//! checks documents against it, messages and "did you mean" hints list from it, tests
//! hold docs/manifests.md to it, and a JSON Schema can be generated from it.

use crate::model::{
    Addon, ConflictPolicy, DesiredStatus, IntegrationService, RemoveAction, Rule, UserField,
    UserType,
};

/// A document kind of the manifest format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[allow(missing_docs)]
pub enum Kind {
    Account,
    User,
    Users,
    UserImport,
    Group,
    ChatGroup,
    Role,
    Organization,
    ExternalContacts,
    PersonalContacts,
    CalendarContactIntegration,
    CalendlyConnection,
    SimulatorSeed,
}

/// What the loader does with a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    /// Read into the desired state.
    Read,
    /// Part of the format, refused by this version with a clear message.
    Later,
    /// Not a manifest: the simulator's seed, skipped by the loader whatever the provider.
    Skipped,
}

/// One kind: its name, what it is for, whether this version reads it, and its fields.
#[derive(Debug)]
pub struct KindDef {
    /// The kind.
    pub kind: Kind,
    /// What `kind:` says.
    pub name: &'static str,
    /// One line for messages and docs.
    pub summary: &'static str,
    /// Whether this version reads it.
    pub support: Support,
    /// Its top-level fields (`kind` included).
    pub fields: &'static [FieldDef],
}

/// The shape of a field's value.
#[derive(Debug)]
pub enum Shape {
    /// Any scalar.
    Text,
    /// An email address.
    Email,
    /// A list of email addresses.
    Emails,
    /// `true` or `false`.
    Bool,
    /// A whole number ≥ 0.
    Count,
    /// A number.
    Number,
    /// `YYYY-MM-DD`.
    Date,
    /// A duration like `25d` (humantime).
    Duration,
    /// A cron expression with seconds.
    Cron,
    /// A list of scalars.
    List,
    /// One of these values.
    OneOf(&'static [&'static str]),
    /// A list of these values.
    ListOf(&'static [&'static str]),
    /// A free mapping of names to scalars (custom attribute values).
    Attributes,
    /// `{ env: VAR }` or `{ file: path }`.
    Secret,
    /// A mapping with these fields.
    Map(&'static [FieldDef]),
    /// A mapping of free keys (domains) to mappings with these fields.
    MapOf(&'static [FieldDef]),
    /// A list of mappings with these fields.
    Items(&'static [FieldDef]),
    /// These fields, written inline in the enclosing mapping.
    Inline(&'static [FieldDef]),
}

/// One field of a kind or of a nested mapping.
#[derive(Debug)]
pub struct FieldDef {
    /// The camelCase key (empty for [`Shape::Inline`]).
    pub name: &'static str,
    /// Its value's shape.
    pub shape: Shape,
    /// A document without it is refused.
    pub required: bool,
    /// The rule the field carries, cited when it is missing or wrong.
    pub rule: Option<Rule>,
}

const fn field(name: &'static str, shape: Shape) -> FieldDef {
    FieldDef {
        name,
        shape,
        required: false,
        rule: None,
    }
}

const fn required(name: &'static str, shape: Shape) -> FieldDef {
    FieldDef {
        name,
        shape,
        required: true,
        rule: None,
    }
}

const fn ruled(name: &'static str, shape: Shape, rule: Rule) -> FieldDef {
    FieldDef {
        name,
        shape,
        required: false,
        rule: Some(rule),
    }
}

const fn inline(fields: &'static [FieldDef]) -> FieldDef {
    field("", Shape::Inline(fields))
}

/// The user types' manifest spellings, from [`UserType::ALL`].
pub const USER_TYPES: [&str; 3] = [
    UserType::ALL[0].as_str(),
    UserType::ALL[1].as_str(),
    UserType::ALL[2].as_str(),
];

/// The add-ons' manifest spellings, from [`Addon::ALL`].
pub const ADDONS: [&str; 2] = [Addon::ALL[0].as_str(), Addon::ALL[1].as_str()];

/// The statuses a user may be given, from [`DesiredStatus::ALL`].
pub const STATUSES: [&str; 3] = [
    DesiredStatus::ALL[0].as_str(),
    DesiredStatus::ALL[1].as_str(),
    DesiredStatus::ALL[2].as_str(),
];

/// The ways a user leaves, from [`RemoveAction::ALL`].
pub const REMOVE_ACTIONS: [&str; 3] = [
    RemoveAction::ALL[0].as_str(),
    RemoveAction::ALL[1].as_str(),
    RemoveAction::ALL[2].as_str(),
];

/// The field names a user may change themself, from [`UserField::ALL`].
pub const USER_FIELD_NAMES: [&str; 12] = {
    let mut out = [""; 12];
    let mut i = 0;
    while i < 12 {
        out[i] = UserField::ALL[i].as_str();
        i += 1;
    }
    out
};

/// The fields of a user, wherever one is declared: every [`UserField`] (same order) plus
/// the lifecycle fields `status` and `expires`.
pub const USER_FIELDS: &[FieldDef] = &[
    field(UserField::FirstName.as_str(), Shape::Text),
    field(UserField::LastName.as_str(), Shape::Text),
    ruled(
        UserField::Type.as_str(),
        Shape::OneOf(&USER_TYPES),
        Rule::U2,
    ),
    ruled(UserField::Addons.as_str(), Shape::ListOf(&ADDONS), Rule::U3),
    ruled(UserField::Role.as_str(), Shape::Text, Rule::U7),
    field(UserField::Group.as_str(), Shape::Text),
    field(UserField::ChatGroups.as_str(), Shape::List),
    ruled(UserField::Department.as_str(), Shape::Text, Rule::U4),
    field(UserField::Manager.as_str(), Shape::Email),
    ruled(UserField::JobTitle.as_str(), Shape::Text, Rule::U4),
    ruled(UserField::Location.as_str(), Shape::Text, Rule::U4),
    ruled(
        UserField::CustomAttributes.as_str(),
        Shape::Attributes,
        Rule::U11,
    ),
    ruled("status", Shape::OneOf(&STATUSES), Rule::U13),
    field("expires", Shape::Date),
];

const KIND: FieldDef = required("kind", Shape::Text);
const ACCOUNT: FieldDef = field("account", Shape::Text);

const SIM: &[FieldDef] = &[
    field("seed", Shape::Text),
    field("accountId", Shape::Text),
    ruled("actAs", Shape::Email, Rule::U1),
    field("latencyMs", Shape::Count),
];

const ZOOM: &[FieldDef] = &[
    required("accountId", Shape::Secret),
    required("clientId", Shape::Secret),
    required("clientSecret", Shape::Secret),
    field("baseUrl", Shape::Text),
    field("tokenUrl", Shape::Text),
    field("plan", Shape::OneOf(&["pro", "business"])),
    field("rateShare", Shape::Number),
    field("pageSize", Shape::Count),
];

const DOMAIN_DEFAULTS: &[FieldDef] = &[
    ruled("userType", Shape::OneOf(&USER_TYPES), Rule::U2),
    ruled("group", Shape::Text, Rule::U10),
];

const ACCOUNT_DEFAULTS: &[FieldDef] = &[
    ruled("userType", Shape::OneOf(&USER_TYPES), Rule::U2),
    ruled("group", Shape::Text, Rule::U10),
    ruled("chatGroup", Shape::Text, Rule::U10),
    ruled("domains", Shape::MapOf(DOMAIN_DEFAULTS), Rule::U10),
];

const POLICY: &[FieldDef] = &[
    field("prune", Shape::Bool),
    ruled("removeAction", Shape::OneOf(&REMOVE_ACTIONS), Rule::U13),
    ruled("maxRemovals", Shape::Count, Rule::Policy),
    ruled("minAdmins", Shape::Count, Rule::Policy),
    field("ignore", Shape::List),
    ruled(
        "invitations",
        Shape::Map(&[ruled("resendAfter", Shape::Duration, Rule::U8)]),
        Rule::U8,
    ),
    ruled(
        "externalContacts",
        Shape::Map(&[ruled("allowDomains", Shape::List, Rule::U12)]),
        Rule::U12,
    ),
    ruled("userEditable", Shape::ListOf(&USER_FIELD_NAMES), Rule::U4),
];

/// `existing:` of an Account: what the manifests reference but roster does not manage;
/// `plan` checks each is on the account.
pub const EXISTING: &[FieldDef] = &[
    field("groups", Shape::List),
    field("chatGroups", Shape::List),
    ruled("roles", Shape::List, Rule::U7),
    field("users", Shape::Emails),
];

const ACCOUNT_FIELDS: &[FieldDef] = &[
    KIND,
    required("name", Shape::Text),
    FieldDef {
        name: "owner",
        shape: Shape::Email,
        required: true,
        rule: Some(Rule::U7),
    },
    field(
        "provider",
        Shape::Map(&[
            field("sim", Shape::Map(SIM)),
            field("zoom", Shape::Map(ZOOM)),
        ]),
    ),
    field("defaults", Shape::Map(ACCOUNT_DEFAULTS)),
    ruled("customAttributes", Shape::List, Rule::U11),
    field(
        "seats",
        Shape::Map(&[
            ruled("licensed", Shape::Count, Rule::U2),
            ruled("largeMeeting", Shape::Count, Rule::U3),
            ruled("webinar", Shape::Count, Rule::U3),
        ]),
    ),
    field("policy", Shape::Map(POLICY)),
    field("schedule", Shape::Map(&[field("resync", Shape::Cron)])),
    field("existing", Shape::Map(EXISTING)),
];

const USER_DOC: &[FieldDef] = &[
    KIND,
    ACCOUNT,
    required("email", Shape::Email),
    inline(USER_FIELDS),
];

/// One item of `Users.items`.
pub const USER_ITEM: &[FieldDef] = &[required("email", Shape::Email), inline(USER_FIELDS)];

const USERS_DOC: &[FieldDef] = &[
    KIND,
    ACCOUNT,
    ruled("defaults", Shape::Map(USER_FIELDS), Rule::U10),
    required("items", Shape::Items(USER_ITEM)),
];

const USER_IMPORT_DOC: &[FieldDef] = &[
    KIND,
    ACCOUNT,
    FieldDef {
        name: "file",
        shape: Shape::Text,
        required: true,
        rule: Some(Rule::U6),
    },
    ruled("defaults", Shape::Map(USER_FIELDS), Rule::U10),
];

const GROUP_DOC: &[FieldDef] = &[
    KIND,
    ACCOUNT,
    required("name", Shape::Text),
    field("description", Shape::Text),
];

const ROLE_DOC: &[FieldDef] = &[
    KIND,
    ACCOUNT,
    FieldDef {
        name: "name",
        shape: Shape::Text,
        required: true,
        rule: Some(Rule::U7),
    },
    field("description", Shape::Text),
    ruled("privileges", Shape::List, Rule::U7),
];

const ORGANIZATION_DOC: &[FieldDef] = &[
    KIND,
    ACCOUNT,
    ruled("name", Shape::Text, Rule::O3),
    ruled("members", Shape::Emails, Rule::O5),
    ruled("join", Shape::Email, Rule::O7),
];

const EXTERNAL_CONTACTS_DOC: &[FieldDef] = &[
    KIND,
    ACCOUNT,
    required("user", Shape::Email),
    ruled("contacts", Shape::Emails, Rule::K2),
    ruled("prune", Shape::Bool, Rule::U12),
];

/// The fields of a personal contact: inline keys, and (case-insensitively) the CSV
/// columns, in the CSV's column order (K5).
pub const CONTACT_FIELDS: &[FieldDef] = &[
    ruled("name", Shape::Text, Rule::K5),
    ruled("email", Shape::Email, Rule::K5),
    ruled("office", Shape::Text, Rule::K5),
    ruled("home", Shape::Text, Rule::K5),
    ruled("mobile", Shape::Text, Rule::K5),
    ruled("fax", Shape::Text, Rule::K5),
    ruled("phone", Shape::Text, Rule::K5),
    field("company", Shape::Text),
];

const PERSONAL_CONTACTS_DOC: &[FieldDef] = &[
    KIND,
    ACCOUNT,
    required("user", Shape::Email),
    FieldDef {
        name: "name",
        shape: Shape::Text,
        required: true,
        rule: Some(Rule::K5),
    },
    ruled("file", Shape::Text, Rule::K5),
    ruled("contacts", Shape::Items(CONTACT_FIELDS), Rule::K5),
];

/// The services' manifest spellings, from [`IntegrationService::ALL`].
pub const SERVICES: [&str; 3] = [
    IntegrationService::ALL[0].as_str(),
    IntegrationService::ALL[1].as_str(),
    IntegrationService::ALL[2].as_str(),
];

/// The conflict policies' spellings, from [`ConflictPolicy::ALL`].
pub const CONFLICT_POLICIES: [&str; 3] = [
    ConflictPolicy::ALL[0].as_str(),
    ConflictPolicy::ALL[1].as_str(),
    ConflictPolicy::ALL[2].as_str(),
];

/// `credentials` of an integration: OAuth 2 (google, office365) or Exchange's four fields.
pub const INTEGRATION_CREDENTIALS: &[FieldDef] = &[
    ruled("refreshToken", Shape::Secret, Rule::K4),
    ruled("username", Shape::Text, Rule::K4),
    ruled("password", Shape::Secret, Rule::K4),
    ruled("version", Shape::Text, Rule::K4),
    ruled("ewsUrl", Shape::Text, Rule::K4),
];

const INTEGRATION_DOC: &[FieldDef] = &[
    KIND,
    ACCOUNT,
    required("user", Shape::Email),
    FieldDef {
        name: "service",
        shape: Shape::OneOf(&SERVICES),
        required: true,
        rule: Some(Rule::K4),
    },
    field("calendar", Shape::Bool),
    field("contacts", Shape::Bool),
    field("conflict", Shape::OneOf(&CONFLICT_POLICIES)),
    field("schedule", Shape::Cron),
    ruled("credentials", Shape::Map(INTEGRATION_CREDENTIALS), Rule::K4),
];

/// `credentials` of a CalendlyConnection: the Calendly token roster reads with (C1).
pub const CALENDLY_CREDENTIALS: &[FieldDef] = &[ruled("token", Shape::Secret, Rule::C1)];

const CALENDLY_DOC: &[FieldDef] = &[
    KIND,
    ACCOUNT,
    required("organization", Shape::Text),
    FieldDef {
        name: "zoomAdmin",
        shape: Shape::Email,
        required: true,
        rule: Some(Rule::C2),
    },
    ruled("fallbackAdmins", Shape::Emails, Rule::C2),
    ruled("meetingSummary", Shape::Bool, Rule::C5),
    ruled("allowUserDisconnect", Shape::Bool, Rule::C5),
    field("apiUrl", Shape::Text),
    ruled("credentials", Shape::Map(CALENDLY_CREDENTIALS), Rule::C1),
];

/// Every kind, in the order messages list them.
pub const KINDS: &[KindDef] = &[
    KindDef {
        kind: Kind::Account,
        name: "Account",
        summary: "the Zoom account: owner, provider, defaults, policy",
        support: Support::Read,
        fields: ACCOUNT_FIELDS,
    },
    KindDef {
        kind: Kind::User,
        name: "User",
        summary: "one user",
        support: Support::Read,
        fields: USER_DOC,
    },
    KindDef {
        kind: Kind::Users,
        name: "Users",
        summary: "many users sharing defaults",
        support: Support::Read,
        fields: USERS_DOC,
    },
    KindDef {
        kind: Kind::UserImport,
        name: "UserImport",
        summary: "users from a CSV file (U6)",
        support: Support::Read,
        fields: USER_IMPORT_DOC,
    },
    KindDef {
        kind: Kind::Group,
        name: "Group",
        summary: "a user group",
        support: Support::Read,
        fields: GROUP_DOC,
    },
    KindDef {
        kind: Kind::ChatGroup,
        name: "ChatGroup",
        summary: "a chat group",
        support: Support::Read,
        fields: GROUP_DOC,
    },
    KindDef {
        kind: Kind::Role,
        name: "Role",
        summary: "a custom role (U7)",
        support: Support::Read,
        fields: ROLE_DOC,
    },
    KindDef {
        kind: Kind::Organization,
        name: "Organization",
        summary: "linked accounts, owned or joined (O1-O7)",
        support: Support::Read,
        fields: ORGANIZATION_DOC,
    },
    KindDef {
        kind: Kind::ExternalContacts,
        name: "ExternalContacts",
        summary: "a user's external contacts (K2, U12)",
        support: Support::Read,
        fields: EXTERNAL_CONTACTS_DOC,
    },
    KindDef {
        kind: Kind::PersonalContacts,
        name: "PersonalContacts",
        summary: "a user's personal contact group (K5)",
        support: Support::Read,
        fields: PERSONAL_CONTACTS_DOC,
    },
    KindDef {
        kind: Kind::CalendarContactIntegration,
        name: "CalendarContactIntegration",
        summary: "a user's calendar and contact sync (K4)",
        support: Support::Read,
        fields: INTEGRATION_DOC,
    },
    KindDef {
        kind: Kind::CalendlyConnection,
        name: "CalendlyConnection",
        summary: "the Calendly connection (C1-C7)",
        support: Support::Read,
        fields: CALENDLY_DOC,
    },
    KindDef {
        kind: Kind::SimulatorSeed,
        name: "SimulatorSeed",
        summary: "the embedded simulator's initial cloud: not a manifest, skipped",
        support: Support::Skipped,
        fields: &[],
    },
];

impl Kind {
    /// This kind's row of [`KINDS`].
    pub fn def(self) -> &'static KindDef {
        KINDS.iter().find(|d| d.kind == self).unwrap_or(&KINDS[0])
    }
    /// What `kind:` says.
    pub fn name(self) -> &'static str {
        self.def().name
    }
    /// The kind `kind:` names, exactly.
    pub fn parse(s: &str) -> Option<Kind> {
        KINDS.iter().find(|d| d.name == s).map(|d| d.kind)
    }
    /// The names of the kinds this version reads, for messages.
    pub fn readable_names() -> Vec<&'static str> {
        KINDS
            .iter()
            .filter(|d| d.support == Support::Read)
            .map(|d| d.name)
            .collect()
    }
}

/// The keys a mapping with `fields` accepts, inline fields expanded.
pub fn keys(fields: &'static [FieldDef]) -> Vec<&'static FieldDef> {
    let mut out = Vec::new();
    for f in fields {
        match f.shape {
            Shape::Inline(inner) => out.extend(keys(inner)),
            _ => out.push(f),
        }
    }
    out
}

/// The field `name` of the nested mapping `parent.name`, for readers of nested blocks.
pub fn nested(fields: &'static [FieldDef], name: &str) -> &'static [FieldDef] {
    keys(fields)
        .into_iter()
        .find(|f| f.name == name)
        .and_then(|f| match f.shape {
            Shape::Map(inner) | Shape::MapOf(inner) | Shape::Items(inner) => Some(inner),
            _ => None,
        })
        .unwrap_or(&[])
}

/// The closest of `candidates` to `given`, when close enough to be a typo: same letters
/// in another case, or a small edit distance for the length (strsim).
pub fn did_you_mean<'a>(
    given: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = given.to_lowercase();
    let mut best: Option<(&str, f64)> = None;
    for c in candidates {
        if c.to_lowercase() == lower {
            return Some(c);
        }
        let score = strsim::normalized_damerau_levenshtein(&lower, &c.to_lowercase());
        if score >= 0.6 && best.is_none_or(|(_, s)| score > s) {
            best = Some((c, score));
        }
    }
    best.map(|(c, _)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_one_row_and_names_parse_back() {
        for d in KINDS {
            assert_eq!(Kind::parse(d.name), Some(d.kind));
            assert_eq!(d.kind.def().name, d.name);
        }
        assert_eq!(KINDS.len(), 13);
    }

    #[test]
    fn user_fields_are_every_user_field_then_lifecycle() {
        let names: Vec<&str> = USER_FIELDS.iter().map(|f| f.name).collect();
        let mut expected: Vec<&str> = UserField::ALL.iter().map(|f| f.as_str()).collect();
        expected.extend(["status", "expires"]);
        assert_eq!(names, expected);
    }

    #[test]
    fn the_manifest_reference_names_every_kind_and_field_of_the_table() {
        let doc = include_str!("../../docs/manifests.md");
        for d in KINDS {
            assert!(
                doc.contains(d.name),
                "docs/manifests.md lacks kind {}",
                d.name
            );
            for f in keys(d.fields) {
                assert!(
                    doc.contains(&format!("{}:", f.name)),
                    "docs/manifests.md lacks field `{}` of {}",
                    f.name,
                    d.name
                );
            }
        }
        let rules = include_str!("../../docs/rules.md");
        for r in Rule::ALL {
            assert!(rules.contains(&format!("{r}")), "docs/rules.md lacks {r}");
        }
    }

    #[test]
    fn typos_find_their_field_and_strangers_find_nothing() {
        assert_eq!(did_you_mean("emial", ["email", "type"]), Some("email"));
        assert_eq!(did_you_mean("user", ["User", "Users"]), Some("User"));
        assert_eq!(did_you_mean("colour", ["email", "type"]), None);
        assert_eq!(
            did_you_mean("engneering", ["engineering", "sales"]),
            Some("engineering")
        );
    }
}
