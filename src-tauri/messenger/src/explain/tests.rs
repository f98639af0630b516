use super::*;

fn api(code: i64, subcode: Option<i64>, message: &str) -> GraphError {
    GraphError::Api {
        code,
        subcode,
        kind: "OAuthException".into(),
        message: message.into(),
        fbtrace_id: Some("Trace1".into()),
        http_status: 400,
    }
}

/// One case: the error, the problem it is, and words the sentence must hold.
fn check(error: GraphError, problem: Problem, words: &str) {
    assert_eq!(classify(&error), problem, "{error}");
    let sentence = explain(&error);
    assert!(sentence.contains(words), "{sentence:?} lacks {words:?}");
}

#[test]
fn token_ends_say_facebook_no_longer_accepts_the_login_and_why() {
    let cases = [
        (Some(463), TokenEnd::Expired, "expired"),
        (Some(460), TokenEnd::PasswordChanged, "password was changed"),
        (Some(458), TokenEnd::AppRemoved, "app was removed"),
        (Some(459), TokenEnd::Checkpoint, "facebook.com"),
        (Some(467), TokenEnd::Invalid, "not valid"),
        (None, TokenEnd::Invalid, "not valid"),
    ];
    for (subcode, end, why) in cases {
        let error = api(190, subcode, "Error validating access token");
        check(error.clone(), Problem::LoginNoLongerAccepted(end), why);
        assert!(explain(&error).starts_with("Facebook no longer accepts this login"));
    }
}

#[test]
fn oauth_code_problems_ask_to_start_again() {
    check(
        api(100, Some(36009), "This authorization code has been used."),
        Problem::CodeAlreadyUsed,
        "already used",
    );
    check(
        api(100, Some(36007), "This authorization code has expired."),
        Problem::CodeExpired,
        "expired",
    );
    check(
        api(100, Some(36008), "Error validating verification code."),
        Problem::RedirectMismatch,
        "redirect address",
    );
}

#[test]
fn app_settings_problems_point_at_settings() {
    check(
        api(1, None, "Error validating client secret."),
        Problem::WrongAppSecret,
        "The Facebook app secret in Settings is wrong",
    );
    check(
        api(
            101,
            None,
            "Error validating application. Invalid application ID.",
        ),
        Problem::InvalidAppId,
        "invalid app id",
    );
    check(
        api(100, None, "Invalid client_id in request"),
        Problem::InvalidAppId,
        "invalid app id",
    );
    check(
        api(1, None, "An unknown error occurred"),
        Problem::FacebookUnavailable,
        "temporary",
    );
}

#[test]
fn a_bad_app_token_signature_blames_the_app_secret() {
    check(
        api(190, None, "Invalid OAuth access token signature."),
        Problem::WrongAppSecret,
        "app secret",
    );
}

#[test]
fn missing_permissions_are_named_when_meta_names_them() {
    check(
        api(
            200,
            None,
            "(#200) Requires pages_manage_metadata permission to manage the object",
        ),
        Problem::MissingPermission(Some("pages_manage_metadata")),
        "the pages_manage_metadata permission",
    );
    check(
        api(10, None, "(#10) Requires pages_messaging permission"),
        Problem::MissingPermission(Some("pages_messaging")),
        "the pages_messaging permission",
    );
    check(
        api(200, None, "(#200) Permissions error"),
        Problem::MissingPermission(None),
        "pages_messaging or pages_manage_metadata",
    );
}

#[test]
fn rate_limits_window_and_network_read_as_such() {
    for code in [4, 17, 32, 613] {
        let error = api(
            code,
            None,
            "Calls to this api have exceeded the rate limit.",
        );
        check(error, Problem::RateLimited, "limiting");
        assert!(Problem::RateLimited.is_transient());
    }
    check(
        api(
            10,
            Some(2018278),
            "(#10) This message is sent outside of allowed window.",
        ),
        Problem::OutsideWindow,
        "24 hours",
    );
    check(
        GraphError::Network("error sending request".into()),
        Problem::Unreachable,
        "could not reach Facebook",
    );
    check(api(999, None, "Something new"), Problem::Other, "details");
}

#[test]
fn details_keep_metas_message_and_trace_but_not_secrets() {
    let error = api(190, Some(463), "Session has expired");
    let details = details(&error).unwrap();
    assert_eq!(
        details,
        "Session has expired (code 190, subcode 463, OAuthException, HTTP 400, fbtrace_id Trace1)"
    );
    assert_eq!(super::details(&GraphError::TooBig { limit_kb: 512 }), None);
}

#[test]
fn codes_are_distinct_per_problem() {
    let problems = [
        Problem::CodeAlreadyUsed,
        Problem::CodeExpired,
        Problem::RedirectMismatch,
        Problem::WrongAppSecret,
        Problem::InvalidAppId,
        Problem::MissingPermission(None),
        Problem::RateLimited,
        Problem::PersonUnavailable,
        Problem::NoSuchPerson,
        Problem::ThreadHeldElsewhere,
        Problem::OutsideWindow,
        Problem::Unreachable,
        Problem::LoginNoLongerAccepted(TokenEnd::Expired),
        Problem::LoginNoLongerAccepted(TokenEnd::Invalid),
    ];
    let mut codes: Vec<_> = problems.iter().map(|p| p.code()).collect();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), problems.len());
}

#[test]
fn a_send_outside_the_window_is_refused_with_the_window_in_words() {
    let error = api(
        10,
        Some(2018278),
        "(#10) This message is sent outside of allowed window.",
    );
    let reason = explain_send(&error);
    assert!(
        reason.starts_with("The 24-hour window has closed"),
        "{reason}"
    );
    assert_eq!(send_failure(&error), SendFailure::Refused { reason });
}

#[test]
fn a_dead_page_token_stops_the_channel_until_it_is_reconnected() {
    for (subcode, why) in [
        (Some(463), "expired"),
        (Some(460), "password"),
        (Some(458), "app was removed"),
        (Some(459), "facebook.com"),
        (Some(467), "revoked"),
        (None, "revoked"),
    ] {
        let error = api(190, subcode, "Error validating access token");
        let SendFailure::TokenDead { reason } = send_failure(&error) else {
            panic!("{error}")
        };
        assert!(
            reason.starts_with("Facebook no longer accepts this page's connection"),
            "{reason}"
        );
        assert!(reason.contains(why), "{reason:?} lacks {why:?}");
        assert!(reason.ends_with("Reconnect the page in Chat settings."));
    }
}

#[test]
fn rate_limits_and_facebook_hiccups_are_retried() {
    for code in [4, 17, 32, 613] {
        let error = api(
            code,
            None,
            "Calls to this api have exceeded the rate limit.",
        );
        assert_eq!(
            send_failure(&error),
            SendFailure::Retry {
                after: RATE_LIMIT_PAUSE
            }
        );
        assert!(explain_send(&error).contains("limiting"));
    }
    for error in [
        api(2, None, "An unexpected error has occurred."),
        api(
            1200,
            None,
            "Temporary send message failure. Please try again later",
        ),
        GraphError::Network("timed out".into()),
    ] {
        assert_eq!(
            send_failure(&error),
            SendFailure::Retry {
                after: TRANSIENT_PAUSE
            },
            "{error}"
        );
    }
}

#[test]
fn a_person_who_cannot_be_reached_fails_the_message() {
    let unavailable = api(551, Some(1545041), "This person isn't available right now.");
    assert_eq!(classify(&unavailable), Problem::PersonUnavailable);
    let SendFailure::Refused { reason } = send_failure(&unavailable) else {
        panic!()
    };
    assert!(
        reason.starts_with("This person isn't available right now"),
        "{reason}"
    );

    let unknown = api(100, Some(2018001), "No matching user found");
    assert_eq!(classify(&unknown), Problem::NoSuchPerson);
    assert!(matches!(
        send_failure(&unknown),
        SendFailure::Refused { .. }
    ));
}

#[test]
fn a_missing_messaging_permission_asks_to_reconnect_and_other_errors_keep_their_words() {
    let error = api(230, None, "(#230) Requires pages_messaging permission");
    let SendFailure::Refused { reason } = send_failure(&error) else {
        panic!()
    };
    assert!(
        reason.ends_with("Reconnect the page in Chat settings."),
        "{reason}"
    );
    let other = api(999, None, "Something new");
    assert_eq!(explain_send(&other), explain(&other));
}

#[test]
fn a_thread_held_by_another_app_says_to_take_it_over() {
    let error = api(
        10,
        None,
        "(#10) This thread is controlled by app 555; only the thread owner can send messages. \
         Take thread control first.",
    );
    check(
        error.clone(),
        Problem::ThreadHeldElsewhere,
        "Take the conversation over",
    );
    assert!(matches!(send_failure(&error), SendFailure::Refused { .. }));
    // A plain permission error with code 10 stays one.
    assert_eq!(
        classify(&api(10, None, "(#10) Requires pages_messaging permission")),
        Problem::MissingPermission(Some("pages_messaging"))
    );
}
