//! `roster sim serve` as a sandbox any Zoom script runs against (issue 21) and the HTTP
//! face of the fidelity review (issue 10): each test is one row or numbered deviation,
//! asserted over HTTP against the real binary.

use crate::contract::{SECRET, Server};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::path::Path;

/// One answer: status, headers (lower-case names) and body.
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A minimal HTTP/1.1 exchange over std (no client dependency in tests).
pub fn exchange(
    url: &str,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Answer {
    let host = url.strip_prefix("http://").expect("http url");
    let mut s = std::net::TcpStream::connect(host).expect("connect");
    let mut head = format!(
        "{method} {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).expect("write head");
    s.write_all(body).expect("write body");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP answer");
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .expect("status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Answer {
        status,
        headers,
        body: body.to_string(),
    }
}

/// A server on a seed, with a token for its account.
struct Sandbox {
    server: Server,
    token: String,
    _tmp: tempfile::TempDir,
}

impl Sandbox {
    fn start(seed: &str, extra: &[&str]) -> Sandbox {
        let tmp = tempfile::tempdir().expect("tmp");
        let seed_path = tmp.path().join("seed.yaml");
        std::fs::write(&seed_path, seed).expect("seed");
        let server = Server::start(&tmp.path().join("state"), &seed_path, extra);
        let basic = base64_encode(&format!("roster-sim:{SECRET}"));
        let t = exchange(
            &server.url,
            "POST",
            "/oauth/token?grant_type=account_credentials&account_id=acme",
            &[("Authorization", &format!("Basic {basic}"))],
            b"",
        );
        assert_eq!(t.status, 200, "token: {}", t.body);
        let token = t.json()["access_token"]
            .as_str()
            .expect("token")
            .to_string();
        Sandbox {
            server,
            token,
            _tmp: tmp,
        }
    }

    fn call(&self, method: &str, target: &str, body: Option<Value>) -> Answer {
        let auth = format!("Bearer {}", self.token);
        let bytes = body.map(|b| b.to_string()).unwrap_or_default();
        let mut headers = vec![("Authorization", auth.as_str())];
        if !bytes.is_empty() {
            headers.push(("Content-Type", "application/json"));
        }
        exchange(
            &self.server.url,
            method,
            &format!("/v2{target}"),
            &headers,
            bytes.as_bytes(),
        )
    }

    fn raw(&self, method: &str, target: &str, content_type: &str, body: &str) -> Answer {
        let auth = format!("Bearer {}", self.token);
        exchange(
            &self.server.url,
            method,
            &format!("/v2{target}"),
            &[("Authorization", &auth), ("Content-Type", content_type)],
            body.as_bytes(),
        )
    }
}

fn base64_encode(s: &str) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let b = s.as_bytes();
    let mut out = String::new();
    for chunk in b.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

const SEED: &str = r#"
clock: 2026-11-01T09:00:00Z
accounts:
  - id: acme
    owner: owner@acme.com
    plan: business
    customAttributes: [costCenter]
    groups: [ { id: gStaff, name: staff }, { id: gEng, name: eng } ]
    chatGroups: [ { id: cGeneral, name: general } ]
    roles: [ { id: rHelp, name: Helpdesk, privileges: [User:Read] } ]
    users:
      - { email: owner@acme.com, id: uOwner, type: licensed, firstName: Olga, lastName: Owner, groups: [staff], chatGroups: [general] }
      - { email: ann@acme.com, id: uAnn, role: Helpdesk, firstName: Ann, groups: [staff], chatGroups: [general], customAttributes: { costCenter: "42" } }
      - { email: bob@acme.com, id: uBob, role: Helpdesk, lastName: Baker, department: Sales, groups: [eng] }
      - { email: off@acme.com, id: uOff, status: inactive, firstName: Otto }
      - { email: wait@acme.com, status: pending, invitedAt: 2026-10-20T09:00:00Z }
"#;

/// Fails on any `null` in an answer: Zoom leaves out what it has no value for.
fn assert_no_nulls(v: &Value, at: &str) {
    match v {
        Value::Null => panic!("null at {at}"),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, x)| assert_no_nulls(x, &format!("{at}/{i}"))),
        Value::Object(o) => o
            .iter()
            .for_each(|(k, x)| assert_no_nulls(x, &format!("{at}/{k}"))),
        _ => {}
    }
}

fn many_users(n: usize) -> String {
    let mut s = String::from(SEED);
    for i in 0..n {
        s.push_str(&format!(
            "      - {{ email: u{i:04}@acme.com, id: u{i:04}, firstName: U{i} }}\n"
        ));
    }
    s
}

#[test]
fn issue21_post_users_answers_the_new_id_and_names_as_strings() {
    let sb = Sandbox::start(SEED, &[]);
    let a = sb.call(
        "POST",
        "/users",
        Some(json!({"action": "create", "user_info": {"email": "new@acme.com", "type": 1}})),
    );
    assert_eq!(a.status, 201, "{}", a.body);
    let v = a.json();
    let id = v["id"].as_str().expect("the new user's id");
    assert!(!id.is_empty());
    assert_eq!(
        (v["first_name"].as_str(), v["last_name"].as_str()),
        (Some(""), Some("")),
        "names are strings: {v}"
    );
    let read = sb.call("GET", &format!("/users/{id}"), None).json();
    assert_eq!(
        (read["email"].as_str(), read["status"].as_str()),
        (Some("new@acme.com"), Some("pending"))
    );
}

#[test]
fn issue21_get_user_is_the_whole_object_for_users_in_every_status() {
    let sb = Sandbox::start(SEED, &[]);
    for (who, status) in [
        ("uAnn", "active"),
        ("uOff", "inactive"),
        ("wait@acme.com", "pending"),
    ] {
        let a = sb.call("GET", &format!("/users/{who}"), None);
        assert_eq!(a.status, 200, "{who}: {}", a.body);
        let u = a.json();
        assert_no_nulls(&u, who);
        assert_eq!(u["status"], status, "{who}: {u}");
        for field in [
            "type",
            "first_name",
            "last_name",
            "role_id",
            "group_ids",
            "email",
            "created_at",
        ] {
            assert!(u.get(field).is_some(), "{who} lacks {field}: {u}");
        }
    }
    let ann = sb.call("GET", "/users/uAnn", None).json();
    assert_eq!(
        (ann["role_id"].as_str(), ann["group_ids"].clone()),
        (Some("rHelp"), json!(["gStaff"]))
    );
    assert_eq!(ann["custom_attributes"][0]["name"], "costCenter");
    assert!(
        ann["custom_attributes"][0]["key"]
            .as_str()
            .is_some_and(|k| !k.is_empty()),
        "{ann}"
    );
}

#[test]
fn issue21_page_number_pages_and_the_answer_says_page_count() {
    let sb = Sandbox::start(&many_users(20), &[]);
    let p1 = sb
        .call("GET", "/users?page_size=10&page_number=1", None)
        .json();
    let p2 = sb
        .call("GET", "/users?page_size=10&page_number=2", None)
        .json();
    let p3 = sb
        .call("GET", "/users?page_size=10&page_number=3", None)
        .json();
    assert_eq!(
        (
            p1["page_count"].as_u64(),
            p2["page_number"].as_u64(),
            p1["total_records"].as_u64()
        ),
        (Some(3), Some(2), Some(23))
    );
    let emails = |p: &Value| -> Vec<String> {
        p["users"]
            .as_array()
            .expect("users")
            .iter()
            .map(|u| u["email"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    let mut all = [emails(&p1), emails(&p2), emails(&p3)].concat();
    assert_ne!(emails(&p1), emails(&p2), "page 2 is not page 1");
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 23, "every active user once across the pages");
}

#[test]
fn issue21_a_next_page_token_used_twice_returns_the_same_page() {
    let sb = Sandbox::start(&many_users(20), &[]);
    let first = sb.call("GET", "/users?page_size=5", None).json();
    let token = first["next_page_token"]
        .as_str()
        .expect("token")
        .to_string();
    let again = |_: u8| {
        sb.call(
            "GET",
            &format!("/users?page_size=5&next_page_token={token}"),
            None,
        )
    };
    let (a, b) = (again(1), again(2));
    assert_eq!((a.status, b.status), (200, 200), "{}", b.body);
    assert_eq!(
        a.json()["users"],
        b.json()["users"],
        "a retried page is the same page"
    );
    assert_ne!(a.json()["users"], first["users"]);
    // The token carries its query: a client sending it alone still pages the same listing.
    let alone = sb
        .call("GET", &format!("/users?next_page_token={token}"), None)
        .json();
    assert_eq!(alone["users"], a.json()["users"]);
}

#[test]
fn issue21_paging_while_users_are_created_skips_and_repeats_no_one() {
    let sb = Sandbox::start(&many_users(30), &[]);
    let mut seen = Vec::new();
    let mut token = String::new();
    let mut created = 0;
    loop {
        let page = sb
            .call(
                "GET",
                &format!("/users?page_size=7&next_page_token={token}"),
                None,
            )
            .json();
        seen.extend(
            page["users"]
                .as_array()
                .expect("users")
                .iter()
                .map(|u| u["email"].as_str().unwrap_or_default().to_string()),
        );
        // Another client creates and removes users between the pages.
        let a = sb.call("POST", "/users", Some(json!({"action": "create", "user_info": {"email": format!("late{created}@acme.com"), "type": 1}})));
        assert_eq!(a.status, 201, "{}", a.body);
        created += 1;
        token = page["next_page_token"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if token.is_empty() {
            break;
        }
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        (seen.len(), unique.len()),
        (33, 33),
        "33 active users, each once: {seen:?}"
    );
}

#[test]
fn issue21_get_group_answers_the_group_and_errors_are_zoom_json() {
    let sb = Sandbox::start(SEED, &[]);
    let g = sb.call("GET", "/groups/gStaff", None);
    assert_eq!(g.status, 200, "{}", g.body);
    assert_eq!(
        g.json(),
        json!({"id": "gStaff", "name": "staff", "total_members": 2})
    );
    let missing = sb.call("GET", "/groups/nope", None);
    assert_eq!(
        (missing.status, missing.json()["code"].as_i64()),
        (404, Some(4130))
    );
    for (method, target) in [
        ("GET", "/no/such/path"),
        ("PUT", "/groups"),
        ("POST", "/groups/gStaff"),
    ] {
        let a = sb.call(method, target, None);
        assert_eq!(
            (a.status, a.json()["code"].as_i64()),
            (400, Some(2300)),
            "{method} {target}: {}",
            a.body
        );
        assert!(a.json()["message"].is_string());
    }
}

#[test]
fn issue21_adding_group_members_by_email_answers_their_ids() {
    let sb = Sandbox::start(SEED, &[]);
    let a = sb.call(
        "POST",
        "/groups/gEng/members",
        Some(json!({"members": [{"email": "ann@acme.com"}, {"id": "uOwner"}]})),
    );
    assert_eq!(a.status, 201, "{}", a.body);
    assert_eq!(a.json()["ids"], "uAnn,uOwner");
}

#[test]
fn issue21_role_members_are_strings_absent_when_empty() {
    let sb = Sandbox::start(SEED, &[]);
    let a = sb.call("GET", "/roles/rHelp/members", None);
    assert_eq!(a.status, 200, "{}", a.body);
    let v = a.json();
    assert_no_nulls(&v, "members");
    let ann = &v["members"][0];
    assert_eq!(
        (ann["email"].as_str(), ann["last_name"].as_str()),
        (Some("ann@acme.com"), Some(""))
    );
    assert!(
        ann.get("department").is_none(),
        "no department: absent, not null: {ann}"
    );
    assert_eq!(v["members"][1]["department"], "Sales");
}

#[test]
fn issue21_and_issue10_item11_an_unknown_role_is_400_1034() {
    let sb = Sandbox::start(SEED, &[]);
    for (method, target) in [
        ("GET", "/roles/nope"),
        ("GET", "/roles/nope/members"),
        ("DELETE", "/roles/nope"),
        ("PATCH", "/roles/nope"),
    ] {
        let body = (method == "PATCH").then(|| json!({"description": "x"}));
        let a = sb.call(method, target, body);
        assert_eq!(
            (a.status, a.json()["code"].as_i64()),
            (400, Some(1034)),
            "{method} {target}: {}",
            a.body
        );
    }
}

#[test]
fn issue10_item11_a_duplicate_role_name_is_400_1224() {
    let sb = Sandbox::start(SEED, &[]);
    let a = sb.call(
        "POST",
        "/roles",
        Some(json!({"name": "Helpdesk", "privileges": ["User:Read"]})),
    );
    assert_eq!(
        (a.status, a.json()["code"].as_i64()),
        (400, Some(1224)),
        "{}",
        a.body
    );
}

#[test]
fn issue10_item11_malformed_bodies_are_answered_in_zoom_json() {
    let sb = Sandbox::start(SEED, &[]);
    for (ctype, body) in [
        ("application/json", "{not json"),
        ("text/plain", "name=x"),
        ("application/json", r#"{"name": 5}"#),
    ] {
        let a = sb.raw("POST", "/groups", ctype, body);
        assert_eq!(
            (a.status, a.json()["code"].as_i64()),
            (400, Some(300)),
            "{ctype} {body}: {}",
            a.body
        );
    }
    let null = sb.call(
        "POST",
        "/roles",
        Some(json!({"name": "X", "description": null})),
    );
    assert_eq!(
        (null.status, null.json()["code"].as_i64()),
        (400, Some(300)),
        "no field is nullable: {}",
        null.body
    );
    for target in [
        "/users?page_size=abc",
        "/users/uAnn?login_type=5",
        "/users/uAnn?encrypted_email=yes",
    ] {
        let q = sb.call("GET", target, None);
        assert_eq!(
            (q.status, q.json()["code"].as_i64()),
            (400, Some(300)),
            "{target}: {}",
            q.body
        );
    }
}

#[test]
fn issue10_item11_a_batch_with_an_unknown_member_adds_the_others_and_says_which() {
    let sb = Sandbox::start(SEED, &[]);
    let a = sb.call(
        "POST",
        "/roles/rHelp/members",
        Some(json!({"members": [{"id": "uOwner2"}, {"email": "nobody@acme.com"}, {"email": "bob@acme.com"}]})),
    );
    assert_eq!(a.status, 201, "{}", a.body);
    assert_eq!(a.json()["ids"], "uBob");
    let none = sb.call(
        "POST",
        "/groups/gEng/members",
        Some(json!({"members": [{"email": "nobody@acme.com"}]})),
    );
    assert_eq!(
        (none.status, none.json()["code"].as_i64()),
        (400, Some(300)),
        "{}",
        none.body
    );
}

#[test]
fn issue10_item3_contact_group_removal_refuses_non_members_and_the_last_member() {
    let sb = Sandbox::start(SEED, &[]);
    let not_member = sb.call(
        "DELETE",
        "/contacts/groups/cGeneral/members?member_ids=uBob",
        None,
    );
    assert_eq!(
        (not_member.status, not_member.json()["code"].as_i64()),
        (400, Some(300)),
        "{}",
        not_member.body
    );
    let one = sb.call(
        "DELETE",
        "/contacts/groups/cGeneral/members?member_ids=uAnn",
        None,
    );
    assert_eq!(one.status, 204, "{}", one.body);
    let last = sb.call(
        "DELETE",
        "/contacts/groups/cGeneral/members?member_ids=uOwner",
        None,
    );
    assert_eq!(
        (last.status, last.json()["code"].as_i64()),
        (400, Some(300)),
        "{}",
        last.body
    );
    assert!(
        last.json()["message"]
            .as_str()
            .is_some_and(|m| m.contains("at least one member"))
    );
}

#[test]
fn issue10_item5_post_roles_answers_the_documented_200() {
    let sb = Sandbox::start(SEED, &[]);
    let a = sb.call(
        "POST",
        "/roles",
        Some(json!({"name": "Auditor", "privileges": ["Report:Read"]})),
    );
    assert_eq!((a.status, a.json()), (200, json!({})), "{}", a.body);
    let listed = sb.call("GET", "/roles", None).json();
    assert!(
        listed["roles"]
            .as_array()
            .expect("roles")
            .iter()
            .any(|r| r["name"] == "Auditor")
    );
}

#[test]
fn issue10_item12_answers_carry_rate_limit_headers_and_daily_limits_say_so() {
    let sb = Sandbox::start(SEED, &[]);
    let a = sb.call("GET", "/users", None);
    assert_eq!(a.header("x-ratelimit-category"), Some("Medium"));
    assert_eq!(
        a.header("x-ratelimit-limit"),
        Some("60"),
        "Business: 60 Medium requests per second"
    );
    assert!(a.header("x-ratelimit-remaining").is_some());
    // A Free account may create 50 users a day: the 51st attempt is a daily-limit 429.
    let free = Sandbox::start(&SEED.replace("plan: business", "plan: free"), &[]);
    let mut last = None;
    for i in 0..51 {
        last = Some(free.call("POST", "/users", Some(json!({"action": "create", "user_info": {"email": format!("n{i}@acme.com"), "type": 1}}))));
    }
    let last = last.expect("answers");
    assert_eq!(last.status, 429, "{}", last.body);
    assert_eq!(last.header("x-ratelimit-type"), Some("Daily-limit"));
    assert_eq!(
        last.header("retry-after"),
        Some("2026-11-02T00:00:00Z"),
        "the next UTC midnight of the simulator's clock"
    );
    assert!(
        last.json()["message"]
            .as_str()
            .is_some_and(|m| m.contains("daily"))
    );
}

#[test]
fn issue10_item13_the_provider_sends_no_field_the_spec_lacks() {
    // The request log of an apply of examples/acme through provider: zoom.
    let tmp = tempfile::tempdir().expect("tmp");
    let seed = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/acme/sim-seed.yaml");
    let server = Server::start(&tmp.path().join("server"), &seed, &[]);
    crate::contract::apply_acme_through_zoom(&server.url);
    let log = server.requests();
    let bodies = |route: &str| -> Vec<Value> {
        log.iter()
            .filter(|r| r["method"] == "POST" && r["route"] == route)
            .map(|r| r["body"].clone())
            .collect()
    };
    let members = bodies("/v2/contacts/groups/{group_id}/members");
    assert!(!members.is_empty(), "the apply adds chat-group members");
    for b in members {
        assert!(
            b.get("next_page_token").is_none(),
            "no paging field in a member POST: {b}"
        );
    }
}

#[test]
fn issue10_item1_custom_attributes_are_set_by_their_key() {
    let sb = Sandbox::start(SEED, &[]);
    let key = sb
        .call("GET", "/users?include_fields=custom_attributes", None)
        .json()["users"]
        .as_array()
        .expect("users")
        .iter()
        .find_map(|u| {
            u["custom_attributes"][0]["key"]
                .as_str()
                .map(str::to_string)
        })
        .expect("ann's costCenter key");
    let by_name = sb.call(
        "PATCH",
        "/users/uBob",
        Some(json!({"custom_attributes": [{"key": "", "name": "costCenter", "value": "7"}]})),
    );
    assert_eq!(
        (by_name.status, by_name.json()["code"].as_i64()),
        (400, Some(300)),
        "a name is not a key: {}",
        by_name.body
    );
    let by_key = sb.call(
        "PATCH",
        "/users/uBob",
        Some(json!({"custom_attributes": [{"key": key, "name": "costCenter", "value": "7"}]})),
    );
    assert_eq!(by_key.status, 204, "{}", by_key.body);
    let bob = sb.call("GET", "/users/uBob", None).json();
    assert_eq!(bob["custom_attributes"][0]["value"], "7");
}

/// Issue 10, item 8: `manager` is `format: email` (an email or a display name of the
/// account); Zoom documents no way to clear it, so an empty string is refused as Zoom's
/// validation would, and a real email is taken.
#[test]
fn issue10_item8_an_empty_manager_is_refused_not_taken_as_a_clear() {
    let sb = Sandbox::start(SEED, &[]);
    let ann = sb.call("GET", "/users/uBob", None).json();
    let empty = sb.call("PATCH", "/users/uBob", Some(json!({"manager": ""})));
    assert_eq!(
        (empty.status, empty.json()["code"].as_i64()),
        (400, Some(300)),
        "{}",
        empty.body
    );
    let after = sb.call("GET", "/users/uBob", None).json();
    assert_eq!(after["manager"], ann["manager"], "nothing changed");
}

/// Issue 19 part 6: `roster sim …` beside a running `roster sim serve` on one state
/// folder. The server answers from what the CLI changed, and its next write keeps it
/// (it used to answer from its own copy and write that copy back over the CLI's change).
#[test]
fn issue19_sim_serve_sees_and_keeps_what_roster_sim_changed_beside_it() {
    let sb = Sandbox::start(SEED, &[]);
    let sim = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_roster"))
            .arg("--state")
            .arg(&sb.server.state)
            .arg("sim")
            .args(args)
            .output()
            .expect("roster sim");
        assert!(
            out.status.success(),
            "roster sim {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    sim(&["accept", "wait@acme.com"]);
    let u = sb.call("GET", "/users/wait@acme.com", None).json();
    assert_eq!(u["status"], "active", "the server sees the acceptance: {u}");
    let a = sb.call(
        "POST",
        "/users",
        Some(json!({"action": "create", "user_info": {"email": "new@acme.com", "type": 1}})),
    );
    assert_eq!(a.status, 201, "{}", a.body);
    let cloud: Value = serde_json::from_str(&sim(&["show"])).expect("sim show JSON");
    let users = cloud["accounts"][0]["users"].as_array().expect("users");
    let status = |email: &str| {
        users
            .iter()
            .find(|u| u["email"] == email)
            .map(|u| u["status"].clone())
    };
    assert_eq!(status("wait@acme.com"), Some(json!("active")), "{cloud}");
    assert_eq!(status("new@acme.com"), Some(json!("pending")), "{cloud}");
}
