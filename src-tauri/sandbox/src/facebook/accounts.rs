//! `GET /me/accounts` (the pages a person granted, with page tokens), `GET /me` and
//! `GET /{page-id}`, honouring `fields`; `limit`/`after`/`before` paging on `/me/accounts`.

use serde_json::{Map, Value, json};

use super::graph_error::{GraphError, GraphResult};
use super::state::{Page, State, Token, TokenKind};
use super::tokens::{self, Credential};
use super::{Form, field};
use crate::base64;

const PAGE_FIELDS: [&str; 7] = [
    "id",
    "name",
    "access_token",
    "tasks",
    "picture",
    "category",
    "category_list",
];
/// What `/me/accounts` returns without `fields` (Meta's default for the edge).
const DEFAULT_ACCOUNT_FIELDS: [&str; 6] = [
    "access_token",
    "category",
    "category_list",
    "name",
    "id",
    "tasks",
];

/// `fields=id,name,picture{url}` → `["id","name","picture"]` (sub-selections are accepted and
/// the whole sub-object returned).
fn requested_fields(params: &Form, default: &[&str]) -> Vec<String> {
    let Some(raw) = field(params, "fields") else {
        return default.iter().map(|f| (*f).to_owned()).collect();
    };
    let mut fields = Vec::new();
    let mut depth = 0usize;
    let mut current = String::new();
    for c in raw.chars().chain([',']) {
        match c {
            '{' | '(' => depth += 1,
            '}' | ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                let name = current.split(['{', '.', '(']).next().unwrap_or("").trim();
                if !name.is_empty() && !fields.iter().any(|f| f == name) {
                    fields.push(name.to_owned());
                }
                current.clear();
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    fields
}

pub fn picture_url(state: &State, page_id: &str) -> String {
    format!("{}fbcdn/p50x50/{page_id}.png", state.base_url)
}

/// One page rendered with the requested fields; `access_token` only when a user token asks.
fn page_object(
    state: &mut State,
    page: &Page,
    fields: &[String],
    user: Option<(&str, &Token)>,
) -> Result<Value, GraphError> {
    let mut object = Map::new();
    for name in fields {
        let value = match name.as_str() {
            "id" => json!(page.id),
            "name" => json!(page.name),
            "category" => json!(page.category),
            "category_list" => json!([{ "id": "2200", "name": page.category }]),
            "picture" => json!({ "data": {
                "height": 50, "is_silhouette": false,
                "url": picture_url(state, &page.id), "width": 50 } }),
            "tasks" | "access_token" => {
                let Some((raw, token)) = user else { continue };
                if name == "tasks" {
                    json!(page.tasks_of(&token.user_id).unwrap_or_default())
                } else {
                    json!(tokens::page_token_for(state, raw, token, &page.id))
                }
            }
            other => return Err(GraphError::nonexisting_field(other, "Page")),
        };
        object.insert(name.clone(), value);
    }
    Ok(Value::Object(object))
}

fn limit(params: &Form) -> Result<usize, GraphError> {
    match field(params, "limit") {
        None => Ok(25),
        Some(raw) => raw
            .trim()
            .parse::<usize>()
            .map(|n| n.clamp(1, 100))
            .map_err(|_| GraphError::param("Param limit must be a number")),
    }
}

fn cursor(page_id: &str) -> String {
    base64::encode(page_id.as_bytes())
}

fn decode_cursor(raw: &str) -> Option<String> {
    base64::decode(raw).and_then(|bytes| String::from_utf8(bytes).ok())
}

/// `GET /me/accounts`.
pub fn accounts(state: &mut State, credential: &Credential, params: &Form) -> GraphResult {
    let (raw, token) = match credential {
        Credential::App(_) => return Err(GraphError::active_token_required()),
        Credential::Token(
            _,
            Token {
                kind: TokenKind::Page { .. },
                ..
            },
        ) => {
            return Err(GraphError::nonexisting_field("accounts", "Page"));
        }
        Credential::Token(raw, token) => (raw.as_str(), token),
    };
    if !token.scopes.iter().any(|s| s == "pages_show_list") {
        return Err(GraphError::oauth(
            10,
            "(#10) This endpoint requires the 'pages_show_list' permission.",
        ));
    }
    let fields = requested_fields(params, &DEFAULT_ACCOUNT_FIELDS);
    if let Some(bad) = fields.iter().find(|f| !PAGE_FIELDS.contains(&f.as_str())) {
        return Err(GraphError::nonexisting_field(bad, "Page"));
    }
    let pages: Vec<Page> = token
        .pages
        .iter()
        .filter_map(|id| state.page(id))
        .filter(|p| p.tasks_of(&token.user_id).is_some())
        .cloned()
        .collect();
    let limit = limit(params)?;
    let position = |raw: &str| {
        let id = decode_cursor(raw);
        pages.iter().position(|p| Some(&p.id) == id.as_ref())
    };
    let (start, end) = if let Some(after) = field(params, "after") {
        let start = position(after).map_or(pages.len(), |i| i + 1);
        (start, (start + limit).min(pages.len()))
    } else if let Some(before) = field(params, "before") {
        let end = position(before).unwrap_or(0);
        (end.saturating_sub(limit), end)
    } else {
        (0, limit.min(pages.len()))
    };
    let mut data = Vec::new();
    for page in &pages[start..end] {
        data.push(page_object(state, page, &fields, Some((raw, token)))?);
    }
    let mut body = json!({ "data": data });
    if start < end {
        let link = |key: &str, value: &str| {
            let query = form_urlencoded::Serializer::new(String::new())
                .append_pair("access_token", raw)
                .append_pair("fields", &fields.join(","))
                .append_pair("limit", &limit.to_string())
                .append_pair(key, value)
                .finish();
            format!("{}v25.0/me/accounts?{query}", state.base_url)
        };
        let (before, after) = (cursor(&pages[start].id), cursor(&pages[end - 1].id));
        let mut paging = json!({ "cursors": { "before": before, "after": after } });
        if start > 0 {
            paging["previous"] = json!(link("before", &before));
        }
        if end < pages.len() {
            paging["next"] = json!(link("after", &after));
        }
        body["paging"] = paging;
    }
    Ok(body)
}

/// `GET /me`: the person (`id`, `name`) for a user token, the page for a page token.
pub fn me(state: &mut State, credential: &Credential, params: &Form) -> GraphResult {
    match credential {
        Credential::App(_) => Err(GraphError::active_token_required()),
        Credential::Token(
            _,
            Token {
                kind: TokenKind::Page { page_id },
                ..
            },
        ) => {
            let page_id = page_id.clone();
            page_node(state, credential, &page_id, params)
        }
        Credential::Token(_, token) => {
            let user = state
                .user(&token.user_id)
                .ok_or_else(|| GraphError::unsupported("get", "me"))?;
            let mut object = Map::new();
            for name in requested_fields(params, &["name", "id"]) {
                let value = match name.as_str() {
                    "id" => json!(user.id),
                    "name" => json!(user.name),
                    "email" if token.scopes.iter().any(|s| s == "email") => json!(user.email),
                    "email" => continue,
                    other => return Err(GraphError::nonexisting_field(other, "User")),
                };
                object.insert(name, value);
            }
            Ok(Value::Object(object))
        }
    }
}

/// `GET /{page-id}` with a token that may see the page (its page token, or a user token the
/// page was granted to). Default fields: `name`, `id`.
pub fn page_node(
    state: &mut State,
    credential: &Credential,
    page_id: &str,
    params: &Form,
) -> GraphResult {
    let visible = match credential {
        Credential::Token(_, token) => token.pages.iter().any(|p| p == page_id),
        Credential::App(_) => true,
    };
    let page = state
        .page(page_id)
        .filter(|_| visible)
        .cloned()
        .ok_or_else(|| GraphError::unsupported("get", page_id))?;
    let mut fields = requested_fields(params, &["name", "id"]);
    fields.retain(|f| f != "access_token" && f != "tasks");
    page_object(state, &page, &fields, None)
}
