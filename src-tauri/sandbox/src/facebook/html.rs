//! The HTML of the OAuth dialog: plain forms, no JavaScript, every value escaped. Test ids
//! (`data-testid`) are the contract with WebDriver tests; see the README.

use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};

/// Escapes text for element content and double-quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn document(title: &str, body: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head>\n<body><main>\
         <header>facebook <small>sandbox</small></header>\n{body}\n</main></body></html>\n",
        escape(title)
    );
    (
        StatusCode::OK,
        [(CONTENT_TYPE, "text/html; charset=utf-8")],
        html,
    )
        .into_response()
}

const STYLE: &str = "body{font-family:Helvetica,Arial,sans-serif;background:#f0f2f5;margin:0}\
main{max-width:420px;margin:40px auto;background:#fff;border-radius:8px;padding:20px;\
box-shadow:0 2px 4px rgba(0,0,0,.1)}header{color:#1877f2;font-weight:bold;font-size:28px;\
margin-bottom:12px}header small{font-size:12px;color:#65676b}label{display:block;margin:8px 0}\
input[type=email],input[type=password]{width:100%;box-sizing:border-box;padding:10px;\
font-size:16px}button{padding:10px 16px;font-size:16px;border-radius:6px;border:0;margin:8px 8px 0 0}\
.primary{background:#1877f2;color:#fff}.secondary{background:#e4e6eb}\
.error{color:#b00020}.notice{color:#65676b;font-size:13px}";

/// A dialog error: Meta shows these as a page (no redirect) when the request itself is wrong.
pub fn error_page(message: &str) -> Response {
    let body = format!(
        "<h1>Error</h1><p data-testid=\"fb-error\" class=\"error\">{}</p>",
        escape(message)
    );
    document("Error", &body)
}

fn session_field(session: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"session\" value=\"{}\">",
        escape(session)
    )
}

/// Step 1: log in with email and password.
pub fn login(
    session: &str,
    app_name: &str,
    email: &str,
    error: Option<&str>,
    invalid_scopes: &[String],
) -> Response {
    let error = error
        .map(|e| {
            format!(
                "<p data-testid=\"fb-login-error\" class=\"error\">{}</p>",
                escape(e)
            )
        })
        .unwrap_or_default();
    let notice = if invalid_scopes.is_empty() {
        String::new()
    } else {
        format!(
            "<p data-testid=\"fb-invalid-scopes\" class=\"notice\">Invalid Scopes: {}. This \
             message is only shown to developers. Users of your app will ignore these \
             permissions if present.</p>",
            escape(&invalid_scopes.join(", "))
        )
    };
    let body = format!(
        "<h1>Log in to continue to {app}</h1>{notice}{error}\
         <form method=\"post\" action=\"/dialog/oauth/login\">{session}\
         <label>Email address or phone number <input type=\"email\" name=\"email\" \
         data-testid=\"fb-email\" value=\"{email}\" autocomplete=\"username\"></label>\
         <label>Password <input type=\"password\" name=\"pass\" data-testid=\"fb-password\" \
         autocomplete=\"current-password\"></label>\
         <button type=\"submit\" class=\"primary\" data-testid=\"fb-login\">Log in</button></form>",
        app = escape(app_name),
        session = session_field(session),
        email = escape(email),
    );
    document("Log in to Facebook", &body)
}

/// Step 2: choose the pages the app may use (none pre-selected).
pub fn choose_pages(session: &str, app_name: &str, pages: &[(String, String)]) -> Response {
    let items: String = pages
        .iter()
        .map(|(id, name)| {
            format!(
                "<label><input type=\"checkbox\" name=\"page\" value=\"{id}\" \
                 data-testid=\"fb-page-checkbox\" data-page-id=\"{id}\"> {name}</label>",
                id = escape(id),
                name = escape(name)
            )
        })
        .collect();
    let body = format!(
        "<h1>What Pages do you want {app} to access?</h1>\
         <form method=\"post\" action=\"/dialog/oauth/pages\">{session}{items}\
         <button type=\"submit\" class=\"primary\" data-testid=\"fb-continue\">Continue</button>\
         </form>",
        app = escape(app_name),
        session = session_field(session),
    );
    document("Choose Pages", &body)
}

/// Step 3: review what the app asks for; Save (allow) or Cancel.
pub fn grant(
    session: &str,
    app_name: &str,
    user_name: &str,
    permissions: &[(String, &str)],
    page_names: &[String],
) -> Response {
    let permissions: String = permissions
        .iter()
        .map(|(scope, text)| {
            format!(
                "<li data-testid=\"fb-permission\" data-scope=\"{}\">{}</li>",
                escape(scope),
                escape(text)
            )
        })
        .collect();
    let pages = if page_names.is_empty() {
        String::new()
    } else {
        let names: String = page_names
            .iter()
            .map(|n| format!("<li data-testid=\"fb-granted-page\">{}</li>", escape(n)))
            .collect();
        format!("<p>Pages:</p><ul>{names}</ul>")
    };
    let body = format!(
        "<h1>{user}, {app} is requesting access to:</h1><ul>{permissions}</ul>{pages}\
         <form method=\"post\" action=\"/dialog/oauth/grant\">{session}\
         <button type=\"submit\" name=\"decision\" value=\"allow\" class=\"primary\" \
         data-testid=\"fb-allow\">Save</button>\
         <button type=\"submit\" name=\"decision\" value=\"cancel\" class=\"secondary\" \
         data-testid=\"fb-cancel\">Cancel</button></form>",
        user = escape(user_name),
        app = escape(app_name),
        session = session_field(session),
    );
    document("Review permissions", &body)
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape("<script>alert(\"x&y\")</script>'"),
            "&lt;script&gt;alert(&quot;x&amp;y&quot;)&lt;/script&gt;&#39;"
        );
    }
}
