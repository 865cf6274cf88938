//! The JSON Schema (draft 2020-12) of the manifest format, generated from
//! [`super::format::KINDS`], the table the loader checks documents against, so the two
//! cannot drift (issue 16, part 2). Editors read it through the `yaml-language-server`
//! modeline; `roster schema` prints it. Pure: the table in, JSON out.

use super::format::{FieldDef, KINDS, Kind, KindDef, Shape, Support, keys};
use serde_json::{Map, Value, json};

/// Where the schema says it lives (its `$id`).
pub const SCHEMA_ID: &str = "https://roster.dev/schema/manifests.json";

/// The schema of one manifest document: one branch per kind, chosen by `kind`.
pub fn json_schema() -> Value {
    let kinds: Vec<&KindDef> = KINDS
        .iter()
        .filter(|d| d.support != Support::Later)
        .collect();
    let names: Vec<&str> = kinds.iter().map(|d| d.name).collect();
    let mut defs = Map::new();
    let mut branches = Vec::new();
    for d in &kinds {
        defs.insert(d.name.to_string(), kind_schema(d));
        branches.push(json!({
            "if": { "properties": { "kind": { "const": d.name } }, "required": ["kind"] },
            "then": { "$ref": format!("#/$defs/{}", d.name) }
        }));
    }
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "roster manifest",
        "description": "One YAML document of a roster manifest folder; `kind` says which.",
        "type": "object",
        "required": ["kind"],
        "properties": { "kind": { "enum": names } },
        "allOf": branches,
        "$defs": defs,
    })
}

/// One kind: its fields, closed. The simulator's seed is not a manifest: only its kind
/// is checked.
fn kind_schema(d: &KindDef) -> Value {
    match d.kind {
        Kind::SimulatorSeed => json!({
            "description": d.summary,
            "properties": { "kind": { "const": d.name } },
        }),
        Kind::Account
        | Kind::User
        | Kind::Users
        | Kind::UserImport
        | Kind::Group
        | Kind::ChatGroup
        | Kind::Role
        | Kind::Organization
        | Kind::ExternalContacts
        | Kind::PersonalContacts
        | Kind::CalendarContactIntegration
        | Kind::CalendlyConnection => {
            let mut s = object(d.fields);
            s["description"] = json!(d.summary);
            s["properties"]["kind"] = json!({ "const": d.name });
            s
        }
    }
}

/// A closed mapping with `fields` (inline ones expanded).
fn object(fields: &'static [FieldDef]) -> Value {
    let mut props = Map::new();
    let mut required = Vec::new();
    for f in keys(fields) {
        let mut s = shape(&f.shape);
        if let Some(r) = f.rule {
            s["description"] = json!(format!("rule {r}"));
        }
        props.insert(f.name.to_string(), s);
        if f.required {
            required.push(f.name);
        }
    }
    json!({
        "type": "object",
        "properties": props,
        "required": required,
        "additionalProperties": false,
    })
}

/// Any YAML scalar (the loader reads `Text` from strings, numbers and booleans alike).
fn scalar() -> Value {
    json!({ "type": ["string", "number", "boolean"] })
}

fn email() -> Value {
    json!({ "type": "string", "format": "email", "pattern": "^[^@\\s]+@[^@\\s]+$" })
}

/// The schema of a value of `shape`.
fn shape(shape: &Shape) -> Value {
    match shape {
        Shape::Text => scalar(),
        Shape::Email => email(),
        Shape::Emails => json!({ "type": "array", "items": email() }),
        Shape::Bool => json!({ "type": "boolean" }),
        Shape::Count => json!({ "type": "integer", "minimum": 0 }),
        Shape::Number => json!({ "type": "number" }),
        Shape::Date => json!({ "type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$" }),
        Shape::Duration => json!({ "type": "string", "description": "a duration: 25d, 36h, 90m" }),
        Shape::Cron => json!({ "type": "string", "description": "cron with seconds" }),
        Shape::List => json!({ "type": "array", "items": scalar() }),
        Shape::OneOf(values) => json!({ "enum": values }),
        Shape::ListOf(values) => json!({ "type": "array", "items": { "enum": values } }),
        Shape::Attributes => json!({ "type": "object", "additionalProperties": scalar() }),
        Shape::Secret => json!({
            "description": "a reference, never the secret itself",
            "oneOf": [
                { "type": "object", "properties": { "env": { "type": "string" } }, "required": ["env"], "additionalProperties": false },
                { "type": "object", "properties": { "file": { "type": "string" } }, "required": ["file"], "additionalProperties": false }
            ]
        }),
        Shape::Map(fields) => object(fields),
        Shape::MapOf(fields) => json!({ "type": "object", "additionalProperties": object(fields) }),
        Shape::Items(fields) => json!({ "type": "array", "items": object(fields) }),
        Shape::Inline(fields) => object(fields),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_the_loader_reads_has_a_closed_branch() {
        let s = json_schema();
        for d in KINDS.iter().filter(|d| d.support == Support::Read) {
            let def = &s["$defs"][d.name];
            assert_eq!(def["additionalProperties"], json!(false), "{}", d.name);
            assert_eq!(def["properties"]["kind"]["const"], json!(d.name));
        }
        let user = &s["$defs"]["User"];
        assert_eq!(user["required"], json!(["kind", "email"]));
        assert!(
            user["properties"]["jobTitle"].is_object(),
            "inline fields expanded"
        );
    }

    #[test]
    fn the_committed_copy_is_current() {
        let committed: Value =
            serde_json::from_str(include_str!("../../docs/manifests.schema.json")).expect("json");
        assert_eq!(
            committed,
            json_schema(),
            "regenerate: roster schema > docs/manifests.schema.json"
        );
    }

    #[test]
    fn every_kind_this_version_reads_is_offered() {
        let s = json_schema();
        assert!(s["$defs"].get("CalendlyConnection").is_some());
        let names = s["properties"]["kind"]["enum"].as_array().expect("enum");
        assert!(names.contains(&json!("CalendlyConnection")));
    }
}
