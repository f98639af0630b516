use rand::SeedableRng;
use rand::rngs::StdRng;

use super::*;

const REDIRECT: &str = "https://www.facebook.com/connect/login_success.html";

fn attempt() -> LoginAttempt {
    LoginAttempt::new("123", REDIRECT, &mut StdRng::seed_from_u64(7)).unwrap()
}

fn redirect(attempt: &LoginAttempt, query: &str) -> String {
    format!("{REDIRECT}?{}", query.replace("STATE", attempt.state()))
}

#[test]
fn state_is_256_random_url_safe_bits_and_differs_per_attempt() {
    let a = attempt();
    assert_eq!(a.state().len(), 64);
    assert!(a.state().bytes().all(|b| b.is_ascii_hexdigit()));
    let b = LoginAttempt::new("123", REDIRECT, &mut rand::rng()).unwrap();
    assert_ne!(a.state(), b.state());
    assert!(!format!("{a:?}").contains(a.state()));
}

#[test]
fn the_redirect_uri_must_be_a_web_address() {
    let mut rng = StdRng::seed_from_u64(1);
    assert_eq!(
        LoginAttempt::new("1", "login_success.html", &mut rng).unwrap_err(),
        BadRedirectUri
    );
    assert!(LoginAttempt::new("1", "javascript:alert(1)", &mut rng).is_err());
}

#[test]
fn the_dialog_carries_this_attempts_state() {
    let a = attempt();
    let url = a.dialog_url(&GraphApi::facebook().unwrap());
    assert!(url.contains(&format!("&state={}&", a.state())), "{url}");
    assert!(url.contains("client_id=123&"));
}

#[test]
fn is_redirect_ignores_query_and_fragment_only() {
    let a = attempt();
    for yes in [
        REDIRECT,
        "https://www.facebook.com/connect/login_success.html?code=x#_=_",
        "https://WWW.FACEBOOK.COM:443/connect/login_success.html#_=_",
    ] {
        assert!(a.is_redirect(yes), "{yes}");
    }
    for no in [
        "http://www.facebook.com/connect/login_success.html",
        "https://facebook.com/connect/login_success.html",
        "https://www.facebook.com.evil.example/connect/login_success.html",
        "https://www.facebook.com:8443/connect/login_success.html",
        "https://www.facebook.com/connect/login_success.html/extra",
        "https://www.facebook.com/v25.0/dialog/oauth?redirect_uri=https://www.facebook.com/connect/login_success.html",
        "not a url",
    ] {
        assert!(!a.is_redirect(no), "{no}");
    }
}

#[test]
fn the_code_is_read_despite_fragment_encoding_and_extra_params() {
    let a = attempt();
    let url = redirect(
        &a,
        "granted_scopes=pages_messaging&code=AQ%2Bb%3D_c&state=STATE#_=_",
    );
    assert_eq!(a.parse_redirect(&url).unwrap(), "AQ+b=_c");
    let url = redirect(&a, "state=STATE&code=plain");
    assert_eq!(a.parse_redirect(&url).unwrap(), "plain");
}

#[test]
fn a_cancelled_login_is_said_plainly() {
    let a = attempt();
    let url = redirect(
        &a,
        "error=access_denied&error_code=200&error_description=Permissions+error&error_reason=user_denied&state=STATE#_=_",
    );
    let error = a.parse_redirect(&url).unwrap_err();
    assert_eq!(error, LoginError::Cancelled);
    assert_eq!(
        error.to_string(),
        "Facebook Login was cancelled; nothing was changed."
    );
    // Facebook's documented denial has no state; saying "cancelled" harms nobody.
    let url = redirect(&a, "error_reason=user_denied&error=access_denied");
    assert_eq!(a.parse_redirect(&url).unwrap_err(), LoginError::Cancelled);
}

#[test]
fn other_errors_keep_facebooks_reason_and_description() {
    let a = attempt();
    let url = redirect(
        &a,
        "error=server_error&error_reason=oops&error_description=Try%20later&state=STATE",
    );
    let error = a.parse_redirect(&url).unwrap_err();
    assert_eq!(
        error,
        LoginError::Denied {
            reason: "oops".into(),
            description: "Try later".into()
        }
    );
    assert_eq!(
        error.to_string(),
        "Facebook refused the login (oops): Try later"
    );
}

#[test]
fn a_wrong_missing_or_doubled_state_is_refused() {
    let a = attempt();
    let wrong = "0".repeat(64);
    for query in [
        format!("code=abc&state={wrong}"),
        "code=abc".to_owned(),
        "code=abc&state=".to_owned(),
        format!("code=abc&state=STATE&state={wrong}"),
        format!("code=abc&state={wrong}&state=STATE"),
        // A forged error with someone else's state is refused too.
        format!("error=access_denied&error_reason=user_denied&state={wrong}"),
    ] {
        let error = a.parse_redirect(&redirect(&a, &query)).unwrap_err();
        assert_eq!(error, LoginError::StateMismatch, "{query}");
    }
    assert!(
        LoginError::StateMismatch
            .to_string()
            .contains("does not belong to this login attempt (wrong state)")
    );
}

#[test]
fn a_redirect_without_a_code_or_elsewhere_is_refused() {
    let a = attempt();
    for query in ["state=STATE", "state=STATE&code=", "state=STATE#code=abc"] {
        let error = a.parse_redirect(&redirect(&a, query)).unwrap_err();
        assert_eq!(error, LoginError::MissingCode, "{query}");
    }
    let url = format!(
        "https://evil.example/connect/login_success.html?code=x&state={}",
        a.state()
    );
    assert_eq!(
        a.parse_redirect(&url).unwrap_err(),
        LoginError::NotTheRedirect
    );
}

#[test]
fn same_secret_compares_whole_values() {
    assert!(same_secret(b"abc", b"abc"));
    assert!(!same_secret(b"abc", b"abd"));
    assert!(!same_secret(b"abc", b"abcd"));
    assert!(same_secret(b"", b""));
}
