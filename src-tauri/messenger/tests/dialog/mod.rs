//! A person going through the sandbox's Facebook Login dialog, the way the
//! webview would: read each HTML page, fill its form, post it, and stop at
//! the redirect that `LoginAttempt::is_redirect` recognises (never loading it).
#![allow(dead_code)] // each test binary uses a different subset

use std::net::SocketAddr;

use reqwest::redirect::Policy;
use reqwest::{Client, Response};
use switchboard_messenger::{GraphApi, LoginAttempt};
use switchboard_sandbox::{Sandbox, SandboxConfig};
use url::Url;

pub const APP_ID: &str = "1234567890123";
pub const APP_SECRET: &str = "0123456789abcdef";
pub const REDIRECT: &str = "https://www.facebook.com/connect/login_success.html";
pub const EMAIL: &str = "admin@example.com";
pub const PASSWORD: &str = "sandbox";
pub const SUPPORT: &str = "101000000000001";
pub const SALES: &str = "101000000000002";
pub const JOBS: &str = "101000000000003";

pub struct Fb {
    pub sandbox: Sandbox,
    pub graph: GraphApi,
    browser: Client,
}

/// A sandbox with the demo app, person and pages; the client pointed at it
/// for both www.facebook.com and graph.facebook.com.
pub async fn start() -> Fb {
    let sandbox = Sandbox::start(SandboxConfig {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        telegram_bots: Vec::new(),
        simulate_customers: false,
    })
    .await
    .expect("sandbox starts");
    sandbox
        .facebook()
        .load_demo(APP_ID, APP_SECRET)
        .expect("demo data");
    let base = sandbox.base_url();
    let graph = GraphApi::new(&base, &base).expect("graph client");
    // Redirects are the webview's navigations: the helper decides each one.
    let browser = Client::builder()
        .redirect(Policy::none())
        .build()
        .expect("browser");
    Fb {
        sandbox,
        graph,
        browser,
    }
}

/// What the person does on the dialog's pages.
pub struct Person<'a> {
    pub email: &'a str,
    pub password: &'a str,
    /// Pages to tick; `None` ticks every one offered.
    pub pages: Option<&'a [&'a str]>,
    pub allow: bool,
}

impl Person<'static> {
    pub fn admin_allowing_all() -> Self {
        Person {
            email: EMAIL,
            password: PASSWORD,
            pages: None,
            allow: true,
        }
    }
}

impl Fb {
    /// Opens `attempt`'s dialog and goes through it; returns the URL of the
    /// navigation to the redirect URI.
    pub async fn log_in(&self, attempt: &LoginAttempt, person: &Person<'_>) -> String {
        self.log_in_at(
            &attempt.dialog_url(&self.graph),
            |url| attempt.is_redirect(url),
            person,
        )
        .await
    }

    /// The same walk from a dialog URL someone else built (the runtime), with
    /// their test for "this navigation is the redirect".
    pub async fn log_in_at(
        &self,
        dialog_url: &str,
        is_redirect: impl Fn(&str) -> bool,
        person: &Person<'_>,
    ) -> String {
        let base = Url::parse(&self.sandbox.base_url()).expect("base URL");
        let mut response = self.get(dialog_url).await;
        for _ in 0..10 {
            if response.status().is_redirection() {
                let location = location(&response);
                if is_redirect(&location) {
                    return location;
                }
                let next = base.join(&location).expect("a location");
                response = self.get(next.as_str()).await;
                continue;
            }
            let html = response.text().await.expect("an HTML page");
            let (action, mut fields) = form_of(&html);
            if html.contains("data-testid=\"fb-password\"") {
                fields.push(("email".into(), person.email.into()));
                fields.push(("pass".into(), person.password.into()));
            } else if html.contains("data-testid=\"fb-page-checkbox\"") {
                for page in values_of(&html, "fb-page-checkbox") {
                    if person
                        .pages
                        .is_none_or(|chosen| chosen.contains(&page.as_str()))
                    {
                        fields.push(("page".into(), page));
                    }
                }
            } else if html.contains("data-testid=\"fb-allow\"") {
                let decision = if person.allow { "allow" } else { "cancel" };
                fields.push(("decision".into(), decision.into()));
            } else {
                panic!("a dialog page this person does not know: {html}");
            }
            let target = base.join(&action).expect("a form action");
            response = self
                .browser
                .post(target)
                .form(&fields)
                .send()
                .await
                .expect("the form reaches the sandbox");
        }
        panic!("the dialog never redirected");
    }

    async fn get(&self, url: &str) -> Response {
        self.browser
            .get(url)
            .send()
            .await
            .expect("the dialog loads")
    }
}

fn location(response: &Response) -> String {
    response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .expect("a Location header")
        .to_owned()
}

/// The form's `action` and its hidden fields (the dialog's pages have one form).
fn form_of(html: &str) -> (String, Vec<(String, String)>) {
    let form = html
        .find("<form")
        .map(|at| &html[at..])
        .unwrap_or_else(|| panic!("no form in {html}"));
    let tag = &form[..form.find('>').expect("a form tag")];
    let action = attribute(tag, "action").expect("an action");
    let hidden = tags(form, "<input")
        .filter(|tag| attribute(tag, "type").as_deref() == Some("hidden"))
        .filter_map(|tag| Some((attribute(tag, "name")?, attribute(tag, "value")?)))
        .collect();
    (action, hidden)
}

/// The `value`s of the inputs with this test id.
fn values_of(html: &str, test_id: &str) -> Vec<String> {
    tags(html, "<input")
        .filter(|tag| attribute(tag, "data-testid").as_deref() == Some(test_id))
        .filter_map(|tag| attribute(tag, "value"))
        .collect()
}

fn tags<'a>(html: &'a str, open: &'a str) -> impl Iterator<Item = &'a str> {
    html.split(open)
        .skip(1)
        .map(|rest| &rest[..rest.find('>').unwrap_or(rest.len())])
}

/// A double-quoted attribute, unescaped the way the sandbox escapes.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let marker = format!(" {name}=\"");
    let start = tag.find(&marker)? + marker.len();
    let end = tag[start..].find('"')? + start;
    Some(
        tag[start..end]
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&"),
    )
}
